"""The HTML (and plain-text) renderers of the document tree that email messages use: every
text escaped, only http(s)/mailto links, nested lists and tables, the look inline."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from opsync.documents import html, plaintext
from opsync.documents.model import (
    Document,
    Link,
    StatusChip,
    Tone,
    bullets,
    cell,
    heading,
    item,
    para,
    region,
    table,
    text,
)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text between tags."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.list_depth: dict[str, int] = {}  # text → how many lists it is inside
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("br", "meta"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if data.strip():
            self.list_depth[data.strip()] = sum(t in ("ul", "ol") for t in self.open)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


HOSTILE = "<script>alert('x')</script> & \"quotes\""


def test_user_text_is_escaped_everywhere() -> None:
    doc = Document(
        title=HOSTILE,
        children=(
            heading(2, HOSTILE),
            para(HOSTILE, text(HOSTILE, bold=True)),
            bullets(item(HOSTILE)),
            table((HOSTILE,), [(cell(HOSTILE),)]),
            para(StatusChip(label=HOSTILE, tone=Tone.RED)),
            para(Link(text=HOSTILE, url="https://example.com/?a=1&b=<2>")),
        ),
    )

    out = html.render(doc)
    parsed = Tags(out)

    assert "<script" not in out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in out
    assert not parsed.named("script")
    # the text a reader sees is the user's text, literally
    assert sum(chunk.count(HOSTILE) for chunk in parsed.text) >= 7
    assert parsed.named("a")[0]["href"] == "https://example.com/?a=1&b=<2>"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "pages/weekly/2026-W49.md",
        "//evil.example/x",
        "https://",
        "mailto:",
        "http://[::1",
    ],
)
def test_only_http_and_mailto_urls_become_links(url: str) -> None:
    out = html.render_inline(Link(text="Open", url=url))

    assert "<a" not in out
    assert "href" not in out
    assert out.startswith("Open")
    assert "<script" not in out


@pytest.mark.parametrize(
    "url", ["https://wiki.example/page?id=1", "http://localhost:8000/x", "mailto:ops@example.com"]
)
def test_http_https_and_mailto_links_are_kept(url: str) -> None:
    parsed = Tags(html.render_inline(Link(text="Open", url=url)))

    (anchor,) = parsed.named("a")
    assert anchor["href"] == url
    assert "color:" in (anchor["style"] or "")
    assert parsed.text == ["Open"]


def test_a_path_is_shown_as_text_with_the_link_text() -> None:
    assert html.link("The page", "pages/x.md") == "The page (pages/x.md)"


def test_nested_lists_nest_and_keep_their_kind() -> None:
    tree = bullets(
        item("Launches", children=(item("SSO", children=(item("Tier 3"),)), item("BigQuery"))),
        item("Risks"),
    )

    out = html.render_block(tree)

    depth = Tags(out).list_depth
    assert depth == {"Launches": 1, "SSO": 2, "Tier 3": 3, "BigQuery": 2, "Risks": 1}
    ordered = html.render_block(tree.model_copy(update={"ordered": True}))
    assert ordered.count("<ol") == 3 and "<ul" not in ordered


def test_tables_have_a_header_row_and_inline_cells() -> None:
    node = table(
        ("Release", "Status"),
        [
            (cell(Link(text="SSO", url="https://t.example/1")), cell(StatusChip(label="On track"))),
            (cell(text("Beta", italic=True)), cell("late & <risky>")),
        ],
    )

    out = html.render_block(node)
    parsed = Tags(out)

    assert [t for t, _ in parsed.tags].count("th") == 2
    assert [t for t, _ in parsed.tags].count("td") == 4
    assert parsed.named("a")[0]["href"] == "https://t.example/1"
    assert "<em>Beta</em>" in out
    assert "late &amp; &lt;risky&gt;" in out


def test_the_look_is_inline_with_no_style_block() -> None:
    doc = Document(
        title="Weekly",
        children=(
            region("r", heading(2, "Highlights"), para(text("Big", bold=True), " week")),
            bullets("one"),
        ),
    )

    out = html.render(doc)
    parsed = Tags(out)

    assert "<style" not in out and "class=" not in out
    for tag in ("h1", "h2", "p", "ul", "li"):
        assert all(attrs.get("style") for attrs in parsed.named(tag)), tag
    assert "<strong>Big</strong> week" in out
    assert "opsync:begin" not in out  # regions render as their content


def test_text_without_a_document_becomes_escaped_paragraphs() -> None:
    out = html.text_paragraphs("Hello <team>,\nline two\n\nSecond & last")

    assert out.count("<p ") == 2
    assert "Hello &lt;team&gt;,<br>line two" in out
    assert "Second &amp; last" in out


def test_plain_text_reads_without_markup() -> None:
    doc = Document(
        title="Weekly *update*",
        children=(
            heading(2, "Launches"),
            bullets(
                item(
                    Link(text="SSO [beta]", url="https://t.example/1"),
                    " — ",
                    StatusChip(label="Tier 3"),
                    children=(item(text("nested", bold=True)),),
                )
            ),
            table(("Area", "PM"), [(cell("Billing"), cell("Ana"))]),
        ),
    )

    out = plaintext.render(doc)

    assert out.startswith("Weekly *update*\n===============\n")
    assert "Launches\n--------" in out
    assert "- SSO [beta] <https://t.example/1> — [Tier 3]\n  - nested" in out
    assert "- Area: Billing; PM: Ana" in out
    assert "\\" not in out and "**" not in out
