"""Scorecard history (R8, R10): a record per ISO week, the trend and the previous quarter on
the page, and the chart as data that a connector draws, the same bytes for the same data."""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pytest

from conftest import MakeCtx, ny
from opsync.connectors import charts
from opsync.connectors.base import Ownership, PageWrite, RecordState
from opsync.connectors.local import files
from opsync.connectors.local.workspace import LocalWorkspace
from opsync.documents import html, markdown, plaintext
from opsync.documents.model import Chart, Document, Link, Paragraph, Region, Series, Table, para
from opsync.domain import Collection, ScorecardWeek, SurveyAnswer
from opsync.engine.actual import Actual
from opsync.engine.desired import build
from opsync.engine.plan import make_plan
from opsync.rules import scorecard, trend
from opsync.rules.output import RuleOutput

NOW = ny(2026, 12, 3, 15)  # Thursday of 2026-W49, in 2026-Q4


def _answers(surprised: int, total: int) -> tuple[SurveyAnswer, ...]:
    return tuple(
        SurveyAnswer(
            key=f"s{i}", release_key="r", respondent=f"p{i}", aware_before_ship=i >= surprised
        )
        for i in range(total)
    )


def _trend_region(out: RuleOutput) -> Region:
    (doc,) = out.documents
    return next(
        c for c in doc.document.children if isinstance(c, Region) and c.key == "scorecard-trend"
    )


def test_each_run_writes_this_weeks_record_and_updates_it_later_in_the_week(
    make_ctx: MakeCtx,
) -> None:
    monday = scorecard.evaluate(
        make_ctx(ny(2026, 11, 30, 9), survey_answers=_answers(1, 4)), RuleOutput()
    )
    thursday = scorecard.evaluate(make_ctx(NOW, survey_answers=_answers(1, 5)), RuleOutput())
    (first,), (second,) = monday.seeds, thursday.seeds
    assert (first.collection, first.key, second.key) == (
        Collection.SCORECARD_HISTORY,
        "2026-W49",
        "2026-W49",
    )
    assert first.updates and second.updates
    assert first.values["week_start"] == second.values["week_start"] == date(2026, 11, 30)
    assert (first.values["stakeholder_surprise"], second.values["stakeholder_surprise"]) == (
        25.0,
        20.0,
    )
    assert set(first.values) == {"week_start", *scorecard.SPECS}


def test_a_kept_record_is_updated_while_asked_for_and_never_duplicated(make_ctx: MakeCtx) -> None:
    """Unlike a publication log (created once), the week's record follows this week's
    values; a second run of the same week plans one update, never a second record."""
    out = scorecard.evaluate(make_ctx(NOW, survey_answers=_answers(1, 5)), RuleOutput())
    desired = build((), out, {}, set(), lambda key: None)
    record = "scorecard_history/2026-W49"
    want = desired.records[record]
    assert want.create and not want.create_only

    class Store:
        def render_region(self, document: Document, region: str) -> str:
            return ""

    empty = make_plan(desired, Actual(), Store())  # type: ignore[arg-type]
    assert [op.kind for op in empty.operations if op.target == record] == ["create_record"]
    stale = dict(want.values, stakeholder_surprise=25.0)
    held = Actual(records={record: RecordState(ref=record, path="x", owned=stale)})
    again = make_plan(desired, held, Store())  # type: ignore[arg-type]
    assert [op.kind for op in again.operations if op.target == record] == ["update_record"]
    same = Actual(records={record: RecordState(ref=record, path="x", owned=dict(want.values))})
    assert not [op for op in make_plan(desired, same, Store()).operations if op.target == record]  # type: ignore[arg-type]


def test_the_page_shows_the_last_weeks_the_change_and_the_previous_quarter(
    make_ctx: MakeCtx,
) -> None:
    history = (
        ScorecardWeek(key="2026-W39", week_start=date(2026, 9, 21), stakeholder_surprise=30.0),
        # Sep 28 - Oct 4: its Thursday is Oct 1, so the week is Q4's, not Q3's end
        ScorecardWeek(key="2026-W40", week_start=date(2026, 9, 28), stakeholder_surprise=28.0),
        ScorecardWeek(key="2026-W47", week_start=date(2026, 11, 16), stakeholder_surprise=25.0),
        # a stale record of the current week: this run's value replaces it
        ScorecardWeek(key="2026-W49", week_start=date(2026, 11, 30), stakeholder_surprise=99.0),
    )
    out = scorecard.evaluate(
        make_ctx(NOW, survey_answers=_answers(1, 5), scorecard_history=history), RuleOutput()
    )
    region = _trend_region(out)
    grid = next(c for c in region.children if isinstance(c, Table))
    assert grid.header == ("Metric", "W46", "W47", "W48", "W49", "Change", "End of 2026 Q3")
    row = next(r for r in grid.rows if r[0][0].text == "Stakeholder surprise")  # type: ignore[union-attr]
    cells = [c[0].text for c in row]  # type: ignore[union-attr]
    assert cells == [
        "Stakeholder surprise",
        "—",
        "25%",
        "—",
        "20%",
        "↓ down 5 points (better)",
        "30%",
    ]
    chart = next(c for c in region.children if isinstance(c, Chart))
    assert len(chart.labels) == trend.CHART_WEEKS and chart.labels[-1] == "W49"
    surprise = next(s for s in chart.series if s.name == "Stakeholder surprise")
    assert (
        surprise.values[-1] == 20.0 and surprise.values[-3] == 25.0 and surprise.values[-2] is None
    )


