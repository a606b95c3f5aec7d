"""A config or a command that needs an extra this install lacks stops with a config error
(exit 2) naming the pip command, not a traceback: when the config is read (sync, doctor),
and when an emulator is started. The test venv has every extra, so each test hides the
modules of one (without_extras.py) and forgets what was imported from them."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ACME_NOW, EXAMPLES, Cli
from without_extras import hidden

from opsync import extras
from opsync.connectors import registry


@pytest.fixture
def without() -> Iterator[object]:
    """``without(*modules)`` makes this process an install that lacks ``modules``: they and
    the vendor connectors imported before are forgotten, and restored after the test."""
    before = dict(sys.modules)
    meta_path = list(sys.meta_path)
    loaded = dict(registry._LOADED)

    def hide(*names: str) -> None:
        stale = (
            "opsync.http",
            "opsync.testing.emulators",
            *(f"opsync.connectors.{kind}" for kind in extras.CONNECTOR_EXTRAS),
        )
        for name in list(sys.modules):
            if name.partition(".")[0] in names or name.startswith(stale):
                del sys.modules[name]
        registry._LOADED.clear()
        sys.meta_path[:] = hidden(names)

    yield hide
    sys.meta_path[:] = meta_path
    sys.modules.clear()
    sys.modules.update(before)
    registry._LOADED.clear()
    registry._LOADED.update(loaded)


@pytest.mark.parametrize(
    ("config", "module", "extra"),
    [
        ("opsync.notion.toml", "notion_client", "notion"),
        ("opsync.atlassian.toml", "atlassian", "atlassian"),
        ("opsync.slack.toml", "slack_sdk", "slack"),
        ("opsync.linear.toml", "httpx", "linear"),
    ],
)
def test_a_config_naming_a_connector_without_its_extra_names_the_pip_command(
    cli: Cli, tmp_path: Path, without: object, config: str, module: str, extra: str
) -> None:
    shutil.copytree(EXAMPLES / "acme", tmp_path / "acme")
    path = tmp_path / "acme" / config
    without(module)  # type: ignore[operator]
    for args in (["sync", "--config", str(path), "--now", ACME_NOW], ["doctor", "-c", str(path)]):
        ran = cli(*args)
        said = " ".join(ran.output.split())
        assert ran.exit_code == 2, ran.output
        assert f"connector needs the package '{module}', which is not installed" in said
        assert f'install it with: pip install "opsync[{extra}]"' in said
        assert "Traceback" not in said
    assert not (path.parent / ".opsync").exists()  # stopped before the run began


@pytest.mark.parametrize(
    ("kind", "module", "command"),
    [
        ("notion", "openapi_core", 'pip install "opsync[notion,emulators]"'),
        ("jira", "openapi_core", 'pip install "opsync[atlassian,emulators]"'),
        ("linear", "graphql", 'pip install "opsync[linear,emulators]"'),
        ("notion", "notion_client", 'pip install "opsync[notion,emulators]"'),
        ("slack", "slack_sdk", 'pip install "opsync[slack]"'),
    ],
)
def test_an_emulator_without_its_extras_names_the_pip_command(
    cli: Cli, without: object, kind: str, module: str, command: str
) -> None:
    without(module)  # type: ignore[operator]
    ran = cli("emulate", kind, "--port", "0")
    said = " ".join(ran.output.split())
    assert ran.exit_code == 2, ran.output
    assert f"opsync emulate {kind} needs the package '{module}'" in said
    assert command in said


def test_a_missing_module_of_opsync_itself_is_a_bug_shown_as_it_is() -> None:
    own = ModuleNotFoundError(
        "No module named 'opsync.connectors.gone'", name="opsync.connectors.gone"
    )
    assert extras.for_connector("notion", own) is None
    vendor = ModuleNotFoundError(
        "No module named 'notion_client.errors'", name="notion_client.errors"
    )
    missing = extras.for_connector("notion", vendor)
    assert missing is not None and missing.module == "notion_client"
    third_party = extras.for_connector("acme-crm", ModuleNotFoundError(name="acme_crm_sdk"))
    assert third_party is not None
    assert third_party.hint == "install the package that provides 'acme_crm_sdk'"


def test_every_connector_extra_is_declared_and_every_extra_module_mapped() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = set(project["optional-dependencies"])
    assert set(extras.CONNECTOR_EXTRAS.values()) <= declared
    assert set(extras.EXTRA_MODULES) == declared - {"all", "dev"}
    connector_types = set(project["entry-points"]["opsync.connectors"])
    assert connector_types - set(extras.CONNECTOR_EXTRAS) == {"local", "email"}
