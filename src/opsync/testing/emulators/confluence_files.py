"""Page attachments, v1 (Cloud under ``/wiki``, Data Center without it), as Atlassian
documents them in "Content - attachments"
(https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content---attachments/,
SPEC-C1 createAttachment and getAttachments; Data Center: "Attachments",
https://developer.atlassian.com/server/confluence/rest/v1000/api-group-attachments):

- ``POST /rest/api/content/{id}/child/attachment`` takes ``multipart/form-data`` whose
  ``file`` part holds the file (its part's filename names the attachment), with optional
  ``comment`` and ``minorEdit`` parts, and answers a v1 result list of the new attachment.
  It "only adds a new attachment": a file name already attached to the page is refused with
  400 and the message Confluence sends (quoted in line/conflr#130:
  ``BadRequestException: Cannot add a new attachment with same file name as an existing
  attachment: <name>``); a new version goes through ``PUT .../child/attachment`` (not
  served here) or ``POST .../child/attachment/{attachmentId}/data`` (SPEC-C1
  updateAttachmentData: "Updates the binary data of an attachment, given the attachment ID"),
  multipart like a create, which keeps the attachment's id, raises its version and answers
  the attachment as one v1 content object. opsync's charts never need it (they are named
  after their content); the ritual feed does, so that its download URL stays the same.
- ``GET /download/attachments/{pageId}/{filename}`` (the ``download`` link, under ``/wiki``
  on Cloud) answers the file's bytes with its media type: the latest version without
  ``version``, else that version (only the latest is kept here: another is 404). It is no
  REST resource, so no OpenAPI document describes it; it needs the same authentication.
- Without the header ``X-Atlassian-Token: no-check`` such a request is refused with 403
  "XSRF check failed" before it runs: the page says "you must set a X-Atlassian-Token:
  nocheck header on the request for this method, otherwise it will be blocked", and
  "Form Token handling" (https://developer.atlassian.com/server/confluence/form-token-handling/)
  names ``no-check`` the value, ``nocheck`` the deprecated one still accepted. The answer
  is the bare text ``XSRF check failed`` (as quoted in floralvikings/jira-connector#161).
  The check is in ``confluence.py``: it applies to every multipart request, whatever the
  route.
- ``GET /rest/api/content/{id}/child/attachment`` lists a page's attachments, ``filename``
  and ``mediaType`` filtering, paginated as every v1 listing (``start``, ``limit`` default
  25, ``_links.next`` relative to ``_links.base``, absent on the last page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode

from opsync.testing.emulators.confluence_model import (
    Attachment,
    Json,
    PageRec,
    v1_error,
    v1_listing,
)
from opsync.testing.emulators.confluence_routes import Call, int_param, page_or_404
from opsync.testing.emulators.multipart import Parts, form_parts

#: The request templates (after the root) whose body is ``multipart/form-data``, not JSON.
MULTIPART = frozenset(
    {
        ("POST", "/rest/api/content/{id}/child/attachment"),
        ("POST", "/rest/api/content/{id}/child/attachment/{aid}/data"),
    }
)
#: Where an attachment's bytes are downloaded (after the root); not a REST resource.
DOWNLOAD = "/download/attachments/{id}/{filename}"


@dataclass(frozen=True)
class Download:
    """An answer that is a file's bytes, not JSON."""

    data: bytes
    media_type: str


#: The values of ``X-Atlassian-Token`` that pass the XSRF check (``no-check``; ``nocheck``
#: is deprecated but accepted, per "Form Token handling").
XSRF_TOKENS = frozenset({"no-check", "nocheck"})
XSRF_FAILED = "XSRF check failed"


def form(raw: bytes, content_type: str) -> Parts:
    """The parts of a multipart/form-data body: name → (filename, content type, bytes)."""
    if "boundary=" not in content_type:
        raise v1_error(400, "multipart/form-data without a boundary")
    return form_parts(raw, content_type)


