"""``opsync.toml``: the organisation, its rule parameters, its rollout and its tools.

A config file is written by a person who runs opsync from cron and reads its errors in a
mail at 3 a.m., so loading is strict and talkative: every problem of the file comes at
once, in one ``ConfigError``, each with its key path in TOML notation, what was expected
and the fix (worded by ``opsync.config_problems``). Relative paths are resolved against
the file's folder, not the working directory, because cron's working directory is rarely
the one the file was written in. Secrets never live in the file: a connector names an
environment variable or a secret file instead (``token_env`` / ``token_file``). Text values
may refer to the environment (``${env:VAR}``) and ``OPSYNC_<TABLE>__<KEY>`` variables
override keys (``opsync.config_env``), when loaded with ``load_config``/``parse_config``.

``[connectors.<name>]`` tables are validated by the model the connector registry gives
for their ``type`` (the ``config_model`` of the connector factory published under the
``opsync.connectors`` entry point, or one registered with ``register_connector_config``);
only the types a file names are loaded. The embedded ``local`` workspace is the connector
when a file names none.
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from datetime import date
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from opsync import public_holidays
from opsync.calendar import BusinessCalendar
from opsync.config_env import explain, resolve
from opsync.config_problems import (
    cross_check,
    invalid,
    problems_from,
    strip_secrets,
    suggest,
    toml_error,
    toml_path,
)
from opsync.connectors.base import Role
from opsync.connectors.config import ConnectorConfig, TokenConnectorConfig
from opsync.connectors.registry import EMBEDDED, connector_model, register_connector_config, serves
from opsync.connectors.registry import types as connector_types
from opsync.domain.insight import Disposition, InsightSource, Severity
from opsync.domain.people import Person, ProductArea
from opsync.domain.reading import Aliases, member, spelling, spellings
from opsync.domain.release import BundleState, GoNoGo, Tier
from opsync.domain.ritual import RitualKind
from opsync.domain.roadmap import RoadmapStatus
from opsync.errors import ConfigError, ConfigProblem
from opsync.settings import OutputSettings, RolloutPhase, Settings

ConnectorRole = Literal["tracker", "wiki", "pages", "notifier", "feeds"]
CONNECTOR_ROLES: tuple[ConnectorRole, ...] = ("tracker", "wiki", "pages", "notifier", "feeds")


def _under(base: Path | None, value: Path) -> Path:
    value = value.expanduser()
    return value if base is None or value.is_absolute() else Path(os.path.normpath(base / value))


def _resolve(value: Path, info: ValidationInfo) -> Path:
    return _under((info.context or {}).get("base_dir"), value)


ResolvedPath = Annotated[Path, AfterValidator(_resolve)]  # relative to the file's folder


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class OrgConfig(_Table):
    """``[org]``: who the organisation is and when it works."""

    name: str = Field(description="The organisation's name, shown on generated pages.")
    timezone: str = Field(description="IANA zone; every date and deadline is local to it.")
    holiday_country: str | None = Field(None, description="Country whose public holidays are off.")
    holiday_subdivision: str | None = Field(None, description="State or province of the country.")
    extra_days_off: tuple[date, ...] = Field((), description="Company days off, as TOML dates.")
    weekend: tuple[Annotated[int, Field(ge=1, le=7)], ...] = Field(
        (6, 7), description="ISO weekdays that are never business days (Monday = 1)."
    )
    people: tuple[Person, ...] = Field((), description="Everyone opsync routes work to.")
    product_areas: tuple[ProductArea, ...] = Field((), description="Areas and their owners.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        if name not in _timezones():
            hint = suggest(name, _timezones()) + 'use an IANA name such as "America/New_York"'
            raise invalid(f'"{name}" is not a known timezone', hint)
        return name

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, code: str | None) -> str | None:
        if code is None or code.upper() in public_holidays.country_codes():
            return code.upper() if code else None
        supported = holidays.list_supported_countries()  # loads every country: only here
        hint = suggest(code, supported) + 'use an ISO 3166 code such as "US", "GB" or "DE"'
        raise invalid(f'"{code}" is not a country the holidays package knows', hint)

    @field_validator("holiday_subdivision")
    @classmethod
    def _known_subdivision(cls, sub: str | None, info: ValidationInfo) -> str | None:
        if sub is None or "holiday_country" not in info.data:
            return sub  # an invalid country is reported already
        country = info.data["holiday_country"]
        if country is None:
            raise invalid("a subdivision needs a country", "set holiday_country as well")
        try:
            public_holidays.country_holidays(country, sub)
        except NotImplementedError:
            known = holidays.list_supported_countries()[country]
            hint = suggest(sub, known) + f"use one of {', '.join(known)}"
            if not known:
                hint = f"{country} has no subdivisions; remove holiday_subdivision"
            raise invalid(f'"{sub}" is not a holiday subdivision of {country}', hint) from None
        return sub

    @field_validator("weekend")
    @classmethod
    def _some_workdays(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        if len(set(days)) >= 7:
            raise invalid("every day is a weekend day", "keep at least one workday: [6, 7]")
        return days


class RolloutConfig(_Table):
    """``[rollout]``: when each rule family starts to apply, and where."""

    phases: tuple[RolloutPhase, ...] = ()


def _spelt(enum: type[Enum]) -> BeforeValidator:
    """An alias's value in any of the pack's spellings (``"High"``, ``3``, ``"Tier 3"``)."""
    return BeforeValidator(lambda value: member(enum, value))


def _aliases(field: str, example: str) -> Any:
    return Field(default_factory=dict, description=f"Words for {field}, e.g. {example}.")


class AliasesConfig(_Table):
    """``[aliases]``: an organisation's own words for the pack's enumeration values.

    Records are read with the pack's spellings in any letter case (RULES.md "Reading
    input"); a team that writes "P1" for High, or "Shipped" for published, says so here
    instead of retyping every record. Each table maps an alias to the value it stands for;
    the value is checked here, so a typo is a config error naming its key, not a record
    that fails to read at 3 a.m.
    """

    severity: dict[str, Annotated[Severity, _spelt(Severity)]] = _aliases(
        "an insight's `severity`", 'P1 = "high"'
    )
    disposition: dict[str, Annotated[Disposition, _spelt(Disposition)]] = _aliases(
        "an insight's `disposition`", 'parked = "backlog"'
    )
    source: dict[str, Annotated[InsightSource, _spelt(InsightSource)]] = _aliases(
        "an insight's `source`", 'Zendesk = "support tickets"'
    )
    tier: dict[str, Annotated[Tier, _spelt(Tier)]] = _aliases("a release's `tier`", "P0 = 3")
    bundle_state: dict[str, Annotated[BundleState, _spelt(BundleState)]] = _aliases(
        "a release's `bundle_state`", 'Shipped = "published"'
    )
    go_no_go: dict[str, Annotated[GoNoGo, _spelt(GoNoGo)]] = _aliases(
        "a release's `go_no_go`", 'approved = "go"'
    )
    roadmap_status: dict[str, Annotated[RoadmapStatus, _spelt(RoadmapStatus)]] = _aliases(
        "a roadmap item's `status`", 'WIP = "in progress"'
    )
    ritual_kind: dict[str, Annotated[RitualKind, _spelt(RitualKind)]] = _aliases(
        "a ritual's `kind`", 'MIR = "insights review"'
    )

    @model_validator(mode="after")
    def _no_pack_word(self) -> AliasesConfig:
        """An alias that is already one of the pack's spellings would never be used: the
        pack's spellings are read first, so the same word cannot mean two values."""
        for name, table in self:
            for alias, value in table.items():
                enum: type[Enum] = type(value)
                taken = spellings(enum).get(spelling(alias))
                if taken is not None and taken is not value:
                    raise invalid(
                        f'aliases.{name}: "{alias}" already means "{taken.value}"',
                        f"remove it, or pick a word that is not one of {type(value).__name__}'s",
                    )
        return self

    def table(self) -> Aliases:
        """For each enumeration, each alias folded as records are (see
        :func:`opsync.domain.reading.spelling`) → its member."""
        found: dict[type[Enum], dict[str, Enum]] = {}
        for _, table in self:
            for alias, value in table.items():
                found.setdefault(type(value), {})[spelling(alias)] = value
        return found


