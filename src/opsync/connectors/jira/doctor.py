"""``opsync doctor`` for Jira: each problem found names its fix.

Checked in the order a person fixes them: the site answers as the configured deployment,
the credentials work (``/myself``), the project is visible, every mapped field id exists
(``/field``: ids, as names are not unique) with a type opsync can read, and the JQL the
connector sends parses (``/jql/parse``, which validates without running the search). With
``[write_back]``, each write-back field exists with a type opsync can write, and is on the
edit screen of a release issue (``/issue/{key}/editmeta``: what the account may edit there).
"""

from __future__ import annotations

from typing import Any

from opsync.connectors.jira import jql
from opsync.connectors.jira.client import JiraApi
from opsync.connectors.jira.config import (
    DEFAULT_EMAIL_ENV,
    DEFAULT_TOKEN_ENV,
    JiraConnectorConfig,
)
from opsync.domain import Finding, Level
from opsync.errors import AuthError, ConfigError, ConnectorError

# Release field -> the Jira schema types it can be read from.
_TYPES = {
    "tier": {"option", "string", "number", "array", "component"},
    "product_area": {"option", "string", "array", "component"},
    "pm": {"user", "array", "option"},
    "eng_lead": {"user", "array", "option"},
    "stakeholder_summary": {"string"},
    "launch_date": {"date", "datetime"},
    # write-back: a select (by option value) or text; a date; a URL or text field
    "write_back.enablement_status": {"option", "string"},
    "write_back.next_deadline": {"date"},
    "write_back.bundle_link": {"string"},
}


def _problem(record: str, field: str, message: str) -> Finding:
    return Finding(
        code="jira.setup", record=record, field=field, level=Level.ERROR, message=message
    )


def check(api: JiraApi, config: JiraConnectorConfig) -> list[Finding]:
    record = f"config/connectors/{api.name}"
    refused: AuthError | None = None
    try:
        # serverInfo answers anonymous callers, but Cloud refuses wrong credentials with
        # 401 (SPEC-J getServerInfo): that is the token, not the site or the network.
        info = api.get("serverInfo") or {}
    except AuthError as exc:
        refused = exc
        info = _anonymous_info(api)
    except (ConnectorError, ConfigError) as exc:
        return [_problem(record, "base_url", f"{exc}; check base_url and the network")]
    kind = str(info.get("deploymentType") or "")  # absent in Atlassian's own example
    if kind and (kind.lower() == "cloud") != api.cloud:
        actual = "cloud" if kind.lower() == "cloud" else "datacenter"
        return [
            _problem(
                record, "deployment", f'the site is Jira {actual}: set deployment = "{actual}"'
            )
        ]
    if refused is not None:
        return [_problem(record, "token", f"{refused}; {_credentials_hint(config, api.name)}")]
    try:
        api.get("myself")
    except AuthError as exc:
        return [_problem(record, "token", f"{exc}; {_credentials_hint(config, api.name)}")]
    except (ConnectorError, ConfigError) as exc:
        return [_problem(record, "base_url", f"{exc}; check base_url and the network")]
    findings: list[Finding] = []
    try:
        api.get(f"project/{config.project}")
    except ConnectorError as exc:
        findings.append(
            _problem(
                record,
                "project",
                f"project {config.project} cannot be read ({exc}); check the key, and that "
                "the account has Browse projects permission on it",
            )
        )
    findings += _fields(api, config, record)
    query = jql.updated_since(jql.scope(config.project, config.filters, config.jql), 0)
    try:
        answer = api.post("jql/parse", {"queries": [query]}, validation="strict") or {}
        errors = [e for q in answer.get("queries", []) for e in q.get("errors") or []]
    except ConnectorError as exc:
        errors = [str(exc)]
    for error in errors:
        findings.append(
            _problem(
                record, "jql", f"Jira rejects the query {query!r}: {error}; fix filters or jql"
            )
        )
    if config.write_back is not None and not errors:
        findings += _edit_screen(api, config, record)
    return findings


