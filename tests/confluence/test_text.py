"""A bundle page's storage body read as the Markdown lines the bundle parser reads."""

from __future__ import annotations

from opsync.connectors.confluence.storage import Renderer
from opsync.connectors.confluence.text import outside_text
from opsync.documents.model import heading, para, region

REGION = Renderer().blocks((region("bundle.header", heading(2, "What changed"), para("ours")),))


def test_headings_lists_and_paragraphs_become_lines_and_regions_are_left_out() -> None:
    body = REGION + (
        "<h3>What changed</h3><p>Alerts &amp; quotas</p>"
        "<ul><li><p>one</p><ul><li>nested</li></ul></li><li>two</li></ul>"
        "<h3>FAQs</h3><table><tbody><tr><td>Q</td><td>A</td></tr></tbody></table>"
    )
    assert outside_text(body) == (
        "### What changed\nAlerts & quotas\n- one\n  - nested\n- two\n### FAQs\nQ\nA"
    )


def test_a_broken_or_absurdly_nested_body_reads_as_no_text_not_a_crash() -> None:
    assert outside_text("<p>unclosed") == ""
    assert outside_text("<div>" * 5000 + "x" + "</div>" * 5000) == ""