class StateConfig(_Table):
    """``[state]``: opsync's own store (journal, read mirrors, sent messages, run lock): a
    SQLite file beside the config, or a PostgreSQL database shared by runners and
    organisations (``url``)."""

    path: ResolvedPath = Field(
        Path(".opsync/state.db"), description="SQLite file of the store (when `url` is unset)."
    )
    url: str | None = Field(
        None,
        description=(
            "PostgreSQL URL of a shared store (`postgresql://user@host:5432/db`; needs "
            '`pip install "opsync[postgres]"`). Leave the password out: libpq takes it, and '
            "anything else the URL omits, from PGPASSWORD, PGSERVICE or ~/.pgpass. The run lock "
            "is then an advisory lock in that database, so runners on several machines exclude "
            "each other."
        ),
    )
    key: str | None = Field(
        None,
        description=(
            "The organisation's key in a shared PostgreSQL store: its rows and its run lock "
            "(default: `[org] name`). Give each config sharing a database a key of its own."
        ),
    )

    @field_validator("url")
    @classmethod
    def _postgres(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise invalid(
                "the state URL must be a PostgreSQL URL",
                'write it as url = "postgresql://user@host:5432/database", or remove it to '
                "keep the state in the SQLite file `path`",
            )
        return value


OnConflict = Literal["fail", "report"]


class RunConfig(_Table):
    """``[run]``: how a run ends when it leaves something for a person."""

    on_conflict: OnConflict = Field(
        "fail",
        description="A conflict (a person edited what opsync owns) that an earlier sync "
        'reported and that is unchanged since: "fail" exits 3 on every run until someone '
        'resolves it; "report" exits 3 on the run that finds it, then 0 while it stays as '
        'it was (it is still listed in the plan and the JSON report). For cron, "report".',
    )


class RolesConfig(_Table):
    """``[roles]``: which connector serves each role (default: the only connector)."""

    tracker: str | None = Field(None, description="Connector the releases are read from.")
    wiki: str | None = Field(None, description="Connector holding the wiki databases.")
    pages: str | None = Field(
        None, description="Connector generated pages are written to (the wiki's, for now)."
    )
    notifier: str | list[str] | None = Field(
        None,
        description=(
            "Connector, or list of connectors, that send messages; each message goes to the "
            "first that serves its channel (Slack: #channels and dm:, email: email: and "
            "email-dm:)."
        ),
    )
    feeds: str | None = Field(
        None,
        description="Connector holding the ritual calendar feed: the local workspace unless "
        "named, or a Confluence connector with feed_page, or an s3 one, to publish it.",
    )


class Config(_Table):
    """A whole ``opsync.toml``; build it with ``load_config``."""

    org: OrgConfig
    rules: Settings = Settings()
    aliases: AliasesConfig = AliasesConfig()
    rollout: RolloutConfig = RolloutConfig()
    output: OutputSettings = OutputSettings()
    state: StateConfig = StateConfig()
    run: RunConfig = RunConfig()
    connectors: dict[str, SerializeAsAny[ConnectorConfig]] = {}
    roles: RolesConfig = RolesConfig()
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        """Default state and connectors here, not as field defaults, so their paths resolve."""
        if not isinstance(data, Mapping):
            return data
        data = {"state": {}, "connectors": {EMBEDDED: {"type": EMBEDDED}}, **data}
        connectors, roles = data["connectors"], data.get("roles", {})
        if not isinstance(connectors, Mapping) or not isinstance(roles, Mapping):
            return data
        if len(connectors) == 1:
            data["roles"] = dict.fromkeys(CONNECTOR_ROLES, next(iter(connectors))) | dict(roles)
            return data
        # Messages and the calendar feed go to the one connector that can take them unless
        # named: a Notion wiki has no outbox or file store of its own. The feed stays in the
        # local workspace unless [roles] names another (a Confluence page, a bucket): a
        # published feed is a choice, not something a new connector does by itself.
        defaults = {}
        for role in (Role.NOTIFIER, Role.FEEDS):
            able = [
                name
                for name, c in connectors.items()
                if isinstance(c, Mapping)
                and isinstance(c.get("type"), str)
                and serves(c["type"], role)
            ]
            local = [n for n in able if connectors[n].get("type") == EMBEDDED]
            if role is Role.FEEDS and len(local) == 1:
                able = local
            fallback = able[0] if len(able) == 1 else roles.get("wiki")
            if fallback is not None:
                defaults[role.value] = fallback
        data["roles"] = defaults | dict(roles)
        return data

    @field_validator("rules", mode="before")
    @classmethod
    def _no_rollout_in_rules(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and value.get("rollout"):  # a dump holds an empty one
            hint = "write each phase as a [[rollout.phases]] table"
            raise invalid('the key "rollout" does not belong in [rules]', hint)
        if isinstance(value, Mapping) and isinstance(value.get("output"), Mapping):
            raise invalid('the key "output" does not belong in [rules]', "write it as [output]")
        return value

    @field_validator("connectors", mode="before")
    @classmethod
    def _typed_connectors(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, Mapping):
            return value
        typed, problems = _validate_connectors(value, info.context)
        if problems:
            raise invalid("; ".join(str(p) for p in problems))
        return typed

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Config:
        context = info.context or {}
        self._base_dir = Path(context.get("base_dir") or Path.cwd())
        if not context.get("defer_checks") and (problems := cross_check(self)):
            raise ConfigError(problems=problems)
        return self

    @property
    def base_dir(self) -> Path:
        """The folder of the config file; relative paths in it were resolved against it."""
        return self._base_dir

    @property
    def settings(self) -> Settings:
        """The rule parameters of ``[rules]`` with the phases of ``[[rollout.phases]]`` and
        the page style of ``[output]``."""
        return self.rules.model_copy(update={"rollout": self.rollout.phases, "output": self.output})

    @property
    def state_path(self) -> Path:
        return self.state.path

    def calendar(self) -> BusinessCalendar:
        org = self.org
        return BusinessCalendar(
            timezone=org.timezone,
            country=org.holiday_country,
            subdivision=org.holiday_subdivision,
            extra_days_off=org.extra_days_off,
            weekend=org.weekend,
        )

    def snapshot_people(self) -> tuple[tuple[Person, ...], tuple[ProductArea, ...]]:
        """People and product areas for ``Snapshot(people=..., product_areas=...)``."""
        return self.org.people, self.org.product_areas

    def connector(self, role: ConnectorRole) -> tuple[str, ConnectorConfig]:
        """The name and config of the connector that serves ``role``."""
        name: str = getattr(self.roles, role)
        return name, self.connectors[name]

    def notifiers(self) -> list[str]:
        """The names of the connectors that send messages, in routing order."""
        named = self.roles.notifier
        return [] if named is None else [named] if isinstance(named, str) else list(named)

    def wiki_connector(self) -> tuple[str, ConnectorConfig]:
        return self.connector("wiki")


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    text: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read and validate the file at ``path``, or the TOML ``text`` given instead (relative
    paths in it relative to ``base_dir``, the working directory by default); raises one
    ``ConfigError`` listing every problem found.

    ``environ`` (the process environment by default) resolves ``${env:VAR}`` references
    and ``OPSYNC_<TABLE>__<KEY>`` overrides (docs/configuration.md).
    """
    if text is not None:
        if path is not None:
            raise TypeError("load_config takes a path or text, not both")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise toml_error(exc, text, Path("<text>")) from None
        return parse_config(data, base_dir=Path(base_dir or Path.cwd()).resolve(), environ=environ)
    if path is None:
        raise TypeError("load_config needs a path or text")
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        hint = "create one with `opsync init`, or check the path"
        raise ConfigError("file not found", file=path, hint=hint) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", file=path, hint="save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", file=path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(exc, text, path) from None
    return parse_config(data, base_dir=path.resolve().parent, file=path, environ=environ)


def parse_config(
    data: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str],
    file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Validate a parsed TOML document (or a dict built in code) whose relative paths are
    relative to ``base_dir``, with the environment applied as :func:`load_config` does."""
    base_dir = Path(base_dir)
    context: dict[str, Any] = {"base_dir": base_dir, "defer_checks": True}
    problems: list[ConfigProblem] = []
    resolved = resolve(data, os.environ if environ is None else environ)
    raw = strip_secrets(resolved.data, (), problems)
    connector_problems: list[ConfigProblem] = []
    if isinstance(raw.get("connectors"), Mapping):
        raw["connectors"], connector_problems = _validate_connectors(raw["connectors"], context)
    try:
        config = Config.model_validate(raw, context=context)
    except ValidationError as exc:
        problems += problems_from(exc, Config, raw)
    else:  # references between tables are checked once every table is valid
        problems += cross_check(config, roles=not connector_problems)
    problems += connector_problems
    problems = explain(problems, resolved)
    if problems:
        order = {name: i for i, name in enumerate(Config.model_fields)}
        problems.sort(key=lambda p: order.get(re.split(r"[.\[]", p.key)[0], -1))
        raise ConfigError(problems=problems, file=file)
    return config


def _outside(
    config: ConnectorConfig, base: Path | None, path: tuple[str, ...]
) -> list[ConfigProblem]:
    """The folders of ``config`` that opsync writes into and that lie outside ``base``."""
    if base is None or getattr(config, "allow_outside", False):
        return []
    root = Path(os.path.realpath(base))
    problems: list[ConfigProblem] = []
    for field in sorted(config.WRITES_INTO):
        value = getattr(config, field)
        where = Path(os.path.realpath(value))
        if where != root and not where.is_relative_to(root):
            problems.append(
                ConfigProblem(
                    toml_path((*path, field)),
                    f"{value} is outside the config's folder {root}, and opsync writes there",
                    "move it inside that folder, or set allow_outside = true if it is meant",
                )
            )
    return problems


def _validate_connectors(
    raw: Mapping[str, Any], context: Mapping[str, Any] | None
) -> tuple[dict[str, ConnectorConfig], list[ConfigProblem]]:
    typed: dict[str, ConnectorConfig] = {}
    problems: list[ConfigProblem] = []
    base = (context or {}).get("base_dir")
    for name, entry in raw.items():
        path = ("connectors", name)
        if isinstance(entry, ConnectorConfig):
            typed[name] = entry
            continue
        kind = entry.get("type") if isinstance(entry, Mapping) else None
        model = connector_model(kind) if isinstance(kind, str) else None
        if model is None:
            known = connector_types()
            hint = suggest(str(kind or ""), known) + f"known types: {', '.join(known)}"
            if not isinstance(entry, Mapping):
                problems.append(ConfigProblem(toml_path(path), "expected a table", hint))
            else:
                message = f'unknown connector type "{kind}"' if kind else "type is missing"
                problems.append(ConfigProblem(toml_path((*path, "type")), message, hint))
            continue
        try:
            config = model.model_validate(entry, context=context)
        except ValidationError as exc:
            problems += problems_from(exc, model, entry, path)
            continue
        paths = {k: _under(base, v) for k, v in config if isinstance(v, Path)}
        typed[name] = config.model_copy(update=paths)
        problems += _outside(typed[name], base, path)
    return typed, problems


__all__ = [
    "CONNECTOR_ROLES",
    "AliasesConfig",
    "Config",
    "ConnectorConfig",
    "ConnectorRole",
    "OrgConfig",
    "RolesConfig",
    "RolloutConfig",
    "StateConfig",
    "TokenConnectorConfig",
    "connector_model",
    "connector_types",
    "load_config",
    "parse_config",
    "register_connector_config",
]
