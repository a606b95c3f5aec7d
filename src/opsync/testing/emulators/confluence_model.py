"""The emulated Confluence site: spaces, pages with versions, content properties, labels.

Behaviour follows the specs and recordings in the Atlassian reference (NOTES.md §8-§10):
titles are unique per space, archived pages included (400 with the recorded wording); an
update must carry the current version plus one (409 otherwise, with the recorded message);
a property update likewise. Stored bodies are rewritten on save the way Confluence does
(:func:`normalise`), so a client comparing what it sent with what it reads back sees a
difference on every run.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

Json = dict[str, Any]
NS = {
    "http://atlassian.com/content": "ac",
    "http://atlassian.com/resource/identifier": "ri",
    "http://atlassian.com/template": "at",
}
_WRAP = "<r " + " ".join(f'xmlns:{p}="{u}"' for u, p in NS.items()) + ">"
_VOID = frozenset({"br", "hr", "img", "col"})
_MACRO = "{http://atlassian.com/content}structured-macro"


class ApiError(Exception):
    """An error answer: the status and the JSON body in the API version's envelope."""

    def __init__(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def v1_error(status: int, message: str) -> ApiError:
    """The v1 envelope (recorded/confluence/v1_error_*)."""
    return ApiError(status, error_body(status, message, False))


def v2_error(status: int, code: str, title: str) -> ApiError:
    """The v2 envelope (recorded/confluence/v2_error_*)."""
    return ApiError(
        status, {"errors": [{"status": status, "code": code, "title": title, "detail": None}]}
    )


_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
}


def error_body(status: int, message: str, v2: bool) -> Json:
    """An error answer in the envelope of the API version asked. v2:
    ``{"errors": [{status, code, title, detail}]}``, as Confluence Cloud answers every v2
    operation (SPEC-C2 publishes no error schema; the envelope is the one recorded in
    ``recorded/confluence/v2_error_400_duplicate_title.json`` and ``v2_error_500_envelope
    .json``, from POST /wiki/api/v2/pages). v1: ``{statusCode, data, message}`` (SPEC-C1
    narrative "status-code"; ``recorded/confluence/v1_error_*``)."""
    if v2:
        code = _CODES.get(status, "ERROR")
        return {"errors": [{"status": status, "code": code, "title": message, "detail": None}]}
    data = {"authorized": False, "valid": True, "errors": [], "successful": False}
    return {"statusCode": status, "data": data, "message": message}


def in_envelope(error: ApiError, v2: bool) -> ApiError:
    """``error`` as the API version of the route answers it: a v1 body raised on a v2
    route (shared code: the XHTML parser, archived pages) is re-wrapped, and back."""
    body = error.body
    is_v2 = isinstance(body.get("errors"), list) and "statusCode" not in body
    if is_v2 == v2:
        return error
    if is_v2:
        first = body["errors"][0] if body["errors"] else {}
        message = str(first.get("title") or first.get("detail") or "")
    else:
        message = str(body.get("message") or "")
    return ApiError(error.status, error_body(error.status, message, v2), error.headers)


