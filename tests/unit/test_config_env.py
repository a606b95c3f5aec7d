"""Configuration from the environment (docs/configuration.md, "Configuration from the
environment"): ``${env:VAR}`` in text values, ``OPSYNC_<TABLE>__<KEY>`` overrides, their
precedence, and problems that name the key and the variable without showing a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsync.config import load_config
from opsync.config_env import HIDDEN, explain, looks_secret, resolve
from opsync.errors import ConfigError, ConfigProblem

ORG = '[org]\nname = "{name}"\ntimezone = "America/New_York"\n'


def _load(text: str, tmp_path: Path, **environ: str) -> object:
    return load_config(text=text, base_dir=tmp_path, environ=environ)


def _problems(text: str, tmp_path: Path, **environ: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(text, tmp_path, **environ)
    return str(caught.value)


def test_a_reference_is_replaced_by_the_variable_inside_a_longer_text(tmp_path: Path) -> None:
    config = load_config(
        text=ORG.format(name="${env:ORG_NAME} (${env:REGION})"),
        base_dir=tmp_path,
        environ={"ORG_NAME": "Acme", "REGION": "EU"},
    )
    assert config.org.name == "Acme (EU)"


def test_a_reference_resolves_a_path_relative_to_the_base_dir(tmp_path: Path) -> None:
    text = ORG.format(name="Acme") + '[state]\npath = "${env:STATE_DIR}/state.db"\n'
    config = load_config(text=text, base_dir=tmp_path, environ={"STATE_DIR": "run/7"})
    assert config.state.path == tmp_path / "run" / "7" / "state.db"


def test_a_missing_variable_is_a_problem_naming_the_key_and_the_variable(tmp_path: Path) -> None:
    said = _problems(ORG.format(name="${env:ORG_NAME}"), tmp_path)
    assert "org.name: the environment variable ORG_NAME is not set" in said
    assert "${env:ORG_NAME:-" in said  # the fix shows how to give a default
    assert said.count("org.name") == 1  # said once, not again as an invalid value


def test_a_default_is_used_when_the_variable_is_unset_or_empty(tmp_path: Path) -> None:
    text = ORG.format(name="${env:ORG_NAME:-Acme Inc}")
    assert load_config(text=text, base_dir=tmp_path, environ={}).org.name == "Acme Inc"
    empty = load_config(text=text, base_dir=tmp_path, environ={"ORG_NAME": ""})
    assert empty.org.name == "Acme Inc"
    assert load_config(text=text, base_dir=tmp_path, environ={"ORG_NAME": "X"}).org.name == "X"


def test_a_doubled_dollar_keeps_a_reference_as_text(tmp_path: Path) -> None:
    config = load_config(text=ORG.format(name="$${env:ORG_NAME}"), base_dir=tmp_path, environ={})
    assert config.org.name == "${env:ORG_NAME}"


def test_a_reference_without_a_valid_name_is_a_problem(tmp_path: Path) -> None:
    said = _problems(ORG.format(name="${env:ORG NAME}"), tmp_path)
    assert 'org.name: "${env:ORG NAME}" names no variable' in said


def test_a_reference_fills_a_number_or_a_choice_as_the_key_reads_it(tmp_path: Path) -> None:
    text = ORG.format(name="Acme") + (
        '[rules.enablement]\nhandoff_bd_tier2 = "${env:HANDOFF}"\n'
        '[run]\non_conflict = "${env:ON_CONFLICT}"\n'
    )
    config = load_config(
        text=text, base_dir=tmp_path, environ={"HANDOFF": "7", "ON_CONFLICT": "report"}
    )
    assert config.rules.enablement.handoff_bd_tier2 == 7
    assert config.run.on_conflict == "report"


def test_an_opsync_variable_overrides_the_file_and_its_references(tmp_path: Path) -> None:
    text = ORG.format(name="${env:ORG_NAME}") + '[run]\non_conflict = "fail"\n'
    environ = {
        "ORG_NAME": "from the reference",
        "OPSYNC_ORG__NAME": "from the override",
        "OPSYNC_RUN__ON_CONFLICT": "report",
    }
    config = load_config(text=text, base_dir=tmp_path, environ=environ)
    assert (config.org.name, config.run.on_conflict) == ("from the override", "report")


def test_an_opsync_variable_sets_a_key_the_file_leaves_out(tmp_path: Path) -> None:
    environ = {"OPSYNC_STATE__PATH": "/var/lib/opsync/acme.db", "OPSYNC_ORG__WEEKEND": "[5, 6]"}
    config = load_config(text=ORG.format(name="Acme"), base_dir=tmp_path, environ=environ)
    assert config.state.path == Path("/var/lib/opsync/acme.db")
    assert config.org.weekend == (5, 6)


def test_opsync_variables_without_a_double_underscore_are_not_overrides(tmp_path: Path) -> None:
    environ = {"OPSYNC_NOTION_BASE_URL": "http://127.0.0.1:1", "OPSYNC_UPDATE_GOLDEN": "1"}
    config = load_config(text=ORG.format(name="Acme"), base_dir=tmp_path, environ=environ)
    assert config.org.name == "Acme"


def test_an_invalid_override_names_its_variable(tmp_path: Path) -> None:
    said = _problems(ORG.format(name="Acme"), tmp_path, OPSYNC_RUN__ON_CONFLICT="sometimes")
    assert 'run.on_conflict: expected one of fail, report; got the text "sometimes"' in said
    assert "(set by OPSYNC_RUN__ON_CONFLICT)" in said


def test_an_override_into_a_value_that_is_not_a_table_is_a_problem(tmp_path: Path) -> None:
    said = _problems(ORG.format(name="Acme"), tmp_path, OPSYNC_ORG__NAME__FIRST="A")
    assert "OPSYNC_ORG__NAME__FIRST cannot set a key inside org.name" in said


def test_a_value_whose_variable_looks_secret_is_never_shown(tmp_path: Path) -> None:
    text = ORG.format(name="Acme") + '[run]\non_conflict = "${env:DEPLOY_TOKEN}"\n'
    said = _problems(text, tmp_path, DEPLOY_TOKEN="hunter2-s3cr3t")
    assert "hunter2-s3cr3t" not in said
    assert HIDDEN in said and "run.on_conflict" in said and "${env:DEPLOY_TOKEN}" in said


def test_a_value_whose_key_looks_secret_is_never_shown() -> None:
    found = resolve({"state": {}}, {"OPSYNC_STATE__URL": "postgres://u:pw@db"})
    assert found.origins["state.url"].secret  # the key: a URL may hold a password
    wrong = ConfigProblem("state.url", 'expected a URL, got the text "postgres://u:pw@db"')
    (said,) = explain([wrong], found)
    assert "pw@db" not in str(said)
    assert (
        str(said) == f"state.url: expected a URL, got the text {HIDDEN} (set by OPSYNC_STATE__URL)"
    )


def test_secret_looking_names() -> None:
    assert looks_secret("database_url", []) and looks_secret("password", [])
    assert looks_secret("mode", ["NOTION_TOKEN"]) and looks_secret("mode", ["DATABASE_URL"])
    assert not looks_secret("name", ["ORG_NAME"]) and not looks_secret("token_env", [])


def test_the_environment_given_replaces_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSYNC_RUN__ON_CONFLICT", "report")
    config = tmp_path / "opsync.toml"
    config.write_text(ORG.format(name="Acme"), encoding="utf-8")
    assert load_config(config).run.on_conflict == "report"  # the CLI's way: the process's
    assert load_config(config, environ={}).run.on_conflict == "fail"
