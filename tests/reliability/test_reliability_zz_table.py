"""docs/reliability.md shows the figures of the committed results, and (after a whole
CI-subset run of tests/reliability) those results are this run's. Runs last in the folder."""

from __future__ import annotations

import pytest
import reliability_fixtures
from reliability_fixtures import TARGETS
from reliability_results import DOC, MODE, Results, load, rendered

results = reliability_fixtures.results


# Its id names every target, so a part of the full sweep run with ``-k <target>`` still
# selects it and saves that part's rows.
@pytest.mark.parametrize("targets", ["-".join(TARGETS)])
def test_the_committed_table_is_the_committed_results(results: Results, targets: str) -> None:
    results.finish()  # saves and renders when asked to (OPSYNC_RELIABILITY_WRITE=1)
    text = DOC.read_text(encoding="utf-8")
    assert text == rendered(text), (
        "docs/reliability.md is stale: run `python tests/reliability/reliability_results.py`"
    )


def test_this_runs_figures_are_the_committed_ones(results: Results) -> None:
    if not results.complete():
        return  # only part of the folder ran: nothing to compare
    assert results.as_list() == load(MODE), (
        "the figures changed: rerun with OPSYNC_RELIABILITY_WRITE=1 and commit "
        f"tests/reliability/results/{MODE}.json and docs/reliability.md"
    )
