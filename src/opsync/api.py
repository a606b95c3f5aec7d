"""The library facade: everything the CLI does, as functions that return data.

Nothing here prints; progress goes through a :class:`~opsync.engine.report.Reporter`.
A run takes its config as a path to ``opsync.toml`` or as a :class:`Config` built in code
(an Airflow task, a notebook), and its connectors' secrets from the process environment
or, when ``secrets`` is given, from that mapping only (docs/library.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsync import extras
from opsync.clock import Clock, SystemClock
from opsync.config import CONNECTOR_ROLES, Config, ConnectorRole, load_config
from opsync.connectors import registry
from opsync.connectors.base import Connector, Role, WikiConnector
from opsync.connectors.config import ConnectorConfig
from opsync.connectors.context import ConnectorContext
from opsync.connectors.registry import Bootstrap
from opsync.domain import Finding
from opsync.domain.findings import DUPLICATE
from opsync.engine import saved
from opsync.engine.plan import Force
from opsync.engine.report import Reporter, RunReport
from opsync.engine.run import RunSpec, run
from opsync.errors import ConfigError
from opsync.extras import missing_module
from opsync.secrets import Secrets
from opsync.state import MemoryStateStore, SqliteStateStore, StateStore

if TYPE_CHECKING:  # imported by migrate() alone, which a sync never calls (start-up)
    from opsync.engine import migrate as migration

__all__ = [
    "apply",
    "bootstrap",
    "doctor",
    "emulate",
    "init_workspace",
    "load_config",
    "migrate",
    "plan",
    "report",
    "save_plan",
    "sync",
]

#: A run's config: the path of an ``opsync.toml``, or a :class:`Config` built in code.
ConfigLike = Config | str | os.PathLike[str]


def _load(config: ConfigLike) -> Config:
    return config if isinstance(config, Config) else load_config(Path(config))


def _secrets(secrets: Mapping[str, str] | None) -> Secrets:
    """The process environment, or a copy of the caller's mapping read instead of it."""
    return Secrets() if secrets is None else Secrets(dict(secrets))


def _portable(connector: ConnectorConfig, base: Path) -> ConnectorConfig:
    """``connector`` with each path inside ``base`` (the config's folder) relative to it.

    A copy of the workspace folder elsewhere (``cp -a`` into a container or a CI runner)
    carries those folders along, so where the folder lives must not count. A path outside
    it is not carried by such a copy and stays absolute: the same outside folder is still the
    same place, and another one is an identity change.
    """
    inside = {
        name: value.relative_to(base)
        for name, value in connector
        if isinstance(value, Path) and value.is_relative_to(base)
    }
    return connector.model_copy(update=inside)


def _identity(
    config: Config, *, portable: bool = True, notifier: str | object | None = None
) -> str:
    """What decides where records live and under which keys; a change needs a migration.

    Where messages go is not part of it: adding Slack, or email, moves no record. Earlier
    versions counted every connector and the whole ``[roles]`` table, absolute paths
    included; ``portable=False`` and ``notifier`` (the ``[roles] notifier`` they stored) give
    those fingerprints, which :func:`_earlier_identities` lists for a store to be recognised.
    """
    identity_roles = ("tracker", "wiki", "pages", "feeds")
    used = {getattr(config.roles, role) for role in identity_roles}
    legacy = notifier is not None
    if legacy and isinstance(notifier, str):
        used.add(notifier)
    parts: dict[str, Any] = {
        name: (_portable(c, config.base_dir) if portable else c).identity()
        for name, c in sorted(config.connectors.items())
        if name in used
    }
    roles = config.roles.model_dump()
    if legacy:
        roles["notifier"] = notifier
    else:
        del roles["notifier"]
    parts["_roles"] = roles
    parts["_key_scheme"] = {"version": "1"}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _earlier_identities(config: Config) -> frozenset[str]:
    """The fingerprints earlier versions stored for this very config: with each connector
    as the notifier they knew (one name), paths relative or absolute."""
    return frozenset(
        _identity(config, portable=portable, notifier=name)
        for name in config.connectors
        for portable in (True, False)
    )


def _context(
    config: Config,
    name: str,
    state: StateStore,
    clock: Clock | None = None,
    secrets: Secrets | None = None,
) -> ConnectorContext:
    people, areas = config.snapshot_people()
    return ConnectorContext(
        name=name,
        settings=config.connectors[name],
        state=state.connector(name),
        clock=clock or SystemClock(),
        secrets=secrets or Secrets(),
        people=people,
        areas=areas,
        base_dir=config.base_dir,
    )


