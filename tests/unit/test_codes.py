"""The finding-code registry: every code emitted anywhere is declared once, with its owner and
audience, documented in docs/rules.md; stakeholder text states facts, not instructions."""

from __future__ import annotations

import re
from pathlib import Path

from opsync.rules.codes import CODES, STAKEHOLDER_DOCUMENTS, Audience, Code, Owner
from opsync.rules.output import DocumentKind

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "src" / "opsync"
# a prefix may hold digits after its first letter ("s3.setup")
LITERAL = re.compile(r"""["']([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.([a-z0-9]+(?:-[a-z0-9]+)*)["']""")
#: Strings shaped like a code that are not one: region keys and a file name.
NOT_CODES = {
    "weekly.highlights",
    "roadmap.intro",
    "roadmap.changes",
    "post-launch.header",
    "readiness.header",
    "weekly.md",
}


def literals() -> dict[str, set[str]]:
    """Code-shaped string literals in the package (its emulators aside), by code."""
    prefixes = {code.split(".")[0] for code in CODES}
    found: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        if "testing" in path.parts or path.name == "codes.py":
            continue
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            if match[1] in prefixes:
                found.setdefault(f"{match[1]}.{match[2]}", set()).add(path.name)
    return found


def test_every_code_in_the_source_is_declared() -> None:
    undeclared = set(literals()) - set(CODES) - NOT_CODES
    assert not undeclared, f"declare these in src/opsync/rules/codes.py: {sorted(undeclared)}"


def test_every_declared_code_is_emitted_somewhere() -> None:
    assert set(CODES) - set(literals()) == set()


def test_docs_list_every_code_with_its_owner_and_audience() -> None:
    docs = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    table = docs.split("## All finding codes")[1]
    rows = {
        m[1]: (m[2].strip(), m[3].strip())
        for m in re.finditer(r"^\| `([^`]+)` \|[^|]+\|[^|]+\| ([^|]+) \| ([^|]+) \|$", table, re.M)
    }
    assert set(rows) == set(CODES)
    roles = {"PM": Owner.PM, "Eng lead": Owner.ENG_LEAD, "Product Ops": Owner.PRODUCT_OPS}
    for code, spec in CODES.items():
        role, audience = rows[code]
        assert roles[role] is spec.owner, code
        assert audience.split(":")[0] == spec.audience.value, code
        for fact in (spec.stakeholder, spec.launched):
            assert fact is None or f"“{fact}”" in audience, code


def test_stakeholder_text_states_facts_not_instructions() -> None:
    telling = re.compile(
        r"\b(should|must|please|now)\b|^(set|publish|record|hold|ask|fill)\b", re.I
    )
    for code, spec in CODES.items():
        for fact in (spec.stakeholder, spec.launched):
            assert fact is None or not telling.search(fact), code


def test_audience_follows_the_stakeholder_text() -> None:
    assert Code(Owner.PM).audience is Audience.OWNER
    assert Code(Owner.PM, "tier not set yet").audience is Audience.STAKEHOLDER
    shipped_only = Code(Owner.PM, None, "launched without a bundle")
    assert shipped_only.audience is Audience.STAKEHOLDER
    assert shipped_only.fact(launched=False) is None
    assert CODES["enablement.go-no-go-missing"].fact(launched=True) is None  # no ship decision


def test_stakeholder_documents_are_the_ones_stakeholders_read() -> None:
    assert {
        DocumentKind.WEEKLY_UPDATE,
        DocumentKind.ROADMAP_VIEW,
        DocumentKind.BUNDLE,
    } == STAKEHOLDER_DOCUMENTS
