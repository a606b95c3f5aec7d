"""Block Kit checks chat.postMessage and chat.update apply to ``blocks``.

Limits, each from the block reference at https://docs.slack.dev/reference/block-kit/blocks:
at most 50 blocks in a message; section ``text`` at most 3,000 characters and at most 10
``fields`` of at most 2,000 each (.../blocks/section-block); header ``text`` plain_text of
at most 150 (.../blocks/header-block); context at most 10 ``elements``
(.../blocks/context-block); ``block_id`` at most 255 (every block page); markdown block text
at most 12,000 (.../blocks/markdown-block).

A ``blocks`` value that is not JSON or not an array is ``invalid_blocks_format``; a block
that breaks a rule is ``invalid_blocks`` with Slack's ``errors`` list and the same lines
under ``response_metadata.messages``, worded as a real answer was:
``must be less than 3001 characters [json-pointer:/blocks/0/text/text]`` (quoted in
https://brainxx.org/blog/fixing-slack-api-error-message). The other wordings follow that
pattern; they are not confirmed against slack.com.
"""

from __future__ import annotations

import json
from typing import Any

from opsync.testing.emulators.slack_faults import SlackError

MAX_BLOCKS = 50
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
BLOCK_ID = 255
MARKDOWN_TEXT = 12000
#: Block types a message may carry (input blocks are for modals and Home tabs only).
MESSAGE_BLOCKS = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


def parse_blocks(value: Any) -> list[dict[str, Any]]:
    """The blocks as sent (a JSON string in a form, an array in a JSON body), checked."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if not isinstance(value, list):
        raise SlackError("invalid_blocks_format")
    problems = list(_problems(value))
    if problems:
        raise SlackError(
            "invalid_blocks",
            {
                "errors": problems,
                "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
            },
        )
    return value


def _problems(blocks: list[Any]) -> list[str]:
    if len(blocks) > MAX_BLOCKS:
        return [f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"]
    found: list[str] = []
    for index, block in enumerate(blocks):
        found.extend(_block_problems(block, f"/blocks/{index}"))
    return found


def _block_problems(block: Any, at: str) -> list[str]:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"missing required field: type [json-pointer:{at}]"]
    kind = block["type"]
    if kind not in MESSAGE_BLOCKS:
        return [f"unsupported type: {kind} [json-pointer:{at}/type]"]
    found = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > BLOCK_ID):
        found.append(f"must be less than {BLOCK_ID + 1} characters [json-pointer:{at}/block_id]")
    if kind == "section":
        found.extend(_section(block, at))
    elif kind == "header":
        found.extend(_text_object(block.get("text"), f"{at}/text", HEADER_TEXT, plain=True))
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            found.append(f"missing required field: elements [json-pointer:{at}]")
        elif len(elements) > CONTEXT_ELEMENTS:
            found.append(
                f"no more than {CONTEXT_ELEMENTS} items allowed [json-pointer:{at}/elements]"
            )
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str):
            found.append(f"missing required field: text [json-pointer:{at}]")
        elif len(text) > MARKDOWN_TEXT:
            found.append(
                f"must be less than {MARKDOWN_TEXT + 1} characters [json-pointer:{at}/text]"
            )
    return found


def _section(block: dict[str, Any], at: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        return [f"must provide either text or fields [json-pointer:{at}]"]
    found = []
    if text is not None:
        found.extend(_text_object(text, f"{at}/text", SECTION_TEXT))
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > SECTION_FIELDS:
            found.append(f"no more than {SECTION_FIELDS} items allowed [json-pointer:{at}/fields]")
        else:
            for index, item in enumerate(fields):
                found.extend(_text_object(item, f"{at}/fields/{index}", FIELD_TEXT))
    return found


def _text_object(value: Any, at: str, limit: int, *, plain: bool = False) -> list[str]:
    allowed = {"plain_text"} if plain else TEXT_TYPES
    if not isinstance(value, dict) or value.get("type") not in allowed:
        return [f"failed to match all allowed schemas [json-pointer:{at}]"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [f"missing required field: text [json-pointer:{at}]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{at}/text]"]
    return []
