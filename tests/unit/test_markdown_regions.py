"""Owned regions: found by key, hand edits detected by checksum, splices keep the rest."""

from __future__ import annotations

import re

from opsync.documents import markdown, plaintext
from opsync.documents.markdown_regions import find_regions, parse_regions, splice
from opsync.documents.model import Document, Text, para, region


def _page() -> str:
    doc = Document(
        title="Weekly",
        children=(region("a", para("owned A")), para("human text"), region("b", para("owned B"))),
    )
    return markdown.render(doc)


def test_regions_are_found_and_unedited() -> None:
    spans = find_regions(_page())
    assert list(spans) == ["a", "b"]
    assert spans["a"].content == "owned A"
    assert not spans["a"].edited


def test_a_hand_edit_inside_a_region_is_detected() -> None:
    edited = _page().replace("owned A", "owned A, plus my note")
    assert find_regions(edited)["a"].edited
    assert not find_regions(edited)["b"].edited


def test_splice_replaces_one_region_and_keeps_other_bytes() -> None:
    page = _page().replace("human text", "human text\r\nwith *their* formatting")
    new_a = markdown.render_region(region("a", para("new A")))
    result = splice(page, {"a": new_a}, [])
    assert "new A" in result and "owned A" not in result
    assert "human text\r\nwith *their* formatting" in result
    assert result.count("opsync:begin") == 2
    assert not find_regions(result)["a"].edited


def test_splice_appends_new_regions_and_removes_emptied_ones() -> None:
    result = splice(_page(), {"b": ""}, [markdown.render_region(region("c", para("C")))])
    assert list(find_regions(result)) == ["a", "c"]
    assert result.endswith("<!-- opsync:end c -->\n")


def test_markdown_escapes_record_text() -> None:
    doc = Document(title="T", children=(para("CSV export: *beta* | <b>x</b> [link](u)"),))
    body = markdown.render(doc)
    assert "\\*beta\\* \\| \\<b\\>x\\</b\\> \\[link\\](u)" in body


def test_escaping_folds_every_unicode_whitespace_run_as_the_regular_expression_does() -> None:
    """The renderers skip folding printable text with no double space: every code point is
    checked against the plain definition, alone, doubled and between words, in Markdown and
    in plain text."""

    def reference(value: str) -> str:
        return re.sub(r"([\\`*_\[\]<>|#~])", r"\\\1", re.sub(r"\s+", " ", value))

    for start in range(0, 0x110000, 0x1000):
        chars = [chr(c) for c in range(start, start + 0x1000)]
        for value in ("".join(chars), "a".join(chars), "".join(c + c for c in chars)):
            assert markdown.escape(value) == reference(value)
            assert plaintext.render_inline(Text(text=value)) == re.sub(r"\s+", " ", value)
    for value in ("x \t\n y", " lead", "trail\u00a0", "a\u3000\u3000b", "- 1. * _"):
        assert markdown.escape(value) == reference(value)


# --- identity and damaged markers (issue 14, "Markers") ----------------------------------


def _owned(key: str, content: str, page: str | None = "p/1") -> str:
    return markdown.render_region(region(key, para(content)), page)


def test_markers_name_their_page_and_old_markers_still_count_as_the_pages_own() -> None:
    new, old = _owned("a", "A"), _owned("b", "B", page=None)
    assert new.startswith("<!-- opsync:begin a sum=") and " page=p/1 -->" in new
    assert " page=" not in old
    parsed = parse_regions(f"{new}\n\n{old}\n", "p/1")
    assert list(parsed.owned) == ["a", "b"] and not parsed.problems
    assert not parsed.owned["a"].edited and not parsed.owned["b"].edited


def test_a_region_of_another_page_is_not_this_pages() -> None:
    parsed = parse_regions("intro\n" + _owned("a", "A", page="p/2") + "\n", "p/1")
    assert parsed.owned == {} and not parsed.damaged
    assert [(p.kind, p.line) for p in parsed.problems] == [("foreign", 2)]
    assert (
        splice("x\n" + _owned("a", "A", page="p/2") + "\n", {"a": ""}, [], "p/1").count(
            "opsync:begin"
        )
        == 1
    )


def test_quoted_markers_are_text() -> None:
    region_text = _owned("a", "A")
    fenced = f"```\n{region_text}\n```\n"
    quoted = "".join(f"> {line}\n" for line in region_text.splitlines())
    inline = f"see `{region_text.splitlines()[0]}`\n"
    parsed = parse_regions(fenced + quoted + inline, "p/1")
    assert parsed.owned == {} and not parsed.damaged
    assert {p.kind for p in parsed.problems} == {"quoted"} and len(parsed.problems) == 5


def test_an_unclosed_fence_hides_no_region() -> None:
    parsed = parse_regions("```\nmy code\n\n" + _owned("a", "A") + "\n", "p/1")
    assert list(parsed.owned) == ["a"]


def test_damaged_pairs_name_their_line_and_block_the_key() -> None:
    a, b = _owned("a", "A"), _owned("b", "B")
    a_begin, a_end = a.splitlines()[0], a.splitlines()[-1]
    cases = {
        "begin without end": (a.replace(a_end, "my text") + "\n" + b + "\n", {"a"}, 1),
        "end without begin": ("x\n" + a.replace(a_begin, "my text") + "\n", {"a"}, 4),
        "mismatched": (a.replace(a_end, "<!-- opsync:end b -->") + "\n", {"a", "b"}, 1),
        "nested begin": (a_begin + "\nmine\n" + a + "\n", {"a"}, 1),
    }
    for name, (text, damaged, line) in cases.items():
        parsed = parse_regions(text, "p/1")
        assert parsed.damaged == damaged, name
        assert not damaged & set(parsed.owned), name
        assert any(p.kind == "damaged" and p.line == line for p in parsed.problems), name
        assert splice(text, dict.fromkeys(damaged, ""), [], "p/1") == text, name
    assert "b" in parse_regions(cases["begin without end"][0], "p/1").owned


def test_of_two_copies_the_unedited_one_is_opsyncs_and_two_edited_ones_are_damaged() -> None:
    a = _owned("a", "A")
    edited = a.replace("\nA\n", "\nA, mine\n")
    parsed = parse_regions(f"{edited}\n\n{a}\n", "p/1")
    assert parsed.owned["a"].line == 5 and [p.kind for p in parsed.problems] == ["duplicate"]
    both = parse_regions(f"{edited}\n\n{edited}\n", "p/1")
    assert both.damaged == {"a"} and both.owned == {}
