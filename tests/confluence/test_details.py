"""The page-properties table: rows found by header, cells compared by their text so
Confluence's rewriting on save reads as unchanged, and a splice that keeps other bytes."""

from __future__ import annotations

from opsync.connectors.confluence.details import cell, find_table, fingerprint, parse, splice
from opsync.testing.emulators.confluence_model import Normaliser

TABLE = (
    '<p>intro</p><ac:structured-macro ac:name="details"><ac:parameter ac:name="id">opsync'
    "</ac:parameter><ac:rich-text-body><table><tbody>"
    "<tr><th><p>Tier</p></th><td><p>Tier 1</p></td></tr>"
    "<tr><td>Go/no-go</td><td>"
    '<ac:structured-macro ac:name="status"><ac:parameter ac:name="colour">Green'
    '</ac:parameter><ac:parameter ac:name="title">go</ac:parameter></ac:structured-macro>'
    "</td></tr>"
    "<tr><th>Action items</th><td><ul><li>Fix export</li><li><p>Call  Acme</p></li></ul></td></tr>"
    "</tbody></table></ac:rich-text-body></ac:structured-macro><p>outro &amp; more</p>"
)


def test_rows_by_header_whatever_the_markup() -> None:
    table = find_table(TABLE)
    assert table is not None and set(table.rows) == {"tier", "go/no-go", "action items"}
    assert table.rows["go/no-go"].text == "go"  # a status lozenge reads as its title
    assert table.rows["action items"].items == ("Fix export", "Call Acme")
    assert parse(table.rows["tier"], {"1": "Tier 1"}, many=False) == "1"
    assert parse(table.rows["action items"], {}, many=True) == ["Fix export", "Call Acme"]


def test_a_cell_rewritten_on_save_keeps_its_fingerprint_and_an_edit_does_not() -> None:
    saved = find_table(Normaliser()(TABLE))
    assert saved is not None
    assert saved.rows["tier"].fingerprint == fingerprint("1", {"1": "Tier 1"})
    assert saved.rows["action items"].fingerprint == fingerprint(["Fix export", "Call Acme"], {})
    edited = find_table(TABLE.replace("Tier 1", "Tier 2"))
    assert edited is not None
    assert edited.rows["tier"].fingerprint != fingerprint("1", {"1": "Tier 1"})


def test_splice_rewrites_one_cell_and_appends_rows_keeping_every_other_byte() -> None:
    table = find_table(TABLE)
    assert table is not None
    new_row = "<tr><th><p>Launched</p></th><td><p>Yes</p></td></tr>"
    out = splice(TABLE, {"tier": cell("2", {"2": "Tier 2"})}, [new_row], table)
    assert out == TABLE.replace("<td><p>Tier 1</p></td>", "<td><p>Tier 2</p></td>").replace(
        "</tbody>", new_row + "</tbody>"
    )


def test_a_page_without_a_details_table_has_none() -> None:
    assert (
        find_table("<p>notes</p><table><tbody><tr><th>A</th><td>b</td></tr></tbody></table>")
        is None
    )
