"""The GraphQL documents the Linear connector sends, and the filters it passes them.

Every value opsync puts in a query travels as a GraphQL variable (``$filter``), never
spliced into the document, so a label called ``a" } or {`` cannot change the query. The
documents ask only for the fields opsync maps; nested label connections ask for
``first: 20`` (a page of 50 issues then costs about 2,500 complexity points, where
Linear's default of 50 labels would cost 5,800; an item with more labels is a finding). The
emulator checks each document against Linear's schema, so a misspelt field fails there as
it would on Linear.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

_PAGE = "pageInfo { hasNextPage endCursor }"
_LABELS = "labels(first: 20) { nodes { name parent { name } } pageInfo { hasNextPage } }"
_ISSUE = (
    "id identifier title description url dueDate completedAt canceledAt updatedAt priority "
    f"state {{ type }} assignee {{ email name }} creator {{ email name }} {_LABELS}"
)
_PROJECT = (
    "id slugId name description url targetDate completedAt canceledAt updatedAt "
    f"status {{ type }} lead {{ email name }} {_LABELS}"
)
#: Linear's largest page: id-only pages are cheap, so the full pass asks for this many.
ID_PAGE = 250

VIEWER = "query OpsyncViewer { viewer { id name email } }"
TEAM = (
    "query OpsyncTeam($filter: TeamFilter) { "
    "teams(filter: $filter, first: 2) { nodes { id key name } } }"
)
ISSUE_LABELS = (
    "query OpsyncIssueLabels($filter: IssueLabelFilter, $first: Int, $after: String) { "
    "issueLabels(filter: $filter, first: $first, after: $after) { "
    f"nodes {{ name isGroup parent {{ name }} }} {_PAGE} }} }}"
)
PROJECT_LABELS = (
    "query OpsyncProjectLabels($filter: ProjectLabelFilter, $first: Int, $after: String) { "
    "projectLabels(filter: $filter, first: $first, after: $after) { "
    f"nodes {{ name isGroup parent {{ name }} }} {_PAGE} }} }}"
)


def items(kind: str, *, ids_only: bool = False) -> str:
    """The paginated read of ``issues`` or ``projects``, whole or ids only."""
    fields = "id" if ids_only else (_ISSUE if kind == "issues" else _PROJECT)
    filter_type = "IssueFilter" if kind == "issues" else "ProjectFilter"
    name = ("OpsyncIds" if ids_only else "OpsyncRead") + kind.capitalize()
    return (
        f"query {name}($filter: {filter_type}, $first: Int, $after: String) {{ "
        f"{kind}(filter: $filter, first: $first, after: $after, orderBy: updatedAt) {{ "
        f"nodes {{ {fields} }} {_PAGE} }} }}"
    )


def scope(kind: str, team: str, label: str | None) -> Json:
    """The filter selecting the releases: the team's issues with the label, or the team's
    projects (with the label, when one is set)."""
    name = {"name": {"eq": label}} if label else None
    if kind == "issues":
        found: Json = {"team": {"key": {"eq": team}}}
        if name:
            found["labels"] = {"some": name}
        return found
    found = {"accessibleTeams": {"some": {"key": {"eq": team}}}}
    if name:
        found["labels"] = {"some": name}
    return found


def updated_since(base: Json, since: str | None) -> Json:
    """``base`` narrowed to items updated at or after ``since`` (ISO 8601, UTC)."""
    return base if since is None else {**base, "updatedAt": {"gte": since}}


def with_ids(base: Json, ids: list[str]) -> Json:
    return {**base, "id": {"in": ids}}


# ---------------------------------------------------------------- write-back

#: The status label group and its labels (``write_back.label_group``), with their ids.
STATUS_LABELS = (
    "query OpsyncStatusLabels($filter: IssueLabelFilter, $first: Int, $after: String) { "
    "issueLabels(filter: $filter, first: $first, after: $after) { "
    f"nodes {{ id name isGroup parent {{ id name }} }} {_PAGE} }} }}"
)
#: One issue's labels as they are now, read again just before a write.
ISSUE_NOW = (
    "query OpsyncIssueNow($id: String!) { issue(id: $id) { id identifier "
    "labels(first: 50) { nodes { id name parent { name } } } } }"
)
#: One issue's attachments with a URL, to find opsync's after a lost state store.
ATTACHMENTS = (
    "query OpsyncAttachments($id: String!, $filter: AttachmentFilter) { issue(id: $id) { "
    "attachments(filter: $filter, first: 10) { nodes { id url title subtitle } } } }"
)
#: A label (or the group) created in the team.
LABEL_CREATE = (
    "mutation OpsyncLabelCreate($input: IssueLabelCreateInput!) { "
    "issueLabelCreate(input: $input) { success "
    "issueLabel { id name isGroup parent { id name } } } }"
)
#: The status label swapped in one update: only the named labels are added and removed,
#: so a label a person adds at the same time is kept (``labelIds`` would replace them all).
SET_LABELS = (
    "mutation OpsyncSetStatus($id: String!, $input: IssueUpdateInput!) { "
    "issueUpdate(id: $id, input: $input) { success } }"
)
#: The bundle attachment: Linear updates the attachment with the same URL on the same
#: issue instead of adding one (linear.app/developers/attachments).
ATTACH = (
    "mutation OpsyncAttachBundle($input: AttachmentCreateInput!) { "
    "attachmentCreate(input: $input) { success attachment { id url } } }"
)


def status_labels(group: str) -> Json:
    """The filter selecting the group label and its children."""
    name = {"name": {"eq": group}}
    return {"or": [name, {"parent": name}]}
