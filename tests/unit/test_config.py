"""opsync.toml: every mistake gets a message naming the file, the key path and the fix;
a valid file loads into exactly the values written, with paths relative to the file.

docs/configuration.md's reference tables are generated from the models below; run with
OPSYNC_UPDATE_GOLDEN=1 to rewrite them after a field changes.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pytest
from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from opsync.config import (
    AliasesConfig,
    Config,
    ConnectorConfig,
    OrgConfig,
    RolesConfig,
    RunConfig,
    StateConfig,
    TokenConnectorConfig,
    load_config,
    parse_config,
    register_connector_config,
)
from opsync.config_problems import model_in, toml_value
from opsync.connectors import registry
from opsync.connectors.confluence.config import ConfluenceCollection, ConfluenceConnectorConfig
from opsync.connectors.email.config import EmailConnectorConfig
from opsync.connectors.jira.config import FieldMap, JiraConnectorConfig, WriteBack
from opsync.connectors.linear.config import LabelMap, LinearConnectorConfig, LinearWriteBack
from opsync.connectors.local.config import LocalConnectorConfig
from opsync.connectors.s3.config import S3ConnectorConfig
from opsync.connectors.slack.config import SlackConnectorConfig
from opsync.domain import Person, ProductArea, Role
from opsync.errors import (
    AuthError,
    ConfigError,
    ConfigProblem,
    ConflictError,
    ConnectorError,
    LockHeld,
    OpsyncError,
    PermanentError,
    RecordError,
    TransientError,
)
from opsync.settings import DateStyle, OutputSettings, RolloutPhase, RuleFamily, Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "configs"
DOC = Path(__file__).parents[2] / "docs" / "configuration.md"
HEAD = '[org]\nname = "Acme"\ntimezone = "America/New_York"\n'


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def error_in(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "opsync.toml"
    path.write_text(text, encoding="utf-8")
    return error_of(path)


def keys(error: ConfigError) -> list[str]:
    return [p.key for p in error.problems]


def test_malformed_toml_names_line_column_and_shows_the_line() -> None:
    error = error_of(FIXTURES / "malformed.toml")

    text = str(error)
    assert text.startswith(f"{FIXTURES / 'malformed.toml'}: malformed TOML at line 3, column 12")
    assert "timezone = America/New_York\n" in text
    assert 'text goes in quotes (name = "Acme")' in error.hint
    assert error.key == ""


def test_malformed_toml_without_a_position_still_says_what_is_wrong(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + "weekend = [6,")  # the file ends inside the list

    assert error.message == "malformed TOML: Invalid value"
    assert "lists in brackets (weekend = [6, 7])" in error.hint


def test_unknown_key_suggests_the_closest_allowed_key() -> None:
    error = error_of(FIXTURES / "unknown_key.toml")

    assert keys(error) == ["org.timezon"]  # not also "timezone is missing": one typo, one line
    assert error.message == 'unknown key "timezon"'
    assert error.hint.startswith('did you mean "timezone"? allowed: name, timezone,')
    assert str(error).startswith(f"{FIXTURES / 'unknown_key.toml'}: org.timezon: unknown key")


def test_unknown_key_without_a_near_miss_lists_the_allowed_keys(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + "[rules.weekly]\ncolour = 3\n")

    assert error.key == "rules.weekly.colour"
    assert "did you mean" not in error.hint
    assert "allowed: weekday, submission_due, publish_due" in error.hint


def test_wrong_type_names_the_key_the_expected_type_and_an_example() -> None:
    error = error_of(FIXTURES / "wrong_type.toml")

    assert str(error) == (
        f"{FIXTURES / 'wrong_type.toml'}: rules.enablement.handoff_bd_tier2: "
        'expected a whole number, got the text "five"\n'
        "    fix: write it like handoff_bd_tier2 = 5"
    )


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('weekend = "6,7"', "org.weekend", 'expected a list such as [1, 2], got the text "6,7"'),
        ("weekend = [6, 8]", "org.weekend[1]", "less than or equal to 7; got 8"),
        ("extra_days_off = [24]", "org.extra_days_off[0]", "expected a date such as 2026-12-24"),
        ('people = [{ key = "a", name = "A", role = "boss" }]', "org.people[0].role", "one of pm,"),
        ('people = [{ key = "a" }]', "org.people[0].name", "the required key name is missing"),
    ],
)
def test_each_kind_of_wrong_value_is_said_in_plain_words(
    tmp_path: Path, line: str, key: str, expected: str
) -> None:
    error = error_in(tmp_path, HEAD + line + "\n")

    assert keys(error) == [key]
    assert expected in error.message


def test_wrong_time_hints_with_the_default_in_toml_notation(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + '[rules.weekly]\nsubmission_due = "2pm"\n')

    assert error.key == "rules.weekly.submission_due"
    assert error.hint == "write it like submission_due = 14:00:00"


def test_a_missing_org_table_is_named_as_a_table(tmp_path: Path) -> None:
    error = error_in(tmp_path, '[state]\npath = "x.db"\n')

    assert error.key == "org"
    assert error.message == "the table [org] is missing"


def test_bad_timezone_suggests_the_iana_name() -> None:
    error = error_of(FIXTURES / "bad_timezone.toml")

    assert error.key == "org.timezone"
    assert error.message == '"America/New_Yrok" is not a known timezone'
    assert error.hint.startswith('did you mean "America/New_York"?')


def test_unknown_holiday_country_is_refused() -> None:
    error = error_of(FIXTURES / "bad_country.toml")

    assert error.key == "org.holiday_country"
    assert error.message == '"XX" is not a country the holidays package knows'
    assert "ISO 3166" in error.hint


def test_holiday_subdivision_must_belong_to_the_country(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + 'holiday_country = "US"\nholiday_subdivision = "NYC"\n')

    assert error.key == "org.holiday_subdivision"
    assert error.message == '"NYC" is not a holiday subdivision of US'
    assert error.hint.startswith('did you mean "NY"?')


def test_holiday_subdivision_needs_a_country(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + 'holiday_subdivision = "NY"\n')

    assert (error.key, error.hint) == ("org.holiday_subdivision", "set holiday_country as well")


def test_country_code_is_accepted_in_lower_case(tmp_path: Path) -> None:
    path = tmp_path / "opsync.toml"
    path.write_text(HEAD + 'holiday_country = "us"\n', encoding="utf-8")

    config = load_config(path)

    assert config.org.holiday_country == "US"
    assert not config.calendar().is_business_day(date(2026, 7, 3))  # July 4th observed


def test_a_week_without_workdays_is_refused(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + "weekend = [1, 2, 3, 4, 5, 6, 7]\n")

    assert (error.key, error.message) == ("org.weekend", "every day is a weekend day")


def test_area_pm_must_be_a_person() -> None:
    error = error_of(FIXTURES / "unknown_pm.toml")

    assert str(error) == (
        f"{FIXTURES / 'unknown_pm.toml'}: org.product_areas[2].pm: "
        '"anna" is not a known person\n'
        '    fix: did you mean "ana"? known person keys: ana; '
        'or add a [[org.people]] entry with key = "anna"'
    )


def test_duplicate_keys_and_unknown_eng_lead_are_all_reported(tmp_path: Path) -> None:
    text = HEAD + (
        '[[org.people]]\nkey = "ana"\nname = "Ana"\n'
        '[[org.people]]\nkey = "ana"\nname = "Ana again"\n'
        '[[org.product_areas]]\nkey = "billing"\nname = "Billing"\npm = "ana"\neng_lead = "dev"\n'
        '[[org.product_areas]]\nkey = "billing"\nname = "Billing 2"\npm = "ana"\n'
    )
    error = error_in(tmp_path, text)

    assert keys(error) == [
        "org.people[1].key",
        "org.product_areas[1].key",
        "org.product_areas[0].eng_lead",
    ]
    assert error.problems[0].message == 'duplicate key "ana" (also org.people[0])'


def test_rollout_areas_must_be_known_areas(tmp_path: Path) -> None:
    text = (
        HEAD + '[[org.people]]\nkey = "ana"\nname = "Ana"\n'
        '[[org.product_areas]]\nkey = "billing"\nname = "Billing"\npm = "ana"\n'
        '[[rollout.phases]]\nname = "pilot"\nstarts_on = 2026-01-05\nareas = ["biling", "*"]\n'
    )
    error = error_in(tmp_path, text)

    assert error.key == "rollout.phases[0].areas[0]"
    assert error.message == '"biling" is not a known area'
    assert error.hint.startswith('did you mean "billing"?')


def test_rollout_rules_must_be_rule_families(tmp_path: Path) -> None:
    text = HEAD + '[[rollout.phases]]\nname = "p"\nstarts_on = 2026-01-05\nrules = ["enablment"]\n'
    error = error_in(tmp_path, text)

    assert error.key == "rollout.phases[0].rules"
    assert "enablment" in error.message


def test_rollout_inside_rules_points_to_the_rollout_table(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + "[[rules.rollout]]\nname = 'p'\nstarts_on = 2026-01-05\n")

    assert error.key == "rules"
    assert error.hint == "write each phase as a [[rollout.phases]] table"


def test_output_table_sets_the_pages_date_style_and_list_limit(tmp_path: Path) -> None:
    path = tmp_path / "opsync.toml"
    path.write_text(HEAD + '[output]\ndate_style = "iso"\nlist_limit = 10\n', encoding="utf-8")

    settings = load_config(path).settings

    assert settings.output == OutputSettings(date_style=DateStyle.ISO, list_limit=10)
    assert error_in(tmp_path, HEAD + '[output]\ndate_style = "fancy"\n').key == (
        "output.date_style"
    )
    assert error_in(tmp_path, HEAD + "[rules.output]\nlist_limit = 3\n").hint == (
        "write it as [output]"
    )


def test_unknown_connector_type_lists_the_known_types() -> None:
    error = error_of(FIXTURES / "unknown_connector.toml")

    assert error.key == "connectors.wiki.type"
    assert error.message == 'unknown connector type "notoin"'
    assert "known types: " in error.hint
    assert "local" in error.hint.split("known types: ")[1].split(", ")


def test_a_misspelt_connector_type_gets_a_suggestion(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + '[connectors.files]\ntype = "locall"\n')

    assert error.hint.startswith('did you mean "local"?')


def test_a_connector_without_type_says_so(tmp_path: Path) -> None:
    error = error_in(tmp_path, HEAD + '[connectors.files]\ntracker = "x.yaml"\n')

    assert (error.key, error.message) == ("connectors.files.type", "type is missing")


def test_a_token_in_the_file_is_refused_without_echoing_it() -> None:
    error = error_of(FIXTURES / "token.toml")

    assert error.key == "connectors.local.token"
    assert error.message == "a secret must never be in the file"
    assert 'token_env = "VARIABLE_NAME"' in error.hint
    assert 'token_file = "path/to/file"' in error.hint
    assert "do-not-print-me" not in str(error)
    assert all("do-not-print-me" not in str(arg) for arg in error.args)


@pytest.mark.parametrize("key", ["password", "api_token", "JIRA_TOKEN", "client_secret", "api_key"])
def test_every_secret_looking_key_is_refused(tmp_path: Path, key: str) -> None:
    error = error_in(tmp_path, HEAD + f'[connectors.local]\ntype = "local"\n{key} = "s3cr3t"\n')

    assert keys(error) == [f"connectors.local.{key}"]
    assert f"{key}_env" in error.hint
    assert "s3cr3t" not in str(error)


def test_token_env_and_token_file_are_not_mistaken_for_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class VaultConfig(TokenConnectorConfig):
        type: Literal["vault"] = "vault"

    monkeypatch.setattr(registry, "_CONFIG_MODELS", dict(registry._CONFIG_MODELS))
    register_connector_config("vault", VaultConfig)
    path = tmp_path / "conf" / "opsync.toml"
    path.parent.mkdir()
    path.write_text(
        HEAD + '[connectors.v]\ntype = "vault"\ntoken_env = "V"\ntoken_file = "s/v"\n'
        '[connectors.files]\ntype = "local"\n'
        '[roles]\ntracker = "files"\nwiki = "files"\npages = "v"\n',
        encoding="utf-8",
    )

    config = load_config(path)

    vault = config.connectors["v"]
    assert isinstance(vault, VaultConfig)
    assert vault.token_env == "V"
    assert vault.token_file == tmp_path / "conf" / "s" / "v"
    assert config.connector("pages") == ("v", vault)


class _EntryPoint:
    def __init__(self, name: str, model: object) -> None:
        self.name, self.value, self.model = name, f"acme_{name}.factory:factory", model

    def load(self) -> object:
        return type("Factory", (), {"config_model": self.model})


def test_installed_connectors_bring_their_config_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class AcmeConfig(TokenConnectorConfig):
        type: Literal["acme"] = "acme"
        space: str

    # Only the built-in type: other installed connectors must not change the suggestion.
    installed = {
        "acme": _EntryPoint("acme", AcmeConfig),
        "broken": _EntryPoint("broken", dict),
        "local": registry._points()["local"],
    }
    monkeypatch.setattr(registry, "_points", lambda: installed)
    monkeypatch.setattr(registry, "_LOADED", {})
    monkeypatch.setattr(registry, "_CONFIG_MODELS", {})

    path = tmp_path / "opsync.toml"
    path.write_text(HEAD + '[connectors.wiki]\ntype = "acme"\nspace = "OPS"\n', encoding="utf-8")
    assert load_config(path).connectors["wiki"] == AcmeConfig(space="OPS")
    error = error_in(tmp_path, HEAD + '[connectors.wiki]\ntype = "acmee"\n')
    assert error.hint == 'did you mean "acme"? known types: acme, broken, local'
    with pytest.raises(
        TypeError, match=r"acme_broken\.factory:factory\.config_model must subclass"
    ):
        error_in(tmp_path, HEAD + '[connectors.wiki]\ntype = "broken"\n')


def test_registering_another_model_for_a_taken_type_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Other(ConnectorConfig):
        type: Literal["local"] = "local"

    monkeypatch.setattr(registry, "_CONFIG_MODELS", {})
    register_connector_config("local", LocalConnectorConfig)
    register_connector_config("local", LocalConnectorConfig)  # the same model again: fine
    with pytest.raises(ValueError, match="already registered by LocalConnectorConfig"):
        register_connector_config("local", Other)


def test_relative_paths_resolve_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    shutil.copy(FIXTURES / "full.toml", folder / "opsync.toml")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")

    config = load_config(Path("../conf/opsync.toml"))

    local = config.connectors["workspace"]
    assert isinstance(local, LocalConnectorConfig)
    assert config.base_dir == folder
    assert config.state.path == folder / "state" / "opsync.db"
    assert local.tracker == folder / "data" / "releases.yaml"
    assert local.pages == tmp_path / "published"  # "../published", normalised
    assert local.outbox == folder / "outbox"  # defaults resolve too


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "opsync.toml"
    path.write_text(HEAD + '[state]\npath = "/var/lib/opsync/state.db"\n', encoding="utf-8")

    assert load_config(path).state.path == Path("/var/lib/opsync/state.db")


def test_minimal_config_runs_on_the_local_workspace_with_default_rules() -> None:
    config = load_config(FIXTURES / "minimal.toml")

    assert config.roles == RolesConfig(
        tracker="local", wiki="local", pages="local", notifier="local", feeds="local"
    )
    name, local = config.connector("wiki")
    assert name == "local"
    assert isinstance(local, LocalConnectorConfig)
    assert (local.tracker, local.wiki) == (
        FIXTURES / "tracker" / "releases.yaml",
        FIXTURES / "wiki",
    )
    assert config.state.path == FIXTURES / ".opsync" / "state.db"
    assert config.settings == Settings()
    assert config.org.weekend == (6, 7)
    assert config.calendar().country is None


def test_several_connectors_need_roles(tmp_path: Path) -> None:
    text = HEAD + '[connectors.a]\ntype = "local"\n[connectors.b]\ntype = "local"\n'
    error = error_in(tmp_path, text + '[roles]\ntracker = "c"\nwiki = "a"\n')

    assert keys(error) == ["roles.tracker", "roles.pages"]
    assert error.problems[0].message == '"c" is not a known connector'
    assert error.problems[1].message == "no connector serves this role"
    assert error.problems[1].hint == 'add pages = "<name>" under [roles], one of: a, b'


def test_all_problems_of_a_file_come_in_one_error_in_file_order() -> None:
    error = error_of(FIXTURES / "many_problems.toml")

    assert keys(error) == [
        "org.timezone",
        "org.holiday_subdivision",
        "org.weekend[1]",
        "org.people[0].role",
        "rules.weekly.weekday",
        "rules.weekly.submision_due",
        "connectors.two.trackr",
    ]
    text = str(error)
    assert text.startswith(f"{FIXTURES / 'many_problems.toml'}: 7 problems\n  - org.timezone: ")
    assert "  - org.people[0].role: expected one of pm, eng_lead" in text
    assert '      fix: did you mean "pm"?' in text
    assert error.exit_code == 2


def test_a_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    error = error_of(tmp_path / "nope.toml")

    assert error.file == str(tmp_path / "nope.toml")
    assert (error.message, error.hint) == (
        "file not found",
        "create one with `opsync init`, or check the path",
    )


def test_full_config_round_trip() -> None:
    config = load_config(FIXTURES / "full.toml")

    org = config.org
    assert (org.name, org.timezone, org.holiday_country, org.holiday_subdivision) == (
        "Acme",
        "America/New_York",
        "US",
        "NY",
    )
    assert org.extra_days_off == (date(2026, 12, 24), date(2026, 12, 31))
    people, areas = config.snapshot_people()
    assert people[0] == Person(
        key="ana", name="Ana Ruiz", role=Role.PM, email="ana@acme.example", slack="@ana"
    )
    assert [p.key for p in people] == ["ana", "ben", "dev", "olga"]
    assert areas == (
        ProductArea(key="billing", name="Billing", pm="ana", eng_lead="dev"),
        ProductArea(key="onboarding", name="Onboarding", pm="ben"),
    )
    settings = config.settings
    assert (settings.enablement.handoff_bd_tier2, settings.enablement.handoff_bd_tier3) == (6, 12)
    assert settings.enablement.publish_bd == 2  # not in the file: the default
    assert (settings.weekly.weekday, settings.weekly.reminder_hours_before) == (3, 2.5)
    assert (settings.weekly.submission_due, settings.weekly.publish_due) == (
        time(13, 30),
        time(15, 30),
    )
    assert settings.roadmap.first_review == date(2026, 1, 6)
    assert settings.insights.escalate_after_days == 10
    assert settings.cadence.quarter_start_months == (2, 5, 8, 11)
    assert [p.name for p in settings.rollout] == ["pilot", "everyone"]
    assert settings.rollout[0].areas == ("billing",)
    assert settings.enabled(RuleFamily.WEEKLY, "billing", date(2026, 1, 5))
    assert not settings.enabled(RuleFamily.WEEKLY, "onboarding", date(2026, 1, 5))
    assert settings.enabled(RuleFamily.WEEKLY, "onboarding", date(2026, 3, 2))
    calendar = config.calendar()
    assert calendar.timezone == "America/New_York"
    assert not calendar.is_business_day(date(2026, 12, 24))  # extra day off
    assert not calendar.is_business_day(date(2026, 2, 12))  # Lincoln's Birthday, NY only
    assert calendar.step_back(date(2026, 12, 28), 2) == date(2026, 12, 22)
    assert config.roles == RolesConfig(
        tracker="workspace",
        wiki="workspace",
        pages="workspace",
        notifier="workspace",
        feeds="workspace",
    )

    dumped = config.model_dump()
    again = Config.model_validate(dumped, context={"base_dir": config.base_dir})
    assert again == config
    assert dumped["connectors"]["workspace"]["tracker"] == FIXTURES / "data" / "releases.yaml"


def test_config_built_in_code_gets_the_same_checks() -> None:
    org = {"name": "Acme", "timezone": "UTC", "people": [{"key": "a", "name": "A"}]}
    areas = [{"key": "x", "name": "X", "pm": "b"}]

    with pytest.raises(ConfigError) as caught:
        Config.model_validate({"org": {**org, "product_areas": areas}})
    assert caught.value.key == "org.product_areas[0].pm"
    with pytest.raises(ValidationError, match="unknown connector type"):
        Config.model_validate({"org": org, "connectors": {"x": {"type": "nope"}}})
    built = parse_config({"org": org}, base_dir=Path("/srv/acme"))
    assert built.state.path == Path("/srv/acme/.opsync/state.db")


def test_errors_are_grouped_by_what_the_caller_does_next() -> None:
    assert all(issubclass(k, ConnectorError) for k in (TransientError, PermanentError, AuthError))
    roots = (ConfigError, ConnectorError, ConflictError, RecordError, LockHeld)
    assert all(issubclass(k, OpsyncError) for k in roots)
    assert [k.exit_code for k in (ConfigError, ConflictError, LockHeld, PermanentError)] == [
        2,
        3,
        4,
        1,
    ]
    error = TransientError("rate limited", retry_after=2.0, connector="notion", request="GET /x")
    assert (str(error), error.retry_after) == (
        "rate limited (connector notion; request GET /x)",
        2.0,
    )
    single = ConfigError("bad", key="a.b", hint="fix it", file="f.toml")
    assert str(single) == "f.toml: a.b: bad\n    fix: fix it"
    assert single.problems == (ConfigProblem("a.b", "bad", "fix it"),)
    assert RecordError("no title", record="releases/r1", field="title").record == "releases/r1"


# The reference tables of docs/configuration.md, generated from the models.

NOTES = {  # meanings of fields whose model has no description (domain and settings models)
    "org.people.key": "Unique key other tables use for this person.",
    "org.people.name": "Display name on generated pages.",
    "org.people.role": "What the person does; PMs and Product Ops receive their own routing.",
    "org.people.email": "Address for email announcements.",
    "org.people.slack": "Slack handle or member id for mentions.",
    "org.product_areas.key": "Unique key records use to name their area.",
    "org.product_areas.name": "Display name on generated pages.",
    "org.product_areas.pm": "Key of the PM who owns the area and receives its insights.",
    "org.product_areas.eng_lead": "Key of the area's engineering lead.",
    "rollout.phases.name": "A name for the phase, shown in reports.",
    "rollout.phases.starts_on": "First local date on which the phase applies.",
    "rollout.phases.areas": 'Product area keys the phase covers; "*" is every area.',
    "rollout.phases.rules": 'Rule family names the phase switches on; "*" is every family.',
    "rules.enablement.handoff_bd_tier3": "Tier 3 bundle handed to Product Ops by L - N BD.",
    "rules.weekly.submission_due": "Local time on the update day by which PM submissions are due.",
    "rules.weekly.publish_due": "Local time on the update day by which the update is published.",
    "rules.roadmap.interval_days": "Days between Roadmap Reviews (14 = biweekly).",
    "rules.insights.top_themes": "Themes in the Monthly Insights Digest.",
    "rules.insights.quotes_per_theme": "Quotes shown per theme in the digest.",
    "rules.post_launch.day3_days": "Day 3 check-in due L + N calendar days (or the next BD).",
    "rules.post_launch.day14_days": "Day 14 retro due L + N calendar days (or the next BD).",
    "rules.post_launch.max_action_items": "A Day 14 retro ends in at most N action items.",
    "rules.scorecard.surprise_max": "Target: share of releases that surprised stakeholders.",
    "rules.scorecard.ping_reduction_min": "Target: drop in status pings from the baseline.",
    "rules.scorecard.coverage_min": "Target: Tier 2/3 releases with a bundle before launch.",
    "rules.scorecard.pm_satisfaction_min": "Target: share of satisfied PM pulse answers.",
    "rules.scorecard.ritual_adoption_min": "Target: share of artifacts published on time.",
    "rules.cadence.quarter_start_months": "Months in which quarters start (1 = January).",
    "rules.cadence.roadmap_review_time": "Local start time of the Roadmap Review.",
    "rules.cadence.roadmap_review_minutes": "Length of the Roadmap Review.",
    "rules.cadence.readiness_minutes": "Length of a Launch Readiness Check.",
    "rules.cadence.insights_review_time": "Local start time of the Monthly Insights Review.",
    "rules.cadence.insights_review_minutes": "Length of the Monthly Insights Review.",
    "rules.cadence.planning_time": "Local start time of Quarterly Planning.",
}


def reference_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {
        "org": OrgConfig,
        "org.people": Person,
        "org.product_areas": ProductArea,
    }
    for name, field in Settings.model_fields.items():
        section = model_in(field.annotation)
        if name not in ("rollout", "output") and section is not None:
            models[f"rules.{name}"] = section
    models |= {
        "aliases": AliasesConfig,
        "rollout.phases": RolloutPhase,
        "output": OutputSettings,
        "state": StateConfig,
        "run": RunConfig,
        "connectors.local": LocalConnectorConfig,
        "connectors.credentials": TokenConnectorConfig,
        "connectors.jira": JiraConnectorConfig,
        "connectors.jira.fields": FieldMap,
        "connectors.jira.write_back": WriteBack,
        "connectors.linear": LinearConnectorConfig,
        "connectors.linear.fields": LabelMap,
        "connectors.linear.write_back": LinearWriteBack,
        "connectors.confluence": ConfluenceConnectorConfig,
        "connectors.confluence.collections": ConfluenceCollection,
        "connectors.slack": SlackConnectorConfig,
        "connectors.email": EmailConnectorConfig,
        "connectors.s3": S3ConnectorConfig,
        "roles": RolesConfig,
    }
    return models


def type_words(annotation: Any) -> str:
    words = {int: "whole number", float: "number", str: "text", bool: "true/false"}
    words |= {date: "date", time: "time", Path: "path"}
    args = [a for a in get_args(annotation) if a is not type(None) and a is not Ellipsis]
    if get_origin(annotation) is Annotated:
        return type_words(args[0])
    if get_origin(annotation) is Literal:
        return " or ".join(f'`"{a}"`' for a in args)
    if annotation in words:
        return words[annotation]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " · ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if get_origin(annotation) is dict:
        return "table"
    if get_origin(annotation) is list:
        return "list of " + type_words(args[0]).replace("text", "texts")
    if get_origin(annotation) is tuple:
        item = type_words(args[0])
        return "list of " + (item if item == "text" else f"{item}s")
    return "text" if str in args else type_words(args[0])  # X | None: "not set" says optional


def bounds(metadata: list[Any]) -> str:
    signs = {Ge: ("≥", "ge"), Gt: (">", "gt"), Le: ("≤", "le"), Lt: ("<", "lt")}
    found = [
        f"{s} {getattr(m, a)}" for m in metadata for k, (s, a) in signs.items() if isinstance(m, k)
    ]
    return f" ({', '.join(found)})" if found else ""


def reference_table(table: str, model: type[BaseModel]) -> str:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            default = "empty"
        elif field.default is PydanticUndefined:
            default = "required"
        else:
            default = "not set" if field.default is None else f"`{toml_value(field.default)}`"
        meaning = (field.description or NOTES.get(f"{table}.{name}", "")).replace("|", "\\|")
        kind = type_words(field.annotation) + bounds(field.metadata)
        rows.append(f"| `{name}` | {kind} | {default} | {meaning} |")
    return "\n".join(rows)


BLOCK = re.compile(r"(<!-- reference:(\S+) -->\n)(.*?)(<!-- /reference -->)", re.DOTALL)


def test_reference_tables_in_the_doc_match_the_models() -> None:
    models = reference_models()
    doc = DOC.read_text(encoding="utf-8")

    def generated(match: re.Match[str]) -> str:
        return match[1] + reference_table(match[2], models[match[2]]) + "\n" + match[4]

    updated = BLOCK.sub(generated, doc)
    assert [m[2] for m in BLOCK.finditer(doc)] == list(models)  # a block for every table
    if os.environ.get("OPSYNC_UPDATE_GOLDEN") == "1":
        DOC.write_text(updated, encoding="utf-8")
    else:
        assert updated == doc, "docs/configuration.md is stale: run with OPSYNC_UPDATE_GOLDEN=1"


def test_the_doc_lists_every_field_with_a_meaning() -> None:
    doc = DOC.read_text(encoding="utf-8")
    blocks = {m[2]: m[3] for m in BLOCK.finditer(doc)}

    for table, model in reference_models().items():
        for name, field in model.model_fields.items():
            assert f"| `{name}` |" in blocks[table], f"{table}.{name} missing from the doc"
            meaning = field.description or NOTES.get(f"{table}.{name}")
            assert meaning, f"{table}.{name}: add a description to the field"


def test_the_doc_example_is_a_valid_config(tmp_path: Path) -> None:
    example = re.search(r"## Example\n\n```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert example is not None
    path = tmp_path / "opsync.toml"
    path.write_text(example[1], encoding="utf-8")

    config = load_config(path)

    assert config.org.name == "Acme"
    assert config.connector("tracker")[0] == "workspace"


@pytest.mark.parametrize("folder", ["../..", "/", "../elsewhere"])
def test_a_folder_opsync_writes_into_must_lie_in_the_config_folder(
    tmp_path: Path, folder: str
) -> None:
    config = tmp_path / "ws" / "opsync.toml"
    config.parent.mkdir()
    table = f'[connectors.local]\ntype = "local"\npages = "{folder}"\n'
    config.write_text(f'[org]\nname = "X"\ntimezone = "UTC"\n{table}', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(config)
    assert raised.value.key == "connectors.local.pages"
    assert "allow_outside" in raised.value.hint


@pytest.mark.parametrize(
    ("label", "shown", "suggested"),
    [
        ("product ops", "a space", "product-ops"),
        ("ops!", "'!'", "ops"),
        ("team:ops", "':'", "team-ops"),
        ("v1.2", "'.'", "v1-2"),
        ("a#b&c", "'#', '&'", "a-b-c"),
    ],
)
def test_a_confluence_label_confluence_cannot_hold_is_refused_with_the_fix(
    tmp_path: Path, label: str, shown: str, suggested: str
) -> None:
    table = f'[connectors.confluence]\ntype = "confluence"\nspace = "OPS"\nlabel = "{label}"\n'
    error = error_in(tmp_path, HEAD + table)
    assert keys(error) == ["connectors.confluence.label"]
    assert f'Confluence cannot hold the label "{label}": it contains {shown}' in str(error)
    assert f'label = "{suggested}"' in error.hint


def test_a_confluence_label_too_long_or_empty_is_refused(tmp_path: Path) -> None:
    for label in ("x" * 256, " "):
        table = f'[connectors.confluence]\ntype = "confluence"\nspace = "OPS"\nlabel = "{label}"\n'
        error = error_in(tmp_path, HEAD + table)
        assert keys(error) == ["connectors.confluence.label"]
    table = '[connectors.confluence]\ntype = "confluence"\nspace = "OPS"\nlabel = "ops_2026-é"\n'
    (tmp_path / "ok.toml").write_text(HEAD + table, encoding="utf-8")
    wiki = load_config(tmp_path / "ok.toml").connectors["confluence"]
    assert wiki.label == "ops_2026-é"  # type: ignore[attr-defined]
