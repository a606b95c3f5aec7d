"""File uploads: create, send (multipart), and attaching an upload to a media block.

What is served, each point from the Notion documentation:

- ``POST /v1/file_uploads`` answers a File Upload object with ``status: "pending"``, an
  ``upload_url`` and an ``expiry_time`` one hour on; ``filename`` is at most 900 bytes
  (https://developers.notion.com/reference/create-file, and the example response in
  https://developers.notion.com/docs/uploading-small-files). Only ``single_part`` is served:
  ``multi_part`` and ``external_url`` answer 400, an emulator limit, never a leniency.
- ``POST /v1/file_uploads/{id}/send`` takes ``multipart/form-data`` with the contents under
  the ``file`` key (https://developers.notion.com/reference/upload-file); a single-part file is
  at most 20 MB (https://developers.notion.com/docs/working-with-files-and-media, "Direct
  Upload ... (≤ 20MB)"), and at most the workspace's ``max_file_upload_size_in_bytes``
  (the bot user's ``workspace_limits``, 5 MiB here as on a free plan). Sending to an upload
  that is not ``pending`` is refused. Afterwards its status is ``uploaded``.
- An upload is attached by a file object ``{"type": "file_upload", "file_upload": {"id"}}``
  once its status is ``uploaded`` (https://developers.notion.com/reference/file-upload); an
  upload not attached within its ``expiry_time`` expires and "can no longer be used", and
  once attached its ``expiry_time`` is null (same page). Read back, the block holds a
  Notion-hosted file: ``{"type": "file", "file": {"url", "expiry_time"}}``
  (https://developers.notion.com/reference/file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opsync.testing.emulators.multipart import Parts, form_parts
from opsync.testing.emulators.notion_errors import body_invalid, invalid, not_found
from opsync.testing.emulators.notion_model import World

Json = dict[str, Any]
MAX_FILENAME_BYTES = 900
MAX_SINGLE_PART = 20 * 1024 * 1024
EXPIRY = timedelta(hours=1)
# Block types an upload can be attached to (working-with-files-and-media, "Supported block
# types": file, image, pdf, audio, video), and the image types an image block shows (same
# page, "Supported file types", images).
MEDIA_BLOCKS = frozenset({"file", "image", "pdf", "audio", "video"})
IMAGE_TYPES = frozenset(
    {
        "image/gif",
        "image/heic",
        "image/jpeg",
        "image/png",
        "image/svg+xml",
        "image/tiff",
        "image/webp",
        "image/vnd.microsoft.icon",
    }
)


@dataclass
class Upload:
    id: str
    owner: str
    created: datetime
    expiry: datetime | None
    status: str = "pending"
    filename: str | None = None
    content_type: str | None = None
    data: bytes | None = None


def _uploads(world: World) -> dict[str, Upload]:
    return world.uploads


def _stamp(when: datetime | None) -> str | None:
    """As Notion writes times: UTC, milliseconds, ``Z`` ("2026-12-07T10:48:39.775Z")."""
    if when is None:
        return None
    utc = when.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _live(world: World, upload: Upload) -> Upload:
    if upload.expiry is not None and world.now() >= upload.expiry:
        upload.status = "expired"
    return upload


def upload_json(world: World, upload: Upload, base_url: str = "https://api.notion.com") -> Json:
    _live(world, upload)
    return {
        "object": "file_upload",
        "id": upload.id,
        "created_time": _stamp(upload.created),
        "last_edited_time": _stamp(upload.created),
        "expiry_time": _stamp(upload.expiry),
        "upload_url": f"{base_url}/v1/file_uploads/{upload.id}/send"
        if upload.status == "pending"
        else None,
        "archived": False,
        "status": upload.status,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "content_length": len(upload.data) if upload.data is not None else None,
    }


def create_upload(world: World, user: str, body: Json) -> Json:
    allowed = {"mode", "filename", "content_type", "number_of_parts", "external_url"}
    for key in body:
        if key not in allowed:
            raise body_invalid(f"body.{key}", "should be not present", body[key])
    mode = body.get("mode", "single_part")
    if mode not in ("single_part", "multi_part", "external_url"):
        raise body_invalid(
            "body.mode", 'should be "single_part", "multi_part", or "external_url"', mode
        )
    if mode != "single_part":
        raise invalid(f"The emulator serves single_part file uploads only, not {mode}.")
    filename = body.get("filename")
    if filename is not None:
        if not isinstance(filename, str):
            raise body_invalid("body.filename", "should be a string", filename)
        if len(filename.encode("utf-8")) > MAX_FILENAME_BYTES:
            raise invalid(
                "body failed validation: body.filename.length should be ≤ "
                f"{MAX_FILENAME_BYTES} bytes, instead was {len(filename.encode('utf-8'))}."
            )
    content_type = body.get("content_type")
    if content_type is not None and not isinstance(content_type, str):
        raise body_invalid("body.content_type", "should be a string", content_type)
    now = world.now()
    upload = Upload(world.new_id(), user, now, now + EXPIRY, filename=filename)
    upload.content_type = content_type
    _uploads(world)[upload.id] = upload
    return upload_json(world, upload)


def retrieve_upload(world: World, user: str, upload_id: str) -> Json:
    return upload_json(world, _find(world, user, upload_id))


def _find(world: World, user: str, upload_id: str) -> Upload:
    upload = _uploads(world).get(upload_id)
    if upload is None or upload.owner != user:  # an upload is its integration's own
        raise not_found("file_upload", upload_id)
    return _live(world, upload)


def _form(raw: bytes, content_type: str) -> Parts:
    """The parts of a multipart/form-data body: name → (filename, content type, bytes)."""
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        raise invalid(
            "Send a file upload takes multipart/form-data with a boundary, not "
            f"`{content_type or 'no Content-Type'}`."
        )
    return form_parts(raw, content_type)


def send_upload(
    world: World, user: str, upload_id: str, raw: bytes, content_type: str, limit: int
) -> Json:
    upload = _find(world, user, upload_id)
    if upload.status != "pending":
        raise invalid(f"File upload {upload_id} is {upload.status}, not pending: send refused.")
    parts = _form(raw, content_type)
    if "file" not in parts:
        raise invalid("body failed validation: the file contents go under the `file` key.")
    filename, part_type, data = parts["file"]
    most = min(MAX_SINGLE_PART, limit)
    if len(data) > most:
        raise invalid(
            f"The file is {len(data)} bytes; a single-part upload takes at most {most} bytes."
        )
    upload.data = data
    upload.filename = upload.filename or filename
    upload.content_type = upload.content_type or part_type
    upload.status = "uploaded"
    return upload_json(world, upload)


def attach(world: World, user: str, kind: str, content: Json, path: str) -> Json:
    """A media block's content as stored: an uploaded file in its place, or refused."""
    if kind not in MEDIA_BLOCKS or content.get("type") != "file_upload":
        return content
    ref = content.get("file_upload")
    upload_id = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(upload_id, str):
        raise body_invalid(f"{path}.file_upload.id", "should be a string", upload_id)
    upload = _uploads(world).get(upload_id)
    if upload is None or upload.owner != user:
        raise invalid(f"Could not find file upload with ID: {upload_id}.")
    _live(world, upload)
    if upload.status != "uploaded":
        raise invalid(
            f"File upload {upload_id} is {upload.status}: only an uploaded file can be attached."
        )
    if kind == "image" and upload.content_type not in IMAGE_TYPES:
        raise invalid(f"File upload {upload_id} is {upload.content_type}, not an image.")
    upload.expiry = None  # attached: it no longer expires
    stored = {k: v for k, v in content.items() if k not in ("type", "file_upload")}
    stored.setdefault("caption", [])
    hour = world.now() + EXPIRY
    url = f"https://files.emulator.notion.invalid/{upload.id}/{upload.filename or 'file'}"
    return {**stored, "type": "file", "file": {"url": url, "expiry_time": _stamp(hour)}}