def test_change_words_direction_by_what_is_better() -> None:
    assert trend.change("ritual_adoption", [80.0, 81.0]) == "↑ up 1 point (better)"
    assert trend.change("stakeholder_surprise", [8.0, 9.5]) == "↑ up 1.5 points (worse)"
    assert trend.change("status_pings", [None, 35.0]) == "—"
    assert trend.change("status_pings", [35.0, None]) == "—"
    assert trend.shown("status_pings", -12.5) == "12.5% more"
    assert trend.stored(None) is None
    assert trend.week_key(date(2027, 1, 1)) == "2026-W53"


def _chart(values: tuple[float | None, ...] = (10.0, None, 30.0)) -> Chart:
    return Chart(
        name="scorecard-2026-Q4",
        title="Scorecard by week",
        labels=("W47", "W48", "W49"),
        series=(Series(name="Ritual adoption", values=values),),
        unit="%",
        text="Not drawn here.",
    )


def test_the_chart_file_is_named_after_its_data() -> None:
    assert _chart().filename == _chart().filename
    assert _chart().filename != _chart((10.0, 20.0, 30.0)).filename
    assert _chart().filename.startswith("scorecard-2026-Q4-") and _chart().filename.endswith(".png")


def test_renderers_that_cannot_show_a_picture_say_its_text() -> None:
    page = Document(title="T", children=(Region(key="r", children=(_chart(),)),))
    assert markdown.render(page).count("![Scorecard by week](scorecard-2026-Q4-") == 1
    assert "Not drawn here." in plaintext.render(page)
    assert "Not drawn here." in html.render_blocks(page.children)
    text = charts.as_text(page)
    region = text.children[0]
    assert isinstance(region, Region) and isinstance(region.children[0], Paragraph)


def test_without_matplotlib_pages_keep_the_text_trend(monkeypatch: pytest.MonkeyPatch) -> None:
    page = Document(title="T", children=(Region(key="r", children=(_chart(),)),))
    monkeypatch.setattr(charts, "available", lambda: False)
    assert "![" not in markdown.render(charts.drawable(page))
    monkeypatch.setattr(charts, "available", lambda: True)
    assert "![" in markdown.render(charts.drawable(page))


def test_drawing_is_a_png_of_the_set_size_and_the_same_bytes_each_time() -> None:
    pytest.importorskip("matplotlib")
    first, second = charts.draw(_chart()), charts.draw(_chart())
    assert first == second
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", first[16:24]) == (charts.WIDTH, charts.HEIGHT)
    assert b"tEXt" not in first and b"tIME" not in first  # no software name, no timestamp


def test_the_local_workspace_writes_the_picture_beside_the_page_once(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    workspace = LocalWorkspace(
        tmp_path / "releases.yaml", tmp_path / "wiki", tmp_path / "pages", tmp_path / "outbox"
    )
    page = Document(title="T", children=(Region(key="r", children=(_chart(),)),))
    workspace.read()
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=page, create=True))
    folder = tmp_path / "pages" / "scorecard"
    assert [p.name for p in folder.glob("*.png")] == [_chart().filename]
    newer = Document(title="T", children=(Region(key="r", children=(_chart((1.0, 2.0, 3.0)),)),))
    workspace.read()
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=newer, regions=("r",)))
    assert [p.name for p in folder.glob("*.png")] == [_chart((1.0, 2.0, 3.0)).filename]
    assert f"]({_chart((1.0, 2.0, 3.0)).filename})" in (folder / "2026-Q4.md").read_text("utf-8")


def _drawn_page(tmp_path: Path) -> tuple[LocalWorkspace, Path]:
    workspace = LocalWorkspace(
        tmp_path / "releases.yaml", tmp_path / "wiki", tmp_path / "pages", tmp_path / "outbox"
    )
    page = Document(title="T", children=(Region(key="r", children=(_chart(),)),))
    workspace.read()
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=page, create=True))
    return workspace, tmp_path / "pages" / "scorecard"


