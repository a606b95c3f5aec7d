"""Markdown back into the document tree (documents/markdown_read.py), as opsync migrate
uses it to carry a bundle page's sections into another wiki."""

from __future__ import annotations

from opsync.documents import markdown
from opsync.documents.markdown_read import PENDING, parse_document
from opsync.documents.model import BulletList, Heading, Link, Paragraph, Region, Table, Text


def test_headings_paragraphs_and_nested_lists_come_back_as_blocks() -> None:
    text = (
        "# The title\n\n### What changed\n\nOne line\nand its continuation.\n\n"
        "- first\n  - nested\n- second, wrapped\n  onto a second line\n\n1. step\n2.\n"
    )
    document = parse_document(text, title="fallback")
    assert document.title == "The title"
    heading, paragraph, bullets, numbered = document.children
    assert heading == Heading(level=3, text="What changed")
    assert isinstance(paragraph, Paragraph)
    assert paragraph.inlines == (Text(text="One line and its continuation."),)
    assert isinstance(bullets, BulletList) and not bullets.ordered
    assert [i.inlines[0].text for i in bullets.items] == [
        "first",
        "second, wrapped onto a second line",
    ]  # type: ignore[union-attr]
    assert bullets.items[0].children[0].inlines == (Text(text="nested"),)
    assert isinstance(numbered, BulletList) and numbered.ordered
    assert numbered.items[1].inlines == ()


def test_bold_italic_links_and_escapes_are_read_as_the_renderer_writes_them() -> None:
    document = parse_document(r"See **this**, *that* and [the PRD](https://x.example/p) a\_b", "t")
    (paragraph,) = document.children
    assert isinstance(paragraph, Paragraph)
    assert paragraph.inlines == (
        Text(text="See "),
        Text(text="this", bold=True),
        Text(text=", "),
        Text(text="that", italic=True),
        Text(text=" and "),
        Link(text="the PRD", url="https://x.example/p"),
        Text(text=" a_b"),
    )
    again = parse_document(markdown.render(document), "t")
    assert again == document


def test_a_region_becomes_an_empty_region_of_its_key_and_a_table_a_table() -> None:
    text = (
        "<!-- opsync:begin bundle.header sum=abc -->\n| A | B |\n| --- | --- |\n"
        "| 1 | 2 |\n<!-- opsync:end bundle.header -->\n\n| Q | A |\n|---|---|\n| x | y |\n"
    )
    region, table = parse_document(text, "t").children
    assert isinstance(region, Region) and region.key == "bundle.header"
    assert region.children == (Paragraph(inlines=(Text(text=PENDING),)),)
    assert isinstance(table, Table) and table.header == ("Q", "A")
    assert table.rows == (((Text(text="x"),), (Text(text="y"),)),)
