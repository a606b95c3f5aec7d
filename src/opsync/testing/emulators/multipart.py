"""multipart/form-data bodies as the emulators read them (Notion's file uploads, Confluence's
attachments): the stdlib's email parser does it, given the header it needs. Each emulator
checks the content type first and answers in its own service's error shape."""

from __future__ import annotations

import email.parser
import email.policy

Parts = dict[str, tuple[str | None, str, bytes]]


def form_parts(raw: bytes, content_type: str) -> Parts:
    """The parts of a body whose ``content_type`` carries its boundary: name → (filename,
    content type, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    parts: Parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            parts[name] = (part.get_filename(), part.get_content_type(), data)
    return parts