def test_the_picture_is_in_place_before_the_page_that_shows_it_and_the_old_one_goes_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed between them leaves a page whose picture is there (crash sweep, local
    kill point 79 before the fix: the page was put in place first)."""
    pytest.importorskip("matplotlib")
    workspace, _ = _drawn_page(tmp_path)
    order: list[str] = []
    write, unlink = files.write_atomic, Path.unlink
    monkeypatch.setattr(files, "write_atomic", lambda p, *a: (order.append(p.name), write(p, *a)))
    monkeypatch.setattr(Path, "unlink", lambda p, **k: (order.append(f"-{p.name}"), unlink(p, **k)))
    newer = Document(title="T", children=(Region(key="r", children=(_chart((1.0, 2.0, 3.0)),)),))
    workspace.read()
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=newer, regions=("r",)))
    new, old = _chart((1.0, 2.0, 3.0)).filename, _chart().filename
    assert order == [new, "2026-Q4.md", f"-{old}"]


@pytest.mark.parametrize("damage", ["picture removed", "old picture left"])
def test_a_page_whose_picture_is_missing_or_whose_old_picture_is_left_is_written_again(
    tmp_path: Path, damage: str
) -> None:
    """A write cut short between the page and its pictures (or a person who deleted the
    picture) reads as opsync's own unfinished write: written once more, never a conflict."""
    pytest.importorskip("matplotlib")
    workspace, folder = _drawn_page(tmp_path)
    picture = folder / _chart().filename
    if damage == "picture removed":
        picture.unlink()
    else:
        (folder / _chart((5.0, 5.0, 5.0)).filename).write_bytes(picture.read_bytes())
    region = workspace.read().pages["scorecard/2026-Q4"].regions["r"]
    assert region.ownership is Ownership.INTERRUPTED
    page = Document(title="T", children=(Region(key="r", children=(_chart(),)),))
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=page, regions=("r",)))
    assert [p.name for p in folder.glob("*.png")] == [_chart().filename]
    assert workspace.read().pages["scorecard/2026-Q4"].regions["r"].ownership is Ownership.CLEAN


def test_a_picture_beside_the_page_as_expected_leaves_the_region_clean(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    workspace, folder = _drawn_page(tmp_path)
    (folder / "scorecard-2026-Q3-0123456789ab.png").write_bytes(b"another chart's picture")
    region = workspace.read().pages["scorecard/2026-Q4"].regions["r"]
    assert region.ownership is Ownership.CLEAN


def test_a_persons_picture_named_like_the_chart_is_neither_removed_nor_a_reason_to_write(
    tmp_path: Path,
) -> None:
    """Only ``name-<fingerprint>.png`` is opsync's: a person's annotated copy beside the
    page is theirs (before, every ``scorecard-2026-Q4-*.png`` but the current one went)."""
    pytest.importorskip("matplotlib")
    workspace, folder = _drawn_page(tmp_path)
    theirs = folder / "scorecard-2026-Q4-annotated.png"
    theirs.write_bytes(b"my notes on the chart")
    assert workspace.read().pages["scorecard/2026-Q4"].regions["r"].ownership is Ownership.CLEAN
    newer = Document(title="T", children=(Region(key="r", children=(_chart((1.0, 2.0, 3.0)),)),))
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=newer, regions=("r",)))
    assert theirs.read_bytes() == b"my notes on the chart"
    assert not (folder / _chart().filename).exists()


def test_what_is_not_a_picture_opsync_drew_never_makes_the_region_look_cut_short(
    tmp_path: Path,
) -> None:
    """Review of the fix: a link to a file named like a picture (a release's relative URL),
    a folder named like an old picture, and a link a person put in the picture's place
    read as they are, so no run rewrites the page over and over (or fails on them)."""
    pytest.importorskip("matplotlib")
    workspace, folder = _drawn_page(tmp_path)
    path = folder / "2026-Q4.md"
    (folder / _chart((9.0, 9.0, 9.0)).filename).mkdir()  # a folder, named as a picture
    picture = folder / _chart().filename
    picture.unlink()
    picture.symlink_to(tmp_path / "elsewhere.png")  # a person's link, dangling
    assert workspace.read().pages["scorecard/2026-Q4"].regions["r"].ownership is Ownership.CLEAN
    picture.unlink()
    picture.write_bytes(b"the picture")
    newer = Document(title="T", children=(Region(key="r", children=(_chart((1.0, 2.0, 3.0)),)),))
    workspace.read()
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=newer, regions=("r",)))
    assert (folder / _chart((9.0, 9.0, 9.0)).filename).is_dir()  # no IsADirectoryError
    mock_up = para(Link(text="Mock-up", url="mockup-0123456789ab.png"))  # no such file
    linked = Document(title="T", children=(Region(key="r", children=(mock_up, _chart())),))
    workspace.write_page(PageWrite(key="scorecard/2026-Q4", document=linked, regions=("r",)))
    assert "](mockup-0123456789ab.png)" in path.read_text("utf-8")
    assert workspace.read().pages["scorecard/2026-Q4"].regions["r"].ownership is Ownership.CLEAN