def _spec(
    config: Config,
    state: StateStore,
    clock: Clock | None = None,
    secrets: Secrets | None = None,
) -> RunSpec:
    """The run's connectors, each built once, each checked to declare the role it serves."""
    built: dict[str, Connector] = {}
    people, areas = config.snapshot_people()

    def connector(role: ConnectorRole, name: str | None = None) -> Any:
        if name is None:
            name, settings = config.connector(role)
        else:
            settings = config.connectors[name]
        if name not in built:
            built[name] = registry.create(_context(config, name, state, clock, secrets))
        if Role(role) not in built[name].capabilities.roles:
            raise ConfigError(
                f"connector {name!r} ({settings.type}) cannot serve the {role} role",
                key=f"roles.{role}",
                hint="name a connector that can under [roles], e.g. a local one",
            )
        return built[name]

    if config.roles.pages != config.roles.wiki:
        raise ConfigError(
            "generated pages must be written by the wiki connector",
            key="roles.pages",
            hint=f'set pages = "{config.roles.wiki}" under [roles]',
        )
    try:
        for role in CONNECTOR_ROLES:
            if role != "notifier":
                connector(role)
        notifiers = tuple(connector("notifier", name) for name in config.notifiers())
    except BaseException:
        for made in built.values():
            made.close()
        raise
    return RunSpec(
        workspace=connector("wiki"),
        tracker=connector("tracker"),
        notifier=notifiers,
        feeds=connector("feeds"),
        archive=next(
            (c for n, c in built.items() if config.connectors[n].type == registry.EMBEDDED), None
        ),  # type: ignore[arg-type]  # the embedded workspace is a Notifier
        calendar=config.calendar(),
        settings=config.settings,
        state=state,
        identity=_identity(config),
        earlier_identities=_earlier_identities(config),
        config_digest=hashlib.blake2b(config.model_dump_json().encode()).hexdigest(),
        org_name=config.org.name,
        people=people,
        areas=areas,
        aliases=config.aliases.table(),
        on_conflict=config.run.on_conflict,
    )


STATE_URL_ENV = "OPSYNC_STATE_URL"


def open_state(config: Config) -> StateStore:
    """The config's state store: PostgreSQL when a URL is given (``OPSYNC_STATE_URL``,
    which keeps a URL with credentials out of the file, or ``[state] url``), otherwise the
    SQLite file ``[state] path``. Nothing is opened or created until the store is used."""
    url = os.environ.get(STATE_URL_ENV) or config.state.url
    if url:
        from opsync.state.postgres import PostgresStateStore

        return PostgresStateStore(url, config.state.key or config.org.name)
    return SqliteStateStore(config.state_path)


def _state_place(config: Config) -> tuple[str, ...]:
    """Where the config keeps its state: a SQLite file, or a key in a PostgreSQL database."""
    url = os.environ.get(STATE_URL_ENV) or config.state.url
    if url:
        return ("postgresql", url, config.state.key or config.org.name)
    return ("sqlite", str(config.state_path.resolve()))


def _own_states(source: Config, target: Config) -> None:
    """Refuse a migration between two configs that would share one state store: the
    target's first sync would then read the source's journal (its sent messages, its
    identity) as its own, and stop on an identity change or report every message copy as
    missing."""
    place = _state_place(target)
    if _state_place(source) != place:
        return
    if place[0] == "postgresql":
        raise ConfigError(
            f"both configs keep their state under the key {place[2]!r} of one PostgreSQL "
            "database, so the target would take the source's journal for its own",
            key="state.key",
            hint='give the target config a key of its own: [state] key = "<org> (<wiki>)"',
        )
    raise ConfigError(
        f"both configs keep their state in {place[1]}, so the target would take the "
        "source's journal for its own",
        key="state.path",
        hint='give the target config a file of its own: [state] path = ".opsync/<wiki>-state.db"',
    )


@contextmanager
def _session(
    source: ConfigLike, clock: Clock | None, secrets: Mapping[str, str] | None = None
) -> Iterator[RunSpec]:
    """A run's connectors, closed afterwards (HTTP connectors hold open connections)."""
    config = _load(source)
    state = open_state(config)
    try:
        spec = _spec(config, state, clock, _secrets(secrets))
        try:
            yield spec
        finally:
            for connector in spec.connectors().values():
                connector.close()
    finally:
        state.close()  # the run closes it; not a run that never started (a bad connector)


def _now(now: datetime | None, clock: Clock | None) -> datetime:
    if now is not None:
        if now.tzinfo is None:
            raise ConfigError(
                f"--now {now.isoformat()} has no timezone",
                key="--now",
                hint="give an offset, e.g. 2026-12-03T15:00:00-05:00",
            )
        return now
    return (clock or SystemClock()).now()


