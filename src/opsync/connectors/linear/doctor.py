"""``opsync doctor`` for Linear: each problem found names its fix.

Checked in the order a person fixes them: the key works (``viewer``), the team exists and
the key can see it, and every label the config names exists: the release label, each label
group (as a group) and at least one label for each prefix. Issue labels are checked for
``releases = "issues"``, project labels for ``"projects"``. With write-back, the status
label group and its labels are checked too: missing ones are an error when opsync may not
create them (``create_labels = false``), else a warning saying opsync creates them.
"""

from __future__ import annotations

from typing import Any

from opsync.connectors.linear import queries
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import DEFAULT_TOKEN_ENV, LinearConnectorConfig
from opsync.connectors.linear.writeback import group_labels
from opsync.domain import Finding, Level
from opsync.errors import AuthError, ConfigError, ConnectorError

#: The statuses the rules derive, written as labels (``rules/enablement.EnablementStatus``;
#: a connector does not import the rules, and tests check the two lists agree).
STATUSES = (
    "not required",
    "not started",
    "drafting",
    "ready for review",
    "published",
    "late",
    "launched without bundle",
)


def _problem(record: str, field: str, message: str, level: Level = Level.ERROR) -> Finding:
    return Finding(code="linear.setup", record=record, field=field, level=level, message=message)


def check(api: LinearApi, config: LinearConnectorConfig) -> list[Finding]:
    record = f"config/connectors/{api.name}"
    try:
        api.query(queries.VIEWER, what="the key's user (viewer)")
    except AuthError as exc:
        return [_problem(record, "token", f"{exc}; {_key_hint(config, api.name)}")]
    except (ConnectorError, ConfigError) as exc:
        return [_problem(record, "base_url", f"{exc}; check base_url and the network")]
    try:
        teams = api.query(queries.TEAM, {"filter": {"key": {"eq": config.team}}}, what="the team")[
            "teams"
        ]["nodes"]
    except ConnectorError as exc:
        return [_problem(record, "team", f"cannot read team {config.team}: {exc}")]
    if not teams:
        return [
            _problem(
                record,
                "team",
                f"Linear has no team with key {config.team} visible to this key; use the "
                "team's key (Settings → Teams), and a key of a member of that team",
            )
        ]
    return _labels(api, config, record) + _status_labels(api, config, record)


def _key_hint(config: LinearConnectorConfig, name: str) -> str:
    where = (
        f"the file {config.token_file} (connectors.{name}.token_file)"
        if config.token_file is not None
        else f"${config.token_env or DEFAULT_TOKEN_ENV}"
    )
    sent = "as a Bearer OAuth token" if config.auth == "oauth" else "as a personal API key"
    return (
        f'check the key in {where}: it is sent {sent} (auth = "{config.auth}"); create one '
        "in Linear → Settings → Security & access → Personal API keys"
    )


def _labels(api: LinearApi, config: LinearConnectorConfig, record: str) -> list[Finding]:
    document = queries.ISSUE_LABELS if config.releases == "issues" else queries.PROJECT_LABELS
    field = "issueLabels" if config.releases == "issues" else "projectLabels"
    kind = "issue" if config.releases == "issues" else "project"

    def find(filter_: dict[str, Any]) -> list[dict[str, Any]]:
        return list(
            api.nodes(document, field, {"filter": filter_}, what=f"{kind} labels", size=250)
        )

    findings: list[Finding] = []
    try:
        if config.label and not find({"name": {"eq": config.label}}):
            findings.append(
                _problem(
                    record,
                    "label",
                    f'Linear has no {kind} label "{config.label}"; create it, or set label to '
                    f"the {kind} label your releases carry",
                )
            )
        for name, mapping in sorted(config.fields.items()):
            if mapping.group is not None:
                found = find({"name": {"eq": mapping.group}})
                if not any(n.get("isGroup") for n in found):
                    findings.append(
                        _problem(
                            record,
                            f"fields.{name}",
                            f'Linear has no {kind} label group "{mapping.group}" for {name}; '
                            "create the group with one label per value, or map another",
                        )
                    )
            elif mapping.prefix is not None and not find({"name": {"startsWith": mapping.prefix}}):
                findings.append(
                    _problem(
                        record,
                        f"fields.{name}",
                        f'no {kind} label starts with "{mapping.prefix}" for {name}; create '
                        f'them (e.g. "{mapping.prefix}…") or change the prefix',
                    )
                )
    except ConnectorError as exc:
        findings.append(_problem(record, "fields", f"cannot list Linear's {kind} labels: {exc}"))
    return findings


def _status_labels(api: LinearApi, config: LinearConnectorConfig, record: str) -> list[Finding]:
    """The write-back's label group and one label per status."""
    write_back = config.write_back
    if write_back is None or not write_back.status_labels:
        return []
    group = write_back.label_group
    try:
        nodes = list(
            api.nodes(
                queries.STATUS_LABELS,
                "issueLabels",
                {"filter": queries.status_labels(group)},
                what=f'the labels of group "{group}"',
                size=100,
            )
        )
    except ConnectorError as exc:
        return [_problem(record, "write_back", f"cannot list Linear's issue labels: {exc}")]
    has_group = any(n.get("isGroup") and str(n.get("name")).lower() == group.lower() for n in nodes)
    have = {str(n.get("name")).lower() for n in group_labels({"labels": {"nodes": nodes}}, group)}
    missing = [s for s in STATUSES if s not in have]
    if has_group and not missing:
        return []
    what = (
        f'label group "{group}" with one label per status'
        if not has_group
        else f"label{'s' if len(missing) > 1 else ''} {', '.join(missing)} in the label "
        f'group "{group}"'
    )
    if write_back.create_labels:
        return [
            _problem(
                record,
                "write_back.label_group",
                f"Linear has no {what}; opsync creates them in team {config.team} when it "
                "first sets a status (the key needs permission to create labels)",
                Level.WARNING,
            )
        ]
    return [
        _problem(
            record,
            "write_back.label_group",
            f"Linear has no {what}; create them (Settings → Labels, a group named "
            f'"{group}" holding: {", ".join(STATUSES)}), or set create_labels = true',
        )
    ]
