"""How a person's value becomes a domain value, the same for every record of every target.

RULES.md "Reading input": a blank or null value means "missing", never an unreadable
record, and an enumeration accepts the pack's own spelling in any letter case. People type
``severity: High`` (the pack's taxonomy writes it so), leave ``rationale:`` empty while they
think, or copy "Won’t do" with a curly apostrophe from a document. Each of these is read
here, once, by the before-validator every domain model inherits (:class:`Model`), so a
field added to a record, or a connector added to opsync, reads values the same way.

An organisation's own words for a value ("P1" for High) are its aliases, from the config's
``[aliases]`` table; they reach the validator through pydantic's validation context
(:data:`ALIASES`), since the domain knows nothing of config files.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

#: The key of the validation context that holds the organisation's aliases: for each
#: enumeration, alias (as :func:`spelling` folds it) → the member it stands for.
ALIASES = "aliases"
Aliases = Mapping[type[Enum], Mapping[str, Enum]]

_PARENTHESIS = re.compile(r"\s*\([^()]*\)$")
#: Spellings of the pack's prose that are not a member's value (pack section 5, "Decision
#: path": "(a) add to backlog, (b) needs more research"; section 3, the Launch Readiness
#: Check decides "Ship/hold/delay", and ship is a go).
_PROSE: dict[str, str] = {
    "add to backlog": "backlog",
    "needs more research": "needs research",
    "ship": "go",
}


def spelling(value: str) -> str:
    """``value`` folded the way people's spellings of one word differ: letter case, curly
    apostrophes, hyphens, underscores and runs of spaces ("Won’t_do" and "won't do")."""
    folded = value.casefold().replace("’", "'").replace("_", " ").replace("-", " ")
    return " ".join(folded.split())


@cache
def spellings(enum: type[Enum]) -> Mapping[str, Enum]:
    """Every spelling of the pack that names a member of ``enum``, folded: the value, the
    member's name, the pack's prose for it, and for a tier "3", "High" and "Tier 3"."""
    found: dict[str, Enum] = {}
    for each in enum:
        names = [str(each.value), each.name]
        label = getattr(each, "label", None)
        if isinstance(label, str):  # Tier: the pack writes "Tier 3 (High)"
            names += [label, f"tier {each.value}"]
        for name in names:
            found[spelling(name)] = each
    for prose, value in _PROSE.items():
        spelt = next((m for m in enum if m.value == value), None)
        if spelt is not None:
            found[spelling(prose)] = spelt
    return found


def member(enum: type[Enum], value: Any, aliases: Aliases | None = None) -> Any:
    """The member of ``enum`` that ``value`` spells, or ``value`` itself when none does (the
    model's own validation then says what is wrong with it). The pack's spellings come
    first, then the organisation's aliases (which may not reuse a pack spelling); a
    trailing note in parentheses ("High (blocking/churning)", as the pack's taxonomy table
    writes it) is dropped when the whole text names nothing."""
    if isinstance(value, Enum) or not isinstance(value, str | int) or isinstance(value, bool):
        return value
    folded = spelling(str(value))
    own = (aliases or {}).get(enum, {})
    for candidate in (folded, spelling(_PARENTHESIS.sub("", folded))):
        found = spellings(enum).get(candidate) or own.get(candidate)
        if found is not None:
            return found
    return value


def blank(value: Any) -> bool:
    """True for a value that says nothing: null, or text of only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


class _Field:
    """What the before-validator needs to know of one field, worked out once per model."""

    __slots__ = ("enum", "keeps_blank_text")

    def __init__(self, annotation: Any, required: bool) -> None:
        args = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()
        options = [a for a in args if a is not type(None)] or [annotation]
        self.enum = next((a for a in options if isinstance(a, type) and issubclass(a, Enum)), None)
        # A required text field keeps its blank text (a release with an empty title is
        # still a release, shown by its key); anywhere else blank is the same as absent.
        self.keeps_blank_text = required and annotation is str


@cache
def _fields(model: type[BaseModel]) -> Mapping[str, _Field]:
    return {
        name: _Field(
            info.annotation, info.default is PydanticUndefined and not info.default_factory
        )
        for name, info in model.model_fields.items()
    }


def read_values(model: type[BaseModel], data: Any, context: Any) -> Any:
    """``data`` as ``model`` should validate it: blank values left out, so the default
    applies (or the field is reported missing), and enumeration values spelt as members."""
    if not isinstance(data, Mapping):
        return data
    aliases = context.get(ALIASES) if isinstance(context, Mapping) else None
    fields = _fields(model)
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            out[name] = value  # an unknown key: the model refuses it by name
        elif blank(value) and not (field.keeps_blank_text and isinstance(value, str)):
            continue
        else:
            out[name] = member(field.enum, value, aliases) if field.enum else value
    return out
