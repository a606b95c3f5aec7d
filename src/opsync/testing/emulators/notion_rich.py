"""Rich text and block payloads: the size and nesting limits, and the response form.

The limits are the request-limits page's (NOTES.md section 4): 2000 characters per text
item, 100 elements per array, 100 children and two nesting levels per append, 1000 blocks
per request. The OpenAPI document states none of them (SOURCES.md), so they are checked
here, with the real API's message shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsync.testing.emulators.notion_errors import body_invalid, invalid, too_long

MAX_TEXT = 2000
MAX_URL = 2000
MAX_EQUATION = 1000
MAX_ARRAY = 100
MAX_BLOCKS = 1000
MAX_NESTING = 2

DEFAULT_ANNOTATIONS: dict[str, Any] = {
    "bold": False,
    "italic": False,
    "strikethrough": False,
    "underline": False,
    "code": False,
    "color": "default",
}

BLOCK_TYPES = frozenset(
    {
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item",
        "numbered_list_item", "to_do", "toggle", "quote", "callout", "code", "divider",
        "table", "table_row", "column_list", "column", "bookmark", "embed", "image",
        "video", "file", "pdf", "audio", "equation", "synced_block", "table_of_contents",
        "breadcrumb", "link_to_page",
    }
)  # fmt: skip


def check_array(items: Any, path: str) -> list[Any]:
    if not isinstance(items, list):
        raise body_invalid(path, "should be an array", items)
    if len(items) > MAX_ARRAY:
        raise too_long(path, MAX_ARRAY, len(items))
    return items


def rich_text(items: Any, path: str) -> list[dict[str, Any]]:
    """Request rich text to the response form, enforcing the per-item and per-array limits."""
    return [_rich_item(item, f"{path}[{i}]") for i, item in enumerate(check_array(items, path))]


def _rich_item(item: Any, path: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise body_invalid(path, "should be an object", item)
    annotations = {**DEFAULT_ANNOTATIONS, **(item.get("annotations") or {})}
    if "text" in item:
        text = item["text"]
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str):
            raise body_invalid(f"{path}.text.content", "should be a string", content)
        if len(content) > MAX_TEXT:
            raise too_long(f"{path}.text.content", MAX_TEXT, len(content))
        link = text.get("link")
        if link is not None:
            url = link.get("url", "") if isinstance(link, dict) else ""
            if len(url) > MAX_URL:
                raise too_long(f"{path}.text.link.url", MAX_URL, len(url))
        href = link.get("url") if isinstance(link, dict) else None
        return {
            "type": "text",
            "text": {"content": content, "link": link},
            "annotations": annotations,
            "plain_text": content,
            "href": href,
        }
    if "equation" in item:
        expression = str(item["equation"].get("expression", ""))
        if len(expression) > MAX_EQUATION:
            raise too_long(f"{path}.equation.expression", MAX_EQUATION, len(expression))
        return {
            "type": "equation",
            "equation": {"expression": expression},
            "annotations": annotations,
            "plain_text": expression,
            "href": None,
        }
    if "mention" in item:
        mention = dict(item["mention"])
        kind = mention.get("type") or next(iter(k for k in mention if k != "type"), "")
        mention["type"] = kind
        if kind == "date":
            mention["date"] = {"end": None, "time_zone": None, **mention["date"]}
        plain = str(mention["date"]["start"]) if kind == "date" else "Untitled"
        return {
            "type": "mention",
            "mention": mention,
            "annotations": annotations,
            "plain_text": plain,
            "href": None,
        }
    raise body_invalid(path, "should have one of text, mention or equation", item)


def plain_text(items: list[dict[str, Any]]) -> str:
    return "".join(str(item.get("plain_text", "")) for item in items)


@dataclass
class BlockSpec:
    """One validated block of a request, its content in response form and its children."""

    type: str
    content: dict[str, Any]
    children: list[BlockSpec] = field(default_factory=list)


def blocks(children: Any, path: str = "body.children") -> list[BlockSpec]:
    """Validate an append (or page-create) payload: count, nesting depth and text limits."""
    specs = _blocks(children, path, depth=1)
    total = _count(specs)
    if total > MAX_BLOCKS:
        raise invalid(
            f"body failed validation: {path} contains {total} blocks, "
            f"should be ≤ `{MAX_BLOCKS}` block elements in one request."
        )
    return specs


def _count(specs: list[BlockSpec]) -> int:
    return sum(1 + _count(spec.children) for spec in specs)


def _blocks(children: Any, path: str, depth: int) -> list[BlockSpec]:
    items = check_array(children, path)
    return [_block(item, f"{path}[{i}]", depth) for i, item in enumerate(items)]


def _block(item: Any, path: str, depth: int) -> BlockSpec:
    if not isinstance(item, dict):
        raise body_invalid(path, "should be an object", item)
    kind = item.get("type") or next((k for k in item if k in BLOCK_TYPES), None)
    if kind not in BLOCK_TYPES or not isinstance(item.get(kind), dict):
        raise body_invalid(path, "should be a block object with a supported type", item)
    content, nested = content_of(kind, item[kind], f"{path}.{kind}")
    if nested is None:
        return BlockSpec(kind, content)
    child_path = f"{path}.{kind}.children"
    # "Two levels of nesting" below the appended blocks: three levels of blocks fit in one
    # request and the fourth is refused, as real errors show (ultimate-notion#305,
    # tryfabric/martian#15: `...children[i].X.children[j].X.children[k].X.children should be
    # not present`).
    if depth > MAX_NESTING:
        raise body_invalid(child_path, "should be not present", nested)
    return BlockSpec(kind, content, _blocks(nested, child_path, depth + 1))


def content_of(kind: str, raw: dict[str, Any], path: str) -> tuple[dict[str, Any], Any]:
    """A block's content in response form, and its nested children (None when absent)."""
    content = {k: v for k, v in raw.items() if k != "children"}
    if "rich_text" in content:
        content["rich_text"] = rich_text(content["rich_text"], f"{path}.rich_text")
    if kind == "table_row":
        cells = check_array(content.get("cells", []), f"{path}.cells")
        content["cells"] = [rich_text(c, f"{path}.cells[{i}]") for i, c in enumerate(cells)]
    if kind == "equation":
        expression = str(content.get("expression", ""))
        if len(expression) > MAX_EQUATION:
            raise too_long(f"{path}.expression", MAX_EQUATION, len(expression))
    if "rich_text" in content and kind not in {"code", "table_row"}:
        content.setdefault("color", "default")
    if kind == "paragraph":
        content.setdefault("icon", None)
    if kind.startswith("heading_"):
        content.setdefault("is_toggleable", False)
    if kind == "to_do":
        content.setdefault("checked", False)
    return content, raw.get("children")
