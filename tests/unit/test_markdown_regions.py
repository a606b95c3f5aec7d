"""Owned regions: found by key, hand edits detected by checksum, splices keep the rest."""

from __future__ import annotations

from opsync.documents import markdown
from opsync.documents.markdown_regions import find_regions, splice
from opsync.documents.model import Document, para, region


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