def plan(
    config: ConfigLike,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    secrets: Mapping[str, str] | None = None,
    force: Force = False,
    reporter: Reporter | None = None,
    full: bool = False,
) -> RunReport:
    """Read, apply the rules and compute the plan; write nothing (a dry run).

    Args:
        config: the path of an ``opsync.toml``, or a :class:`Config`.
        now: the run's clock (with a timezone); the system clock when not given.
        secrets: the variables the connectors name (``token_env = "NOTION_TOKEN"``), read
            from this mapping instead of the environment; never logged nor reported.
        full: read and plan everything even when the inputs are those a full run that
            planned nothing left (docs/concepts.md, "Unchanged runs").
    """
    with _session(config, clock, secrets) as spec:
        return run(spec, _now(now, clock), write=False, force=force, reporter=reporter, full=full)


def sync(
    config: ConfigLike,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    secrets: Mapping[str, str] | None = None,
    force: Force = False,
    accept_identity_change: bool = False,
    reporter: Reporter | None = None,
    full: bool = False,
) -> RunReport:
    """Plan and apply exactly that plan, under the run lock; ``config``, ``now``,
    ``secrets`` and ``full`` as for :func:`plan`."""
    with _session(config, clock, secrets) as spec:
        return run(
            spec,
            _now(now, clock),
            write=True,
            force=force,
            accept_identity_change=accept_identity_change,
            reporter=reporter,
            full=full,
        )


def save_plan(report: RunReport, path: Path, *, config_path: Path, force: Force = False) -> None:
    """Write ``report``'s plan (a dry run's) to ``path``, for :func:`apply` to apply later."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = saved.to_json(report, config=config_path, force=force)
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def apply(
    plan_path: Path,
    *,
    config_path: ConfigLike | None = None,
    secrets: Mapping[str, str] | None = None,
    reporter: Reporter | None = None,
) -> RunReport:
    """Apply the plan saved in ``plan_path`` exactly, under the run lock, with the clock and
    force it was made with; raises :class:`~opsync.errors.StalePlan` (nothing written) when
    the targets call for another plan now. ``config_path`` defaults to the plan's config."""
    expect = saved.read(plan_path)
    with _session(config_path or expect.config, None, secrets) as spec:
        return run(
            spec, expect.now, write=True, force=expect.force, reporter=reporter, expect=expect
        )


def report(
    config: ConfigLike,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    secrets: Mapping[str, str] | None = None,
    reporter: Reporter | None = None,
    full: bool = False,
) -> RunReport:
    """Findings and scorecard as of ``now``; the same as a plan, shown differently."""
    return plan(config, now=now, clock=clock, secrets=secrets, reporter=reporter, full=full)


def init_workspace(target: Path, *, example: str | None = None) -> Path:
    """Create a workspace in ``target`` (an empty scaffold, or a bundled example); returns
    the path of its config. Refuses to overwrite an existing config."""
    config_path = target / "opsync.toml"
    if config_path.exists():
        raise ConfigError(
            f"{config_path} already exists",
            key="init",
            hint="choose an empty folder, or edit the existing config",
        )
    source = resources.files("opsync") / "examples" / (example or "empty")
    if not source.is_dir():
        known = sorted(p.name for p in (resources.files("opsync") / "examples").iterdir())
        raise ConfigError(
            f"unknown example {example!r}", key="--example", hint=f"use one of: {', '.join(known)}"
        )
    with resources.as_file(source) as folder:
        shutil.copytree(folder, target, dirs_exist_ok=True)
    _ignore_state(target)
    return config_path


#: What a workspace keeps between runs but never commits: the state store (the journal,
#: the read mirrors) and the outbox (messages "sent"). wiki/ and pages/ are people's work.
GITIGNORED = ("/.opsync/", "/outbox/")


def _ignore_state(target: Path) -> None:
    """Add :data:`GITIGNORED` to the workspace's ``.gitignore`` (created if absent; the
    lines already there are kept, and none is added twice)."""
    ignore = target / ".gitignore"
    text = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
    missing = [line for line in GITIGNORED if line not in text.splitlines()]
    if not missing:
        return
    lead = "" if not text or text.endswith("\n") else "\n"
    block = "# opsync's state and outbox: keep them between runs, do not commit them\n"
    ignore.write_text(text + lead + block + "\n".join(missing) + "\n", encoding="utf-8")


def doctor(config: ConfigLike, *, secrets: Mapping[str, str] | None = None) -> list[Finding]:
    """Check every configured connector (credentials, sharing, schema); each finding names
    the problem and its fix. An empty list means ready to sync.

    The checks use a state store of their own, in memory: they look at the services as
    they are, neither through nor into what the runs remember, save one thing: the folders
    a local workspace read from, so that one gone since (a typo) is reported."""
    config = _load(config)
    state = MemoryStateStore()
    findings: list[Finding] = []
    with closing(open_state(config)) as remembered:
        for name, settings in sorted(config.connectors.items()):
            # the one thing the checks take from the runs' memory: the folders a local workspace
            # read records from, so a folder gone since (a typo in its path) is reported
            folders = remembered.load_mirror(name, "folders")
            if folders is not None:
                state.save_mirrors({(name, "folders"): folders})
            ctx = _context(config, name, state, secrets=_secrets(secrets))
            check = registry.hook(settings.type, "doctor")
            if check is not None:
                findings.extend(check(ctx))
                continue
            connector = registry.create(ctx)
            try:
                findings.extend(connector.check())
            finally:
                connector.close()
    return findings


