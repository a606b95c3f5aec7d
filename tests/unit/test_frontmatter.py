"""Front matter is edited in place: people's bytes survive, only owned keys change."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsync.connectors.local import frontmatter

HUMAN = """---
# Notes from the PM, keep this comment
title: "Usage alerts: v2"   # quoted on purpose
enablement_status: drafting
notes: |
  first line
  second line
owners:
- ana
- ben
---
Body written by a person.
"""


def test_owned_key_is_replaced_and_everything_else_is_byte_identical() -> None:
    edited = frontmatter.set_keys(HUMAN, {"enablement_status": "late"})
    assert edited == HUMAN.replace("enablement_status: drafting", "enablement_status: late")


def test_new_keys_are_appended_at_the_end_of_the_front_matter() -> None:
    edited = frontmatter.set_keys(HUMAN, {"handoff_due": date(2026, 12, 1)})
    assert edited.startswith(HUMAN.split("---\nBody")[0])
    assert "- ben\nhandoff_due: 2026-12-01\n---\nBody written by a person.\n" in edited
    assert frontmatter.split(edited).data["handoff_due"] == date(2026, 12, 1)


def test_block_values_are_replaced_whole_and_comments_after_them_survive() -> None:
    text = "---\na: 1\nlist:\n- x\n- y\n# after the list\nb: 2\n---\n"
    edited = frontmatter.set_keys(text, {"list": ["z"]})
    assert edited == "---\na: 1\nlist: [z]\n# after the list\nb: 2\n---\n"


@pytest.mark.parametrize(
    "value", ["yes", "2026-01-01", "a: b", "# not a comment", "'quoted'", "ünï 🚀", "", None, 3]
)
def test_values_round_trip_through_yaml(value: object) -> None:
    text = frontmatter.set_keys("---\n---\n", {"v": value})
    assert frontmatter.split(text).data["v"] == value


def test_a_file_without_front_matter_gets_one_and_keeps_its_body() -> None:
    assert frontmatter.set_keys("Just text\n", {"k": 1}) == "---\nk: 1\n---\nJust text\n"


def test_crlf_files_keep_their_line_endings_outside_owned_lines() -> None:
    text = "---\r\ntitle: x\r\nstatus: a\r\n---\r\nbody\r\n"
    edited = frontmatter.set_keys(text, {"status": "b"})
    assert "title: x\r\n" in edited and edited.endswith("body\r\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\n---\n", "not valid YAML"),
        ("---\n- a\n- b\n---\n", "must be a mapping"),
        ("---\ntitle: x\n", "never closed"),
    ],
)
def test_broken_front_matter_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(frontmatter.FrontMatterError, match=message):
        frontmatter.split(text)


def _split_by_lines(text: str) -> tuple[list[str], str] | None:
    """The front matter's lines and the body as ``split`` found them when it cut the whole
    text with ``str.splitlines`` (None: never closed); ``split`` now stops at the fence."""
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            return lines[1:index], "".join(lines[index + 1 :])
    return None


_WORDS = ["---", "a: 1", "b: x", " ", "#c", "---x", "body", "--- ", "-", "é", "🟡"]
_ENDS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
_PIECES = st.sampled_from([*_WORDS, *_ENDS])


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["---\n", "---\r\n"]), st.lists(_PIECES, max_size=14))
def test_split_cuts_the_lines_splitlines_cuts_up_to_the_fence_only(
    opening: str, pieces: list[str]
) -> None:
    text = opening + "".join(pieces)
    expected = _split_by_lines(text)
    if expected is None:
        with pytest.raises(frontmatter.FrontMatterError, match="never closed"):
            frontmatter.split(text)
        return
    lines, body = expected
    try:
        parsed = frontmatter.split(text)
    except frontmatter.FrontMatterError as error:  # the lines found are not YAML: same lines
        assert "never closed" not in str(error)
        return
    assert (parsed.lines, parsed.body) == (lines, body)
    front = frontmatter.head(text)  # the same, without the body's copy
    assert (front.data, front.lines, text[front.at :]) == (parsed.data, lines, body)


def test_a_large_body_is_split_off_whole() -> None:
    body = "".join(f"- line {n} 🟡\n" for n in range(50_000))
    parsed = frontmatter.split("---\nopsync_key: action-list\n---\n" + body)
    assert parsed.data == {"opsync_key": "action-list"} and parsed.body == body
