"""``opsync doctor`` for Linear: each problem found names its fix.

Checked in the order a person fixes them: the key works (``viewer``), the team exists and
the key can see it, and every label the config names exists: the release label, each label
group (as a group) and at least one label for each prefix. Issue labels are checked for
``releases = "issues"``, project labels for ``"projects"``.
"""

from __future__ import annotations

from typing import Any

from opsync.connectors.linear import queries
from opsync.connectors.linear.client import LinearApi
from opsync.connectors.linear.config import DEFAULT_TOKEN_ENV, LinearConnectorConfig
from opsync.domain import Finding, Level
from opsync.errors import AuthError, ConfigError, ConnectorError


def _problem(record: str, field: str, message: str) -> Finding:
    return Finding(
        code="linear.setup", record=record, field=field, level=Level.ERROR, message=message
    )


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
    return _labels(api, config, record)


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
