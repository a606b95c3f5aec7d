"""Storage-format rendering: escaping, XML validation, regions and their hashes."""

from __future__ import annotations

import pytest

from opsync.connectors.confluence.regions import find_regions, fragment, region_hash, splice
from opsync.connectors.confluence.storage import Renderer, StorageError, parse, validate
from opsync.documents.model import (
    Document,
    Link,
    StatusChip,
    Tone,
    bullets,
    cell,
    heading,
    para,
    region,
    table,
)
from opsync.testing.emulators.confluence_model import Normaliser

HOSTILE = 'Launch <script>alert(1)</script> ]]> & <ac:structured-macro ac:name="html"/> "q"'


def _doc(name: str = HOSTILE) -> Document:
    return Document(
        title=name,
        children=(
            heading(1, name),
            region(
                "summary",
                para(name, StatusChip(label=name, tone=Tone.RED)),
                table(("Release", "Status"), [(cell(name), cell(StatusChip(label="ok")))]),
            ),
            para("people write here"),
            region("list", bullets(name, "two")),
        ),
    )


def test_hostile_release_names_arrive_as_text_never_markup() -> None:
    body = Renderer().document(_doc())
    root = parse(body)  # well-formed XML with the namespaces declared
    macros = [
        e.get("{http://atlassian.com/content}name")
        for e in root.iter()
        if "structured-macro" in e.tag
    ]
    assert "html" not in macros  # the name's macro markup did not become a macro
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "]]>" not in body and "]]&gt;" in body
    assert "&amp;" in body
    texts = "".join(root.itertext())
    assert HOSTILE in texts  # and reads back exactly as typed


def test_malformed_storage_is_refused_before_sending() -> None:
    with pytest.raises(StorageError):
        validate("<p>open <strong>never closed</p>")


def test_status_macro_and_jira_issue_macro() -> None:
    renderer = Renderer(
        "https://acme.atlassian.net", jira_server="Acme Jira", jira_server_id="abc-1"
    )
    doc = Document(
        title="t",
        children=(
            para(
                StatusChip(label="At risk", tone=Tone.YELLOW),
                Link(text="ACME-125", url="https://acme.atlassian.net/browse/ACME-125"),
                Link(text="docs", url="https://example.com/a?b=1&c=2"),
            ),
        ),
    )
    body = renderer.document(doc)
    assert '<ac:parameter ac:name="colour">Yellow</ac:parameter>' in body
    assert (
        '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">ACME-125</ac:parameter>'
        in body
    )
    assert '<ac:parameter ac:name="serverId">abc-1</ac:parameter>' in body
    assert 'href="https://example.com/a?b=1&amp;c=2"' in body


def test_region_hash_survives_confluence_rewriting_but_not_a_person_edit() -> None:
    renderer = Renderer()
    doc = _doc("Weekly")
    stored = Normaliser()(renderer.document(doc))
    assert stored != renderer.document(doc)  # the server did rewrite it (macro ids, order)
    spans = find_regions(stored)
    for key in ("summary", "list"):
        assert region_hash(fragment(stored, spans[key])) == region_hash(renderer.region(doc, key))
    edited = stored.replace("two", "two (edited by Maya)")
    spans = find_regions(edited)
    assert region_hash(fragment(edited, spans["list"])) != region_hash(renderer.region(doc, "list"))


def test_splice_keeps_every_byte_outside_the_rewritten_region() -> None:
    renderer = Renderer()
    stored = Normaliser()(renderer.document(_doc("Weekly")))
    marker = '<ac:inline-comment-marker ac:ref="c1">note</ac:inline-comment-marker>'
    person = f"<p>caf&eacute; &nbsp;{marker}</p>"
    body = stored.replace("<p>people write here</p>", "<p>people write here</p>" + person)
    new = splice(body, {"list": "<p>NEW</p>"}, [])
    span = find_regions(body)["list"]
    data = body.encode()
    assert new.encode() == data[: span.start] + b"<p>NEW</p>" + data[span.end :]
    assert person in new
