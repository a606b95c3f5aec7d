"""Region markers a person copied, quoted, broke or forged (issue 14 "Trust", §5 "Markers").

opsync writes only inside a region it can prove it wrote: a well-formed marker pair of this
page. Everything else that looks like a region (a copy from another page, a second copy, a
quote, a pair missing a marker) is the person's text: it is never deleted, not even by
``--force``, and the run says where it is (page and line).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import ACME_NOW, Cli


def _sync(cli: Cli, config: Path, *extra: str) -> tuple[int, dict[str, object]]:
    result = cli("sync", "--config", str(config), "--now", ACME_NOW, "--quiet", *extra)
    return result.exit_code, result.report


def _page(acme: Path, key: str) -> Path:
    return acme.parent / "pages" / f"{key}.md"


def _region(text: str, key: str) -> str:
    found = re.search(
        rf"<!-- opsync:begin {re.escape(key)} .*?<!-- opsync:end {re.escape(key)} -->\n",
        text,
        re.DOTALL,
    )
    assert found is not None, key
    return found.group(0)


def _findings(report: dict[str, object], code: str) -> list[dict[str, str]]:
    return [f for f in report["findings"] if f["code"] == code]  # type: ignore[union-attr,index]


def test_a_region_copied_into_another_page_is_kept_there(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    scorecard = _page(acme, "scorecard/2026-Q4").read_text(encoding="utf-8")
    weekly = _page(acme, "weekly-update/2026-W49")
    copied = "\nFor the QBR, the scorecard as it stood:\n\n" + _region(scorecard, "scorecard")
    text = weekly.read_text(encoding="utf-8") + copied
    weekly.write_text(text, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert weekly.read_text(encoding="utf-8") == text  # the copy is the person's text now
    assert code == 0, report
    line = text[: text.index(copied)].count("\n") + 4  # the copied begin marker's line
    found = _findings(report, "page.markers")
    assert any(
        "weekly-update/2026-W49" in f["message"]
        and f"line {line}" in f["message"]
        and "scorecard/2026-Q4" in f["message"]
        for f in found
    ), found
    assert _sync(cli, acme)[0] == 0
    assert weekly.read_text(encoding="utf-8") == text


def test_a_deleted_end_marker_leaves_the_page_alone_even_forced(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    weekly = _page(acme, "weekly-update/2026-W49")
    original = weekly.read_text(encoding="utf-8")
    end = "<!-- opsync:end weekly.area.alerts -->\n"
    broken = original.replace(end, "My sentence about alerts, keep it.\n", 1)
    assert broken != original
    weekly.write_text(broken, encoding="utf-8")
    code, report = _sync(cli, acme)
    assert weekly.read_text(encoding="utf-8") == broken  # no second copy appended
    line = broken[: broken.index("<!-- opsync:begin weekly.area.alerts")].count("\n") + 1
    found = _findings(report, "page.markers")
    assert any(
        f"line {line}" in f["message"]
        and "weekly.area.alerts" in f["message"]
        and "restore" in f["message"]
        for f in found
    ), found
    assert code == 0, report
    for forced in (("--force",), ("--force-only", "weekly-update/2026-W49")):
        code, report = _sync(cli, acme, *forced)
        assert code == 0, report
        assert "My sentence about alerts, keep it." in weekly.read_text(encoding="utf-8")
        assert weekly.read_text(encoding="utf-8") == broken
    # the fix the finding names: restore the end marker, and the region is opsync's again
    weekly.write_text(broken.replace("My sentence about alerts, keep it.\n", end), encoding="utf-8")
    assert _sync(cli, acme)[0] == 0
    assert weekly.read_text(encoding="utf-8") == original


def test_a_forged_begin_marker_with_force_deletes_no_text_outside_a_region(
    cli: Cli, acme: Path
) -> None:
    assert _sync(cli, acme)[0] == 0
    page = _page(acme, "scorecard/2026-Q4")
    original = page.read_text(encoding="utf-8")
    begin = original.index("<!-- opsync:begin scorecard ")
    forged = (
        "<!-- opsync:begin scorecard sum=AAAAAAAAAAAA -->\nMy QBR notes, outside any region.\n\n"
    )
    text = original[:begin] + forged + original[begin:]
    page.write_text(text, encoding="utf-8")
    code, report = _sync(cli, acme, "--force")
    assert code == 0, report
    assert "My QBR notes, outside any region." in page.read_text(encoding="utf-8")
    assert page.read_text(encoding="utf-8") == text
    line = text[:begin].count("\n") + 1
    found = _findings(report, "page.markers")
    assert any(f"line {line}" in f["message"] for f in found), found


def test_a_region_quoted_in_a_code_fence_or_a_block_quote_is_text(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    page = _page(acme, "scorecard/2026-Q4")
    original = page.read_text(encoding="utf-8")
    region = _region(original, "scorecard-method")
    quoted = "\n```markdown\n" + region.replace("metric", "METRIC") + "```\n\n"
    quoted += "".join(f"> {line}\n" for line in region.splitlines())
    text = original + quoted
    page.write_text(text, encoding="utf-8")
    for forced in ((), ("--force",)):
        code, report = _sync(cli, acme, *forced)
        assert (code, page.read_text(encoding="utf-8")) == (0, text), report
    found = _findings(report, "page.markers")
    assert {f["level"] for f in found} == {"info"}
    assert len(found) == 4, found  # two markers in the fence, two in the quote


def test_a_second_copy_of_a_region_in_its_page_is_left_and_reported(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    page = _page(acme, "scorecard/2026-Q4")
    original = page.read_text(encoding="utf-8")
    copy = _region(original, "scorecard-method").replace("Ritual adoption", "Rituals (mine)")
    text = original + "\nMy variant:\n\n" + copy
    page.write_text(text, encoding="utf-8")
    code, report = _sync(cli, acme, "--force")
    assert (code, page.read_text(encoding="utf-8")) == (0, text), report
    line = text[: text.index("My variant:")].count("\n") + 3
    found = _findings(report, "page.markers")
    assert any(f"line {line}" in f["message"] and "second copy" in f["message"] for f in found)


def _edit_two_pages(acme: Path) -> tuple[Path, str, Path, str]:
    scorecard, weekly = _page(acme, "scorecard/2026-Q4"), _page(acme, "weekly-update/2026-W49")
    edited = []
    for page, key in ((scorecard, "scorecard-method"), (weekly, "weekly.area.alerts")):
        text = page.read_text(encoding="utf-8")
        end = f"<!-- opsync:end {key} -->"
        text = text.replace(end, f"A hand edit in {key}.\n{end}", 1)
        page.write_text(text, encoding="utf-8")
        edited.append(text)
    return scorecard, edited[0], weekly, edited[1]


def test_force_only_regenerates_the_named_page_and_reports_the_rest(cli: Cli, acme: Path) -> None:
    assert _sync(cli, acme)[0] == 0
    clean = _page(acme, "scorecard/2026-Q4").read_text(encoding="utf-8")
    scorecard, _, weekly, weekly_edited = _edit_two_pages(acme)
    planned = cli("plan", "--config", str(acme), "--now", ACME_NOW, "--force", "scorecard/2026-Q4")
    assert "conflict, not targeted" in planned.output and "weekly-update/2026-W49" in planned.output
    code, report = _sync(cli, acme, "--force-only", "pages/scorecard/2026-Q4")
    assert code == 3, report
    assert scorecard.read_text(encoding="utf-8") == clean  # regenerated
    assert weekly.read_text(encoding="utf-8") == weekly_edited  # not named: left as edited
    assert report["conflicts"] == [
        {
            "target": "weekly-update/2026-W49",
            "part": "region weekly.area.alerts",
            "message": report["conflicts"][0]["message"],  # type: ignore[index]
            "not_targeted": True,
            "diff": report["conflicts"][0]["diff"],  # type: ignore[index]
            "reported": False,
        }
    ]
    assert "--force did not name" in report["conflicts"][0]["message"]  # type: ignore[index]


def test_force_and_force_only_together_is_a_usage_error(cli: Cli, acme: Path) -> None:
    result = cli("sync", "--config", str(acme), "--now", ACME_NOW, "--force", "--force-only", "x/y")
    assert result.exit_code == 2


def test_bare_force_asks_first_at_a_terminal_and_not_in_cron(
    cli: Cli, acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _sync(cli, acme)[0] == 0
    scorecard, scorecard_edited, _, _ = _edit_two_pages(acme)
    monkeypatch.setattr("opsync.cli.app._interactive", lambda: True)
    monkeypatch.setattr("typer.confirm", lambda *a, **k: False)
    code, _ = _sync(cli, acme, "--force")
    assert code == 2 and scorecard.read_text(encoding="utf-8") == scorecard_edited
    monkeypatch.setattr("opsync.cli.app._interactive", lambda: False)
    code, report = _sync(cli, acme, "--force")
    assert (code, report["conflicts"]) == (0, [])


def test_force_touches_owned_regions_and_fields_and_nothing_else(cli: Cli, acme: Path) -> None:
    """docs/concepts.md, "What --force may touch", clause by clause."""
    assert _sync(cli, acme)[0] == 0
    root = acme.parent
    # owned record fields: a hand edit is overwritten
    record = root / "wiki" / "releases" / "ACME-125.md"
    clean_record = record.read_text(encoding="utf-8")
    status = next(ln for ln in clean_record.splitlines() if ln.startswith("enablement_status:"))
    record.write_text(clean_record.replace(status, "enablement_status: my own"), encoding="utf-8")
    # an owned region of this page with well-formed markers: overwritten; text outside: kept
    page = _page(acme, "scorecard/2026-Q4")
    clean_page = page.read_text(encoding="utf-8")
    end = "<!-- opsync:end scorecard-method -->"
    edited = clean_page.replace(end, "Inside, mine.\n" + end, 1) + "\nOutside, mine.\n"
    page.write_text(edited, encoding="utf-8")
    # messages already sent: never sent again, never changed
    outbox = {p: p.read_bytes() for p in (root / "outbox").rglob("*.md")}
    assert outbox
    code, report = _sync(cli, acme, "--force")
    assert (code, report["conflicts"]) == (0, []), report
    assert record.read_text(encoding="utf-8") == clean_record
    assert page.read_text(encoding="utf-8") == clean_page + "\nOutside, mine.\n"
    assert {p: p.read_bytes() for p in (root / "outbox").rglob("*.md")} == outbox
    assert report["writes"] == 2  # the record and the page: no message sent again
