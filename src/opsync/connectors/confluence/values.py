"""Record values as Confluence holds them: in JSON (the ``opsync`` property, where dates are
tagged so they read back as dates) and in cells (text, read back into the domain's types)."""

from __future__ import annotations

import types
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin

from opsync.connectors.records import RECORD_MODELS, RELEASE_WIKI_FIELDS
from opsync.domain import Collection, Release


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return get_origin(annotation) in (list, tuple)


def list_fields(collection: Collection) -> frozenset[str]:
    """Fields whose value is a list, read from a cell's items (or its lines)."""
    if collection is Collection.RELEASES:
        nested = {
            flat
            for flat, (group, name) in RELEASE_WIKI_FIELDS.items()
            if _is_list(Release.model_fields[group].annotation.model_fields[name].annotation)  # type: ignore[union-attr]
        }
        return frozenset(nested)
    model = RECORD_MODELS.get(collection)
    fields = model.model_fields if model is not None else {}
    return frozenset(f for f, info in fields.items() if _is_list(info.annotation))


def encode(value: Any) -> Any:
    """A plain value as JSON can hold it; dates tagged so they read back as dates (the
    engine compares owned values by type as well as value); a datetime keeps its time."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$date"}:
        return date.fromisoformat(value["$date"])
    if isinstance(value, dict) and set(value) == {"$datetime"}:
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


__all__ = ["decode", "encode", "list_fields"]
