"""Conflicts waiting for a person, as findings for the Product Ops lead's action list and
digest (RULES.md R10: every open item reaches the person who must act).

A conflict is found by the plan, after the rules: content opsync owns that a person edited.
The sync that first sees it exits 3; with ``[run] on_conflict = "report"`` later syncs exit 0
while it is unchanged (docs/cli.md, "Running from cron"), so cron stops mailing and the
lead's digest carries it instead. The rules are given the conflicts the last sync saw
(``RuleContext.conflicts``); one resolved since leaves the list at the next sync.
"""

from __future__ import annotations

from opsync.domain.findings import Finding, Level
from opsync.rules.context import RuleContext
from opsync.rules.output import RuleOutput

CODE = "sync.conflict"


def evaluate(ctx: RuleContext, earlier: RuleOutput) -> RuleOutput:
    findings = tuple(
        Finding(
            code=CODE,
            record=target,
            field=part,
            level=Level.WARNING,
            message=(
                f"{target}: a person edited what opsync writes ({part}), so opsync left it "
                f"as they wrote it. {message} To keep the edit, move it outside opsync's "
                f"part; to restore opsync's content, run `opsync sync --force {target}`."
            ),
            due=ctx.today,
        )
        for target, part, message in sorted(set(ctx.conflicts))
    )
    return RuleOutput(findings=findings)