def duplicates(config_path: Path) -> list[Finding]:
    """Everything in the wiki that carries the key of another record or page (a copy, or a
    second writer's create before the lease existed): opsync keeps one, the oldest where the
    wiki can tell, and leaves the others alone. A whole read of the wiki, with no state: it
    sees the target as it is."""
    config = load_config(config_path)
    spec = _spec(config, MemoryStateStore())
    try:
        found = spec.workspace.read().findings
    finally:
        for connector in spec.connectors().values():
            connector.close()
    return [f for f in found if f.code == DUPLICATE]


def _wiki(config: Config, state: StateStore) -> WikiConnector:
    """The config's wiki connector alone (a migration reads and writes nothing else)."""
    name, _ = config.wiki_connector()
    made = registry.create(_context(config, name, state))
    if Role.WIKI not in made.capabilities.roles:
        made.close()
        raise ConfigError(
            f"connector {name!r} cannot serve the wiki role",
            key="roles.wiki",
            hint="name a wiki connector (local, notion, confluence) under [roles]",
        )
    return made  # type: ignore[return-value]  # it declares the wiki role


def migrate(
    from_path: Path,
    to_path: Path,
    *,
    dry_run: bool = False,
    overwrite: bool = False,
    progress: Callable[[migration.Item], None] | None = None,
) -> migration.MigrationReport:
    """Copy the people-owned records, the publication logs and the bundle pages' text from
    the wiki of ``from_path``'s config to that of ``to_path``'s (see
    :mod:`opsync.engine.migrate`); with ``dry_run``, only say what would be copied.

    Each side is read whole, through a state store of its own in memory: the migration
    reads the wikis as they are, and the next sync of the target reads it whole once."""
    from opsync.engine import migrate as migration

    source_config, target_config = load_config(from_path), load_config(to_path)
    _own_states(source_config, target_config)
    source = _wiki(source_config, MemoryStateStore())
    try:
        target = _wiki(target_config, MemoryStateStore())
        try:
            return migration.migrate(
                source,
                target,
                dry_run=dry_run,
                overwrite=overwrite,
                source_aliases=source_config.aliases.table(),
                target_aliases=target_config.aliases.table(),
                progress=progress,
            )
        finally:
            target.close()
    finally:
        source.close()


def bootstrap(
    kind: str,
    config: ConfigLike,
    parent: str | None = None,
    *,
    secrets: Mapping[str, str] | None = None,
) -> tuple[Bootstrap, str]:
    """Create (or find, on a rerun) what a connector of type ``kind`` works under ``parent``
    (databases, views, pages), for the wiki connector of the config, or what the tracker
    connector needs (Jira's write-back fields) when ``kind`` is the tracker's type; returns
    what was done and the config block to paste into opsync.toml."""
    config = _load(config)
    name, settings = config.wiki_connector()
    if settings.type != kind:
        tracker, tracked = config.connector("tracker")
        if tracked.type == kind:
            name, settings = tracker, tracked
    make = registry.hook(kind, "bootstrap")
    if make is None:
        raise ConfigError(
            f"the {kind} connector has nothing to bootstrap",
            key="bootstrap",
            hint=f"use one of: {', '.join(t for t in registry.types() if _bootstraps(t))}",
        )
    if settings.type != kind:
        raise ConfigError(
            f"the wiki connector {name!r} is not a {kind} connector",
            key="roles.wiki",
            hint=f'add [connectors.{kind}] with type = "{kind}" and name it under [roles]',
        )
    ctx = _context(config, name, MemoryStateStore(), secrets=_secrets(secrets))
    result, block = make(ctx, parent)
    return result, block


def _bootstraps(kind: str) -> bool:
    return registry.hook(kind, "bootstrap") is not None


def emulate(kind: str, args: Sequence[str]) -> int:
    """Serve the emulator of connector type ``kind`` until stopped; returns its exit code."""
    try:
        serve = registry.hook(kind, "emulate")
        if serve is None:
            raise ConfigError(f"the {kind} connector has no emulator", key="emulate")
        code: int = serve(args)
    except (extras.MissingExtra, ModuleNotFoundError) as exc:
        # the connector's SDK (its factory) or the emulator's validation stack is missing
        module = exc.module if isinstance(exc, extras.MissingExtra) else missing_module(exc)
        if module is None:
            raise
        raise extras.for_emulator(kind, module) from None
    return code
