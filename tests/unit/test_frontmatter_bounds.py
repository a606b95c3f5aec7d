"""What a record's YAML may hold: no aliases, bounded depth, size and count."""

from __future__ import annotations

import pytest

from opsync.connectors.local import frontmatter
from opsync.connectors.records import excerpt


def test_an_alias_is_refused_naming_the_fix() -> None:
    with pytest.raises(frontmatter.FrontMatterError, match=r"aliases \(\*name\)"):
        frontmatter.split("---\na: &x [1, 2]\nb: *x\n---\n")


def test_an_anchor_used_once_is_fine() -> None:
    assert frontmatter.split("---\na: &x [1, 2]\n---\n").data == {"a": [1, 2]}


def test_depth_count_and_length_are_bounded() -> None:
    deep = "a: " + "[" * 20 + "]" * 20
    with pytest.raises(frontmatter.FrontMatterError, match="nested"):
        frontmatter.split(f"---\n{deep}\n---\n")
    many = "a: [" + ",".join("1" for _ in range(frontmatter.MAX_NODES + 1)) + "]"
    with pytest.raises(frontmatter.FrontMatterError, match="values in one record"):
        frontmatter.split(f"---\n{many}\n---\n")
    long = "a: [" + "x" * (frontmatter.MAX_TEXT + 1) + "]"
    with pytest.raises(frontmatter.FrontMatterError, match="characters long"):
        frontmatter.split(f"---\n{long}\n---\n")


def test_a_finding_shows_a_short_excerpt_of_a_value() -> None:
    assert excerpt("x" * 500).endswith("…") and len(excerpt("x" * 500)) == 80
    assert excerpt([1, 2, 3]) == "<list of 3 items>"
    assert excerpt("short") == "'short'"
