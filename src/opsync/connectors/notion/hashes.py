"""What opsync last wrote on a collection row, so a person's edit of an owned property is
told apart from opsync's own (docs/concepts.md, "Conflicts").

Every row write also stores, in the row's ``opsync hashes`` text property, a short hash of
each owned field it wrote, taken from the request body read back the way a read parses the
row (so a value Notion stores differently from how opsync holds it still matches). A read
hashes each owned value again: a field whose hash differs from the stored one was changed by
someone else since opsync wrote it. The hashes live on the row itself, as the local
workspace keeps its sum in the front matter, so a lost state store or mirror forgets no
edit. A row without the property (made by hand, or by an older opsync) has no edits until
opsync first writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

HASHES_FIELD = "hashes"  # the pseudo-field of the property, renamable like any field


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 3 and 3.0 are one number; JSON round trips may change which
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def value_hash(value: Any) -> str:
    """A short, stable fingerprint of one owned value."""
    text = json.dumps(_canonical(value), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def load_hashes(text: Any) -> dict[str, str]:
    """The stored hashes, by field; a missing or mangled property holds none."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def dump_hashes(hashes: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(hashes.items())), separators=(",", ":"))


def edited_fields(owned: Mapping[str, Any], stored: Mapping[str, str]) -> frozenset[str]:
    """Owned fields whose value is not the one opsync last wrote."""
    return frozenset(f for f, v in owned.items() if f in stored and stored[f] != value_hash(v))


__all__ = ["HASHES_FIELD", "dump_hashes", "edited_fields", "load_hashes", "value_hash"]
