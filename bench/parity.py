"""Behaviour parity with an earlier commit: the acme sync on the local workspace gives the
same files, and the Notion and Atlassian end-to-end syncs make the same requests.

A refactoring that claims to change no behaviour is checked against the commit before it:
each commit's own ``src`` and end-to-end tests run in this virtualenv (the entry points name
the same modules), the acme sync's files are hashed, and the JSON reports of the e2e syncs
are compared (requests per connector, operations planned and written)::

    .venv/bin/python -m bench.parity --base e4ed9c5

Exit 0 when everything is equal; the differences are printed otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-12-03T15:00:00-05:00"
E2E = (
    "tests/e2e/test_atlassian_cli.py::test_bootstrap_doctor_sync_and_a_second_sync_that_writes_nothing",
    "tests/e2e/test_notion_cli.py::test_bootstrap_doctor_sync_and_a_second_sync_that_writes_nothing",
)
# A pytest plugin that writes each e2e sync's report figures, one JSON line per sync.
PLUGIN = """
import json, os
import pytest

@pytest.fixture(autouse=True)
def _parity_reports(request):
    if "cli" in request.fixturenames:
        cli = request.getfixturevalue("cli")
        def wrapped(*args, **kw):
            result = cli(*args, **kw)
            if args and args[0] == "sync":
                keep = ("requests", "planned", "writes", "failed", "exit_code")
                with open(os.environ["PARITY_OUT"], "a", encoding="utf-8") as out:
                    out.write(json.dumps({k: result.report.get(k) for k in keep}) + "\\n")
            return result
        request.node.funcargs["cli"] = wrapped
    yield
"""


def _tree(tree: Path, work: Path) -> dict[str, str]:
    """The acme example synced with ``tree``'s code: every file's hash but the state's."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    run = [sys.executable, "-m", "opsync"]
    subprocess.run([*run, "init", str(work), "--example", "acme"], env=env, check=True)
    config = str(work / "opsync.toml")
    subprocess.run([*run, "sync", "--config", config, "--now", NOW, "-q"], env=env, check=True)
    return {
        str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(work.rglob("*"))
        if p.is_file() and ".opsync" not in p.relative_to(work).parts
    }


def _requests(tree: Path, scratch: Path) -> list[dict[str, object]]:
    """The figures of each sync the two e2e walkthroughs make, with ``tree``'s code."""
    (scratch / "parityplug.py").write_text(PLUGIN, encoding="utf-8")
    out = scratch / "reports.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(scratch), str(tree / "src")]),
        "PARITY_OUT": str(out),
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "parityplug", "-p", "no:cacheprovider", *E2E],
        cwd=tree,
        env=env,
        check=True,
    )
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        base = scratch / "checkout"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.base], cwd=ROOT, check=True
        )
        try:
            results = {}
            for label, tree in (("base", base), ("head", ROOT)):
                (scratch / label).mkdir()
                results[label] = (
                    _tree(tree, scratch / label / "acme"),
                    _requests(tree, scratch / label),
                )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    (files_before, requests_before), (files_after, requests_after) = (
        results["base"],
        results["head"],
    )
    same_files = files_before == files_after
    same_requests = requests_before == requests_after
    print(f"acme local sync: {len(files_after)} files, identical: {same_files}")
    for changed in sorted(set(files_before) ^ set(files_after)) + sorted(
        k for k in files_before.keys() & files_after.keys() if files_before[k] != files_after[k]
    ):
        print(f"  differs: {changed}")
    print(
        f"e2e syncs (Atlassian first and second, Notion first and second), equal: {same_requests}"
    )
    for before, after in zip(requests_before, requests_after, strict=False):
        print(f"  {args.base}: {json.dumps(before)}\n  HEAD:    {json.dumps(after)}")
    return 0 if same_files and same_requests else 1


if __name__ == "__main__":
    sys.exit(main())