def _name(tag: str) -> str:
    if tag.startswith("{"):
        uri, local = tag[1:].split("}", 1)
        return f"{NS.get(uri, 'ns')}:{local}"
    return tag


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Normaliser:
    """Re-serialises a body as Confluence's storage layer does on save: macros get an
    ``ac:macro-id`` and ``ac:schema-version``, attributes come out in reverse order, empty
    elements are expanded (``<br />`` kept for void HTML). Applying it twice changes
    nothing, as saving an unchanged page changes nothing."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def __call__(self, body: str) -> str:
        try:
            root = ElementTree.fromstring(_WRAP + _entities(body) + "</r>")
        except ElementTree.ParseError as exc:
            raise v1_error(400, f"Error parsing xhtml: {exc}") from None
        out = [_text(root.text or "")]
        for child in root:
            self._element(child, out)
            out.append(_text(child.tail or ""))
        return "".join(out)

    def _element(self, element: ElementTree.Element, out: list[str]) -> None:
        attrs = dict(element.attrib)
        if element.tag == _MACRO:
            ac = "{http://atlassian.com/content}"
            attrs.setdefault(ac + "schema-version", "1")
            attrs.setdefault(ac + "macro-id", f"0000{next(self._ids):08d}-e1f2-4a3b-9c8d-opsyncemu")
        rendered = "".join(
            f' {_name(k)}="{_text(v).replace(chr(34), "&quot;")}"'
            for k, v in sorted(attrs.items(), reverse=True)
        )
        name = _name(element.tag)
        if name in _VOID and not len(element) and not element.text:
            out.append(f"<{name}{rendered} />")
            return
        out.append(f"<{name}{rendered}>{_text(element.text or '')}")
        for child in element:
            self._element(child, out)
            out.append(_text(child.tail or ""))
        out.append(f"</{name}>")


def _entities(body: str) -> str:
    """HTML's named entities as characters, which the XML parser does not know."""

    def fix(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("amp", "lt", "gt", "quot", "apos"):
            return match.group(0)
        char = html.unescape(match.group(0))
        return char if char != match.group(0) else match.group(0)

    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", fix, body)


@dataclass
class Prop:
    id: str
    key: str
    value: Any
    version: int = 1


@dataclass
class Attachment:
    """A file attached to a page: its name is unique on that page (``confluence_files``)."""

    id: str
    title: str
    media_type: str
    data: bytes
    comment: str = ""
    version: int = 1


@dataclass
class PageRec:
    id: str
    space: str
    title: str
    parent: str | None
    body: str
    version: int = 1
    status: str = "current"
    subtype: str | None = None
    author: str = ""
    props: dict[str, Prop] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Space:
    id: str
    key: str
    name: str
    homepage: str


class World:
    """All of the site's data, guarded by ``lock`` (the server answers on many threads)."""

    def __init__(self, space_key: str = "OPS") -> None:
        self.lock = threading.RLock()
        self._ids = itertools.count(65_537)
        # Attachments number apart ("att" ids, as Cloud's are), so page ids stay as documented.
        self._attachment_ids = itertools.count(1_000_001)
        self.normalise = Normaliser()
        self.spaces: dict[str, Space] = {}
        self.pages: dict[str, PageRec] = {}
        home = self.new_id()
        self.spaces[space_key] = Space(self.new_id(), space_key, f"{space_key} space", home)
        self.pages[home] = PageRec(home, space_key, f"{space_key} Home", None, "<p>Home</p>")
        self.root_page_id = self.add_page(space_key, "Product Ops", home, "<p>Root</p>").id

    def new_id(self) -> str:
        return str(next(self._ids))

    def new_attachment_id(self) -> str:
        return f"att{next(self._attachment_ids)}"

    def space_by_id(self, space_id: str) -> Space | None:
        return next((s for s in self.spaces.values() if s.id == space_id), None)

    def add_page(
        self, space: str, title: str, parent: str | None, body: str, author: str = "bot"
    ) -> PageRec:
        clash = next(
            (
                p
                for p in self.pages.values()
                if p.space == space and p.title == title and p.status in ("current", "archived")
            ),
            None,
        )
        if clash is not None:
            raise DuplicateTitle(title, space)
        page = PageRec(self.new_id(), space, title, parent, self.normalise(body), author=author)
        self.pages[page.id] = page
        return page

    def page(self, page_id: str) -> PageRec | None:
        page = self.pages.get(page_id)
        return page if page is not None and page.status != "deleted" else None

    def children(self, parent: str) -> list[PageRec]:
        return sorted(
            (p for p in self.pages.values() if p.parent == parent and p.status == "current"),
            key=lambda p: int(p.id),
        )

    def edit(self, page_id: str, body: str, author: str = "person") -> PageRec:
        """A person's save in the editor: the body replaced, the version moved on."""
        with self.lock:
            page = self.pages[page_id]
            page.body = self.normalise(body)
            page.version += 1
            page.author = author
            return page


class DuplicateTitle(Exception):
    def __init__(self, title: str, space: str) -> None:
        super().__init__(title)
        self.title = title
        self.space = space


def v1_listing(results: list[Json], start: int, limit: int, links: Json) -> Json:
    """The envelope every v1 listing answers with (``results``, ``start``, ``limit``,
    ``size`` of this page, ``_links`` with ``next`` when there is more)."""
    return {
        "results": results,
        "start": start,
        "limit": limit,
        "size": len(results),
        "_links": links,
    }
