"""Configuration from the environment: ``${env:VAR}`` in the file's text values, and
``OPSYNC_<TABLE>__<KEY>`` variables that override a key (docs/configuration.md,
"Configuration from the environment").

A container image or a scheduler gives each deployment its own values through the
environment (a database URL, a Notion database ID per organisation) while one
``opsync.toml`` is committed and shared. Precedence, highest first: an ``OPSYNC_*``
variable, then the file's value (with its ``${env:VAR}`` references replaced), then the
default. A reference to a variable that is not set is a problem on the key that holds it,
naming the variable, unless the reference gives a default (``${env:VAR:-default}``). A
value that came from the environment is never repeated in a problem when its key or its
variable looks like a secret (a token, a password, a URL that may hold one).

Secrets themselves still never go in the file: a connector names the variable that holds
its token (``token_env``), and the library takes a ``secrets`` mapping instead.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from opsync.config_problems import toml_path
from opsync.errors import ConfigProblem

#: ``${env:NAME}``, ``${env:NAME:-default}``, and ``$${env:`` for a literal ``${env:``.
_REFERENCE = re.compile(
    r"\$(?P<escaped>\$\{env:)|\$\{env:(?P<name>[^}]*?)(?::-(?P<default>[^}]*))?\}"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OVERRIDE_PREFIX = "OPSYNC_"
_SECRET_KEY = re.compile(
    r"(?:.*_)?(?:token|password|passwd|secret|api_?key|access_key|private_key|credentials?"
    r"|dsn|url|uri)",
    re.IGNORECASE,
)
_SECRET_WORDS = frozenset(
    {"TOKEN", "PASSWORD", "PASSWD", "PASS", "PAT", "SECRET", "KEY", "CREDENTIAL"}
    | {"CREDENTIALS", "AUTH", "DSN", "URL", "URI"}
)
HIDDEN = "(a value hidden: it may be a secret)"


@dataclass(frozen=True)
class Origin:
    """Where a key's value came from, to say so in a problem about it.

    Attributes:
        source: ``${env:NAME}`` or the ``OPSYNC_*`` variable that set it.
        value: the value it resolved to.
        secret: the key or the variable looks like a secret: the value is never shown.
    """

    source: str
    value: str
    secret: bool


def looks_secret(key: str | int, variables: list[str]) -> bool:
    """A key or variable name that may hold a secret (``password``, ``state.url``,
    ``NOTION_TOKEN``, ``DATABASE_URL``)."""
    if isinstance(key, str) and _SECRET_KEY.fullmatch(key):
        return True
    return any(_SECRET_WORDS & set(v.upper().split("_")) for v in variables)


@dataclass
class Resolved:
    """A parsed document with the environment applied, where each value came from, and
    the problems found doing it."""

    data: dict[str, Any]
    origins: dict[str, Origin]
    problems: list[ConfigProblem]


def resolve(data: Mapping[str, Any], environ: Mapping[str, str]) -> Resolved:
    """``data`` with every ``${env:VAR}`` replaced, then every ``OPSYNC_*`` override set."""
    found = Resolved({}, {}, [])
    found.data = _interpolate(data, (), environ, found)
    for variable in sorted(environ):
        if variable.startswith(OVERRIDE_PREFIX) and "__" in variable:
            _override(variable, environ[variable], found)
    return found


def _interpolate(
    node: Any, path: tuple[str | int, ...], env: Mapping[str, str], found: Resolved
) -> Any:
    if isinstance(node, str):
        return _substitute(node, path, env, found)
    if isinstance(node, Mapping):
        return {k: _interpolate(v, (*path, k), env, found) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, (*path, i), env, found) for i, v in enumerate(node)]
    return node


def _substitute(
    text: str, path: tuple[str | int, ...], env: Mapping[str, str], found: Resolved
) -> str:
    key = toml_path(path)
    used: list[str] = []

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return match["escaped"]
        name, default = match["name"], match["default"]
        if not _NAME.fullmatch(name):
            hint = "write ${env:NAME} with a variable name of letters, digits and _"
            found.problems.append(ConfigProblem(key, f'"{match[0]}" names no variable', hint))
            return match[0]
        used.append(name)
        value = env.get(name)
        if default is not None and not value:  # as the shell's ${VAR:-default}: unset or empty
            return default
        if value is None:
            hint = f"set {name} where opsync runs, or give a default: ${{env:{name}:-…}}"
            message = f"the environment variable {name} is not set"
            found.problems.append(ConfigProblem(key, message, hint))
            return match[0]
        return value

    out = _REFERENCE.sub(one, text)
    if used:
        source = ", ".join(f"${{env:{name}}}" for name in used)
        found.origins[key] = Origin(source, out, looks_secret(path[-1], used))
    return out


def _override(variable: str, raw: str, found: Resolved) -> None:
    """Set the key ``OPSYNC_STATE__PATH`` names (``state.path``) to the variable's value."""
    parts = variable.removeprefix(OVERRIDE_PREFIX).lower().split("__")
    if not all(parts):
        hint = "name a key as OPSYNC_<TABLE>__<KEY>, e.g. OPSYNC_STATE__PATH"
        found.problems.append(ConfigProblem("", f"{variable} names no key", hint))
        return
    node = found.data
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = toml_path(parts[: depth + 1])
            message = f"{variable} cannot set a key inside {where}, which is not a table"
            found.problems.append(ConfigProblem(where, message, f"unset {variable}"))
            return
        node = child
    node[parts[-1]] = _value(raw)
    found.origins[toml_path(parts)] = Origin(variable, raw, looks_secret(parts[-1], [variable]))


def _value(raw: str) -> Any:
    """An override's value: a TOML list or inline table when written as one, else the text
    (which a number, true/false or a date key reads as it would read it from the file)."""
    if raw.lstrip().startswith(("[", "{")):
        try:
            return tomllib.loads(f"value = {raw}")["value"]
        except tomllib.TOMLDecodeError:
            return raw
    return raw


def explain(problems: list[ConfigProblem], found: Resolved) -> list[ConfigProblem]:
    """``problems`` each saying which variable set its key, with the value hidden where it
    may be a secret; problems of keys whose variable is missing are said once (by it)."""
    unresolved = {p.key for p in found.problems}
    out: list[ConfigProblem] = []
    for problem in problems:
        origin = _origin(problem.key, found.origins)
        if origin is None:
            out.append(problem)
            continue
        if problem.key in unresolved:
            continue
        message, hint = problem.message, problem.hint
        if origin.secret and origin.value:
            for shown in (json.dumps(origin.value), origin.value):
                message, hint = message.replace(shown, HIDDEN), hint.replace(shown, HIDDEN)
        out.append(replace(problem, message=f"{message} (set by {origin.source})", hint=hint))
    return found.problems + out


def _origin(key: str, origins: Mapping[str, Origin]) -> Origin | None:
    """The origin of ``key`` or of the value it lies in (``org.weekend`` for
    ``org.weekend[0]``)."""
    for where, origin in origins.items():
        if key == where or key.startswith((f"{where}.", f"{where}[")):
            return origin
    return None


__all__ = ["HIDDEN", "OVERRIDE_PREFIX", "Origin", "Resolved", "explain", "looks_secret", "resolve"]
