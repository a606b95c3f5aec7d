"""The library facade: everything the CLI does, as functions that return data.

Nothing here prints; progress goes through a :class:`~opsync.engine.report.Reporter`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from opsync.clock import Clock, SystemClock
from opsync.config import Config, ConnectorConfig, ConnectorRole, load_config
from opsync.connectors.registry import factory
from opsync.domain import Finding
from opsync.engine.report import Reporter, RunReport
from opsync.engine.run import RunSpec, run
from opsync.errors import ConfigError

__all__ = [
    "bootstrap_confluence",
    "bootstrap_notion",
    "doctor",
    "init_workspace",
    "load_config",
    "plan",
    "report",
    "sync",
]


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


def _identity(config: Config, *, portable: bool = True) -> str:
    """What decides where records live and under which keys; a change needs a migration.

    ``portable=False`` gives the fingerprint earlier versions stored, with absolute paths:
    a store that holds it for this config in this place is the same identity (``RunSpec``).
    """
    parts: dict[str, Any] = {
        name: (_portable(c, config.base_dir) if portable else c).identity()
        for name, c in sorted(config.connectors.items())
    }
    parts["_roles"] = config.roles.model_dump()
    parts["_key_scheme"] = {"version": "1"}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _spec(config: Config) -> RunSpec:
    people, areas = config.snapshot_people()
    built: dict[str, Any] = {}

    def connector(role: ConnectorRole) -> Any:
        name, settings = config.connector(role)
        if name not in built:
            extra: dict[str, Any] = {}
            if settings.type == "notion":  # its read mirror lives beside the state database
                state = config.state_path
                extra["cache_path"] = state.with_name(f"{state.name}.notion-{name}.json")
            if settings.type == "jira":  # its read cursor lives beside the state database
                state = config.state_path
                extra["cache_path"] = state.with_name(f"{state.name}.jira-{name}.json")
                extra["name"] = name
            built[name] = factory(settings.type).create(settings, people, areas, **extra)
        return built[name]

    if config.roles.pages != config.roles.wiki:
        raise ConfigError(
            "generated pages must be written by the wiki connector",
            key="roles.pages",
            hint=f'set pages = "{config.roles.wiki}" under [roles]',
        )
    return RunSpec(
        workspace=connector("wiki"),
        tracker=connector("tracker"),
        notifier=connector("notifier"),
        feeds=connector("feeds"),
        calendar=config.calendar(),
        settings=config.settings,
        state_path=config.state_path,
        identity=_identity(config),
        absolute_identity=_identity(config, portable=False),
        org_name=config.org.name,
        people=people,
        areas=areas,
    )


@contextmanager
def _session(config_path: Path) -> Iterator[RunSpec]:
    """A run's connectors, closed afterwards (HTTP connectors hold open connections)."""
    spec = _spec(load_config(config_path))
    try:
        yield spec
    finally:
        for connector in spec.connectors().values():
            close = getattr(connector, "close", None)
            if callable(close):
                close()


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
    config_path: Path,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
) -> RunReport:
    """Read, apply the rules and compute the plan; write nothing (a dry run)."""
    with _session(config_path) as spec:
        return run(spec, _now(now, clock), write=False, force=force, reporter=reporter)


def sync(
    config_path: Path,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    force: bool = False,
    accept_identity_change: bool = False,
    reporter: Reporter | None = None,
) -> RunReport:
    """Plan and apply exactly that plan, under the run lock."""
    with _session(config_path) as spec:
        return run(
            spec,
            _now(now, clock),
            write=True,
            force=force,
            accept_identity_change=accept_identity_change,
            reporter=reporter,
        )


def report(
    config_path: Path,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    reporter: Reporter | None = None,
) -> RunReport:
    """Findings and scorecard as of ``now``; the same as a plan, shown differently."""
    return plan(config_path, now=now, clock=clock, reporter=reporter)


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
    return config_path


def doctor(config_path: Path) -> list[Finding]:
    """Check every configured connector (credentials, sharing, schema); each finding names
    the problem and its fix. An empty list means ready to sync."""
    config = load_config(config_path)
    people, areas = config.snapshot_people()
    findings: list[Finding] = []
    for _name, settings in sorted(config.connectors.items()):
        connector = factory(settings.type).create(settings, people, areas)
        try:
            findings.extend(connector.check())
        finally:
            close = getattr(connector, "close", None)
            if callable(close):
                close()
    return findings


def bootstrap_notion(config_path: Path, parent_page_id: str) -> tuple[Any, str]:
    """Create (or find) the Notion databases and views under a page; returns what was done
    and the config block to paste into opsync.toml."""
    from opsync.connectors.notion.bootstrap import bootstrap
    from opsync.connectors.notion.client import NotionApi
    from opsync.connectors.notion.config import NotionConnectorConfig

    config = load_config(config_path)
    name, settings = config.wiki_connector()
    if not isinstance(settings, NotionConnectorConfig):
        raise ConfigError(
            f"the wiki connector {name!r} is not a Notion connector",
            key="roles.wiki",
            hint='add [connectors.notion] with type = "notion" and name it under [roles]',
        )
    notion = NotionApi(settings, name=name)
    try:
        result = bootstrap(notion, parent_page_id, settings, settings.pages)
    finally:
        notion.close()
    return result, result.config_block(settings, name)


def bootstrap_confluence(config_path: Path, parent_page_id: str | None = None) -> tuple[Any, str]:
    """Create (or find) the Confluence pages opsync works under, below ``parent_page_id``
    (else the connector's ``parent``); returns what was done and the config block to paste."""
    from pydantic import TypeAdapter, ValidationError

    from opsync.connectors.confluence.bootstrap import bootstrap
    from opsync.connectors.confluence.client import ConfluenceApi
    from opsync.connectors.confluence.config import ConfluenceConnectorConfig, PageId
    from opsync.connectors.confluence.site import Site

    config = load_config(config_path)
    name, settings = config.wiki_connector()
    if not isinstance(settings, ConfluenceConnectorConfig):
        raise ConfigError(
            f"the wiki connector {name!r} is not a Confluence connector",
            key="roles.wiki",
            hint='add [connectors.confluence] with type = "confluence" and name it under [roles]',
        )
    parent = parent_page_id or settings.parent
    if not parent:
        raise ConfigError(
            "no page to create the pages under",
            key=f"connectors.{name}.parent",
            hint="pass --parent PAGE_ID, or set parent = ... in the connector's table",
        )
    try:
        parent = TypeAdapter(PageId).validate_python(parent)
    except ValidationError as exc:
        raise ConfigError(str(exc.errors()[0]["msg"]), key="--parent") from None
    confluence = ConfluenceApi(settings, name=name)
    try:
        result = bootstrap(Site(confluence, settings.space), parent, settings.label)
    finally:
        confluence.close()
    return result, result.config_block(settings, name)