def _attachment_json(call: Call, page: PageRec, item: Attachment) -> Json:
    """An attachment as v1 content (SPEC-C1 ``Content`` of type ``attachment``): its
    media type and size under ``extensions``, its download link under ``_links``."""
    name = quote(item.title)
    return {
        "id": item.id,
        "type": "attachment",
        "status": "current",
        "title": item.title,
        "version": {"number": item.version},
        "container": {"id": page.id, "type": "page", "title": page.title},
        "metadata": {"mediaType": item.media_type, "comment": item.comment},
        "extensions": {
            "mediaType": item.media_type,
            "fileSize": len(item.data),
            "comment": item.comment,
        },
        "_links": {
            "download": f"/download/attachments/{page.id}/{name}?version={item.version}&api=v2",
            "webui": f"/pages/viewpageattachments.action?pageId={page.id}",
            "base": call.root,
        },
    }


def v1_create_attachment(call: Call) -> Json:
    page = page_or_404(call, False)
    parts = form(call.raw, call.headers.get("content-type", ""))
    if "file" not in parts:
        raise v1_error(400, "At least one attachment file must be included, in the 'file' part")
    filename, media_type, data = parts["file"]
    if not filename:
        raise v1_error(400, "The 'file' part needs a filename")
    minor = parts.get("minorEdit", (None, "", b"false"))[2].decode().strip('"').lower()
    if minor not in ("true", "false"):
        raise v1_error(400, f"minorEdit must be true or false, not {minor!r}")
    if any(a.title == filename for a in page.attachments):
        raise v1_error(
            400,
            "com.atlassian.confluence.api.service.exceptions.BadRequestException: Cannot add "
            f"a new attachment with same file name as an existing attachment: {filename}",
        )
    comment = parts.get("comment", (None, "", b""))[2].decode()
    item = Attachment(call.world.new_attachment_id(), filename, media_type, data, comment)
    page.attachments.append(item)
    results = [_attachment_json(call, page, item)]
    return {"results": results, "start": 0, "limit": 1, "size": 1, "_links": {"base": call.root}}


def v1_update_attachment_data(call: Call) -> Json:
    page = page_or_404(call, False)
    item = next((a for a in page.attachments if a.id == call.params["aid"]), None)
    if item is None:
        raise v1_error(404, f"No attachment found with id: {call.params['aid']}")
    parts = form(call.raw, call.headers.get("content-type", ""))
    if "file" not in parts:
        raise v1_error(400, "At least one attachment file must be included, in the 'file' part")
    filename, media_type, data = parts["file"]
    if filename and filename != item.title and any(a.title == filename for a in page.attachments):
        raise v1_error(400, f"An attachment named {filename} is already on the page")
    item.title = filename or item.title
    item.media_type = media_type or item.media_type
    item.data = data
    item.comment = parts.get("comment", (None, "", item.comment.encode()))[2].decode()
    item.version += 1
    return _attachment_json(call, page, item)


def download(call: Call) -> Any:
    """The bytes of the attachment ``filename`` of page ``id`` (see the module docstring)."""
    page = page_or_404(call, False)
    name = unquote(call.params["filename"])
    item = next((a for a in page.attachments if a.title == name), None)
    wanted = call.query.get("version")
    if item is None or (wanted is not None and wanted != str(item.version)):
        raise v1_error(404, f"No attachment {name} on page {page.id}")
    return Download(item.data, item.media_type)


def v1_attachments(call: Call) -> Json:
    page = page_or_404(call, False)
    start = int(call.query.get("start", "0") or 0)
    limit = int_param(call.query, "limit", 25, 200)
    found = [
        a
        for a in page.attachments
        if call.query.get("filename", a.title) == a.title
        and call.query.get("mediaType", a.media_type) == a.media_type
    ]
    results = [_attachment_json(call, page, a) for a in found[start : start + limit]]
    links: Json = {"base": call.root}
    if start + limit < len(found):
        query = {k: v for k, v in call.query.items() if k not in ("start", "limit")}
        query.update({"limit": str(limit), "start": str(start + limit)})
        links["next"] = f"/rest/api/content/{page.id}/child/attachment?{urlencode(query)}"
    return v1_listing(results, start, limit, links)


__all__ = [
    "DOWNLOAD",
    "MULTIPART",
    "XSRF_FAILED",
    "XSRF_TOKENS",
    "Download",
    "download",
    "v1_attachments",
    "v1_create_attachment",
    "v1_update_attachment_data",
]
