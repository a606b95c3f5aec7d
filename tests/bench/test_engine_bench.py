"""The engine benchmark's phases at a tiny scale, so the script cannot rot.

Nothing is timed here (docs/benchmarks.md holds the figures). The script broke once without
anyone noticing, when the workspace's ``sent`` began to take the wanted messages: a run of
each phase on a generated organisation of a few releases keeps it honest.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bench.engine import NOW, _breakdown, _traced, spec_for
from bench.generate import generate

from opsync.engine.run import run


def test_each_phase_runs_on_a_tiny_generated_organisation(tmp_path: Path) -> None:
    now = datetime.fromisoformat(NOW)
    org = generate(tmp_path, 30, now.date())
    (tmp_path / "org.json").write_text(json.dumps(org.manifest()), encoding="utf-8")
    first = run(spec_for(tmp_path), now, write=True)
    assert first.failed == [] and first.plan.operations
    again = run(spec_for(tmp_path), now, write=True)
    assert again.plan.operations == ()  # a no-op, as the benchmark's no-op phase measures
    assert _traced(tmp_path, now)["plan_traced_peak_mb"] > 0
    steps = _breakdown(tmp_path, now)
    assert steps["documents"] > 0 and "make_plan" in steps