def _edit_screen(api: JiraApi, config: JiraConnectorConfig, record: str) -> list[Finding]:
    """Each write-back field is editable on a release issue (the first the query finds)."""
    assert config.write_back is not None
    wanted = config.write_back.fields()
    base = jql.scope(config.project, config.filters, config.jql)
    try:
        first = next(iter(api.search(base + jql.ORDER, ["id"], what="a release issue", size=1)))
    except StopIteration:
        return []  # no release issue yet: nothing to ask editmeta about
    except ConnectorError as exc:
        return [_problem(record, "write_back", f"cannot find a release issue: {exc}")]
    key = str(first.get("key") or first.get("id"))
    try:
        editable = (api.get(f"issue/{key}/editmeta", record=key) or {}).get("fields") or {}
    except ConnectorError as exc:
        return [_problem(record, "write_back", f"cannot read what {key} lets opsync edit: {exc}")]
    return [
        _problem(
            record,
            f"write_back.{name}",
            f"{field_id} is not on the edit screen of {key} (or this account cannot edit it), "
            f"so opsync cannot write {name} there: add the field to the screen of project "
            f"{config.project}'s release issue type, and give the account Edit issues",
        )
        for name, field_id in wanted.items()
        if field_id not in editable
    ]


def _anonymous_info(api: JiraApi) -> dict[str, Any]:
    """serverInfo asked without credentials, to tell which deployment the site is after
    the credentials were refused; empty when the site does not answer that either."""
    try:
        return dict(api.anonymous_get("serverInfo") or {})
    except (ConnectorError, ConfigError):
        return {}


def _credentials_hint(config: JiraConnectorConfig, name: str) -> str:
    """Where the refused credentials came from and what they must be (never their value)."""
    table = f"connectors.{name}"
    if config.token_file is not None:
        token = f"the file {config.token_file} ({table}.token_file)"
    else:
        token = f"${config.token_env or DEFAULT_TOKEN_ENV}"
    if config.deployment != "cloud":
        return (
            f"check the token in use: {token} must hold a personal access token of an "
            "account that can browse the project (profile → Personal Access Tokens)"
        )
    email = f"${config.email_env or DEFAULT_EMAIL_ENV}"
    return (
        f"check the email and token in use: {token} must hold a current API token "
        f"(id.atlassian.com → Security → API tokens) of the account whose email is in {email}"
    )


def _fields(api: JiraApi, config: JiraConnectorConfig, record: str) -> list[Finding]:
    try:
        known: dict[str, Any] = {str(f.get("id")): f for f in api.get("field") or []}
    except ConnectorError as exc:
        return [_problem(record, "fields", f"cannot list Jira's fields: {exc}")]
    wanted = [(name, m.field) for name, m in config.fields.items()]
    if config.launch_date != "fixVersions":
        wanted.append(("launch_date", config.launch_date))
    if config.write_back is not None:
        wanted += [(f"write_back.{n}", f) for n, f in config.write_back.fields().items()]
    findings: list[Finding] = []
    custom = ", ".join(sorted(k for k in known if k.startswith("custom"))) or "none"
    for name, field_id in wanted:
        found = known.get(field_id)
        key = name if name.startswith("write_back.") else f"fields.{name}"
        if found is None:
            findings.append(
                _problem(
                    record,
                    key,
                    f"Jira has no field {field_id} visible to this account for {name}; use a "
                    f"field id from: {custom}",
                )
            )
            continue
        kind = str((found.get("schema") or {}).get("type", ""))
        if kind and kind not in _TYPES[name]:
            findings.append(
                _problem(
                    record,
                    key,
                    f'{field_id} ("{found.get("name")}") is a {kind} field; {name} needs one of '
                    f"{', '.join(sorted(_TYPES[name]))}: map {name} to another field",
                )
            )
    return findings
