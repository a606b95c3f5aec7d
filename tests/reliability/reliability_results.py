"""What the reliability tests tried and what held, and the table docs/reliability.md shows.

Each test adds rows (area, target, what was tried, how many times, how many held). A run
with ``OPSYNC_RELIABILITY_WRITE=1`` saves them to ``results/ci.json`` (or ``full.json``
under ``OPSYNC_RELIABILITY_FULL=1``) and re-renders the table in docs/reliability.md;
``test_reliability_zz_table.py`` checks that the committed table is the committed results'
and, after a whole CI-subset run, that those results are this run's (it also saves them).

Run as a script, it re-renders the doc from the committed JSON files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parents[1] / "docs" / "reliability.md"
FULL = os.environ.get("OPSYNC_RELIABILITY_FULL") == "1"
MODE = "full" if FULL else "ci"
WRITE = os.environ.get("OPSYNC_RELIABILITY_WRITE") == "1"
# Every area a whole CI-subset run adds, so the table test knows the run was complete.
AREAS = ("crash", "concurrency", "bad config", "bad records", "secrets", "two writers")


@dataclass
class Results:
    mode: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def start(cls) -> Results:
        return cls(MODE)

    def add(self, area: str, target: str, what: str, tried: int, held: int) -> None:
        row = self.rows.setdefault(
            _key({"area": area, "target": target, "what": what}),
            {"area": area, "target": target, "what": what, "tried": 0, "held": 0},
        )
        row["tried"] += tried
        row["held"] += held

    def complete(self) -> bool:
        return {r["area"] for r in self.rows.values()} >= set(AREAS)

    def as_list(self) -> list[dict[str, Any]]:
        return [self.rows[k] for k in sorted(self.rows)]

    def finish(self) -> None:
        """Save and render when asked to: a CI-subset run only when whole; the full sweep
        also in parts (``-k notion``), each part replacing its own rows of ``full.json``."""
        if not WRITE or not (self.complete() or self.mode == "full"):
            return
        rows = self.as_list()
        if self.mode == "full" and not self.complete():
            mine = {_key(r) for r in rows}
            kept = [r for r in load("full") or [] if _key(r) not in mine]
            rows = sorted([*kept, *rows], key=_key)
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.mode}.json"
        path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
        render_doc()


def _key(row: dict[str, Any]) -> str:
    return f"{row['area']} | {row['target']} | {row['what']}"


RUN = Results.start()  # this process's figures, shared by every reliability test module


def load(mode: str) -> list[dict[str, Any]] | None:
    path = RESULTS / f"{mode}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| area | target | what was tried | tried | held |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['area']} | {row['target']} | {row['what']} | {row['tried']} | {row['held']} |"
        )
    return "\n".join(lines)


def _section(mode: str) -> str:
    rows = load(mode)
    return table(rows) if rows else "_Not run yet: see the command above._"


def rendered(text: str) -> str:
    """``text`` (the doc) with each table between its markers replaced by the results'."""
    for mode in ("ci", "full"):
        begin, end = f"<!-- table:{mode} -->", f"<!-- /table:{mode} -->"
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = f"{head}{begin}\n{_section(mode)}\n{end}{tail}"
    return text


def render_doc() -> None:
    DOC.write_text(rendered(DOC.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    render_doc()
