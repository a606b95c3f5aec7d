"""A :class:`~opsync.connectors.base.Message` as an email: ``multipart/alternative`` with a
plain-text part and an HTML part, both from the same content.

The text part is the message's own text (or its document as plain text) with the page's
link spelled out; the HTML part is the document rendered by :mod:`opsync.documents.html`
(the look inline, every text escaped, only http(s)/mailto links), or the text as paragraphs
when the message has no document.

``Message-ID`` is derived from the message key alone, so a message sent again after a crash
(the run was killed after the server took it and before the journal recorded it) carries the
same Message-ID as the first copy, which mail clients and Gmail show as one message. The key
also travels in ``X-Opsync-Key``, for a person (or a filter) to trace a message to its rule.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address, Group
from email.message import EmailMessage
from email.utils import format_datetime

from opsync.connectors.base import Message
from opsync.documents import html, plaintext

KEY_HEADER = "X-Opsync-Key"
_SUBJECT_LINE = re.compile(r"^subject:\s*", re.IGNORECASE)
_MAX_SUBJECT = 200


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the message with ``key``: the same key always gives the same ID."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<opsync.{digest}@{domain}>"


def _one_line(value: str) -> str:
    return " ".join(value.split())


def subject_and_text(message: Message) -> tuple[str, str]:
    """The subject, and the text the body starts from.

    The subject is the message's title, or else the first line of its text; a first line
    written as an email header (``Subject: Weekly update``) is taken as the subject and left
    out of the body, rather than sent as ``Subject: Subject: …``.
    """
    text = message.text.replace("\r\n", "\n").strip("\n")
    if message.title.strip():
        return _one_line(message.title)[:_MAX_SUBJECT], text
    first, _, rest = text.partition("\n")
    if _SUBJECT_LINE.match(first):
        return _one_line(_SUBJECT_LINE.sub("", first))[:_MAX_SUBJECT], rest.strip("\n")
    return _one_line(first)[:_MAX_SUBJECT] or "(no subject)", text


def _headed(message: Message, subject: str, text: str) -> bool:
    """Whether the body starts with the subject as its heading: not when it is the first
    line of the text the body is."""
    return message.document is not None or text.partition("\n")[0].strip() != subject


def plain_body(message: Message, subject: str, text: str) -> str:
    """The text part: the title, the body (the document as plain text, or the message's
    text), and the page's link."""
    body = plaintext.render_blocks(message.document.children) if message.document else text
    out = body.strip()
    if _headed(message, subject, text):
        out = f"{subject}\n{'=' * min(len(subject), 72)}\n\n{out}"
    if message.link:
        out += f"\n\nOpen the page: {message.link}"
    return out + "\n"


def html_body(message: Message, subject: str, text: str) -> str:
    """The HTML part, rendered from the document tree (or the text's paragraphs)."""
    parts = []
    if _headed(message, subject, text):
        parts.append(html.heading(1, subject))
    if message.document is not None:
        parts.append(html.render_blocks(message.document.children))
    else:
        parts.append(html.text_paragraphs(text))
    if message.link:
        parts.append(html.paragraph(html.link("Open the page", message.link)))
    return html.page(subject, "\n".join(p for p in parts if p))


def compose(
    message: Message,
    *,
    sender: Address,
    to: Sequence[Address],
    hide_recipients: bool,
    reply_to: Address | None,
    id_domain: str,
    date: datetime,
) -> EmailMessage:
    """The email for ``message``; ``to`` are its recipients, listed in ``To`` unless
    ``hide_recipients`` (then ``To: undisclosed-recipients:;`` and the addresses only in
    the SMTP envelope, which is how Bcc is sent)."""
    subject, text = subject_and_text(message)
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = sender
    email["To"] = Group("undisclosed-recipients") if hide_recipients else tuple(to)
    if reply_to is not None:
        email["Reply-To"] = reply_to
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message_id(message.key, id_domain)
    email[KEY_HEADER] = message.key
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders do not answer it
    email.set_content(plain_body(message, subject, text), subtype="plain")
    email.add_alternative(html_body(message, subject, text), subtype="html")
    return email


__all__ = ["KEY_HEADER", "compose", "message_id", "plain_body", "subject_and_text"]
