"""Pages, content properties and labels, the same for Cloud (v2) and Data Center (v1).

Cloud reads and writes pages through the v2 pages API; v1 serves only what v2 cannot do
(adding labels). Data Center has only v1 ``/rest/api/content``. Both come back as
:class:`Page`, so the reader and writer never see which API answered.

Every update sends the version it read plus one and never re-reads to "fix" a 409 (that is
how atlassian-python-api's ``update_page`` overwrites people, NOTES.md §8, §12): the
:class:`~opsync.connectors.confluence.client.StaleVersion` goes back to the caller, which
re-reads and re-plans that page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from opsync.connectors.confluence.client import ApiError, ConfluenceApi, StaleVersion
from opsync.errors import PermanentError

PROPERTY = "opsync"  # the content property holding a page's key and hashes
LIST_LIMIT = 250  # v2's maximum page size
LISTING_LIMIT = 50  # v1 children with bodies expanded: Confluence caps such pages lower


@dataclass(frozen=True)
class Property:
    id: str | None  # v2 addresses a property by id; v1 by key
    version: int
    value: Mapping[str, Any]


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    version: int
    body: str
    status: str = "current"
    representation: str = "storage"
    prop: Property | None = None
    url: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str | None:
        value = self.prop.value.get("key") if self.prop else None
        return value if isinstance(value, str) and value else None

    @property
    def editor(self) -> str | None:
        """The account that saved the current version: v1's ``version.by`` (Cloud's
        ``accountId``, Data Center's ``userKey``) or v2's ``version.authorId``."""
        version = self.raw.get("version") or {}
        by = version.get("by") or {}
        found = by.get("accountId") or by.get("userKey") or version.get("authorId")
        return str(found) if found else None


class Site:
    """One Confluence space, through :class:`ConfluenceApi`."""

    def __init__(self, api: ConfluenceApi, space_key: str) -> None:
        self.api = api
        self.space_key = space_key
        self._space_id: str | None = None
        self._account: str | None = None

    @property
    def cloud(self) -> bool:
        return self.api.cloud

    def web(self, url: str) -> str:
        """Where a person opens a page: its ``webui`` link is relative to the site's
        ``/wiki`` base (Cloud) or context path (Data Center), which a link on another page,
        a conflict's message or a report line must carry to open from anywhere."""
        return f"{self.api.url}{self.api.root}{url}" if url.startswith("/") else url

    def space_id(self) -> str:
        """The space's id (v2 filters by id, not key); a missing space is a config error."""
        if self._space_id is None:
            if self.cloud:
                found = self.api.call("GET", "/api/v2/spaces", params={"keys": self.space_key})
                results = found.get("results") or []
                if not results:
                    raise PermanentError(
                        f"no space with the key {self.space_key} is visible to this account",
                        connector=self.api.name,
                        record=f"space/{self.space_key}",
                    )
                self._space_id = str(results[0]["id"])
            else:
                found = self.api.call("GET", f"/rest/api/space/{self.space_key}")
                self._space_id = str(found.get("key") or self.space_key)
        return self._space_id

    def account(self) -> str:
        """opsync's own account, in the terms of :attr:`Page.editor`; asked once, and only
        when a page's last saver matters (a no-op run does not pay for it)."""
        if self._account is None:
            raw = self.api.call("GET", "/rest/api/user/current")
            self._account = str(raw.get("accountId") or raw.get("userKey") or "")
        return self._account

    # Reading ------------------------------------------------------------------------

    def page(self, page_id: str, *, record: str | None = None) -> Page:
        if self.cloud:
            raw = self.api.call(
                "GET",
                f"/api/v2/pages/{page_id}",
                params={"body-format": "storage", "include-properties": "true"},
                record=record,
            )
            return self._v2(raw)
        raw = self.api.call(
            "GET",
            f"/rest/api/content/{page_id}",
            params={"expand": f"body.storage,version,metadata.properties.{PROPERTY}"},
            record=record,
        )
        return self._v1(raw)

    def children(self, parent_id: str, what: str) -> Iterator[Mapping[str, Any]]:
        """The child pages of ``parent_id`` (id, title), every listing page followed."""
        if self.cloud:
            yield from self.api.paginate(
                f"/api/v2/pages/{parent_id}/children", {"limit": LIST_LIMIT}, what=what
            )
            return
        yield from self.api.paginate(
            f"/rest/api/content/{parent_id}/child/page", {"limit": 100}, what=what
        )

    def listing(self, parent_id: str, what: str) -> Iterator[Page]:
        """The child pages of ``parent_id`` with their bodies, versions and opsync property,
        in as few requests as the site allows. v1 on both deployments: v2's children listing
        carries neither bodies nor properties, so it would cost one more request per page on
        every run (NOTES.md §8 keeps v1 where v2 has no equivalent)."""
        expand = f"body.storage,version,metadata.properties.{PROPERTY}"
        for raw in self.api.paginate(
            f"/rest/api/content/{parent_id}/child/page",
            {"expand": expand, "limit": LISTING_LIMIT},
            what=what,
        ):
            yield self._v1(raw)

    def by_title(self, title: str, *, record: str | None = None) -> Page | None:
        """The page titled ``title`` in the space, archived ones included (they hold their
        title too, NOTES.md §8); used only after a create was refused as a duplicate."""
        if self.cloud:
            found = self.api.call(
                "GET",
                "/api/v2/pages",
                params={
                    "space-id": self.space_id(),
                    "title": title,
                    "status": "current,archived",
                    "limit": 5,
                },
                record=record,
            )
        else:
            found = self.api.call(
                "GET",
                "/rest/api/content",
                params={"spaceKey": self.space_key, "title": title, "type": "page"},
                record=record,
            )
        results = found.get("results") or []
        return self.page(str(results[0]["id"]), record=record) if results else None

    # Writing ------------------------------------------------------------------------

    def create(self, parent_id: str, title: str, body: str, *, record: str | None = None) -> Page:
        if self.cloud:
            raw = self.api.call(
                "POST",
                "/api/v2/pages",
                body={
                    "spaceId": self.space_id(),
                    "status": "current",
                    "title": title,
                    "parentId": parent_id,
                    "body": {"representation": "storage", "value": body},
                },
                record=record,
            )
            return self._v2(raw)
        raw = self.api.call(
            "POST",
            "/rest/api/content",
            body={
                "type": "page",
                "title": title,
                "space": {"key": self.space_key},
                "ancestors": [{"id": parent_id}],
                "body": {"storage": {"value": body, "representation": "storage"}},
            },
            record=record,
        )
        return self._v1(raw)

    def writable(self, page: Page, *, record: str | None = None) -> None:
        """Refuse to write ``page`` if a person trashed or archived it, or saved it, since
        it was read. Confluence takes an update of a trashed page that says ``current`` as
        a restore (and drops the new body), so without this look a person's trash would
        be undone by opsync's next write; a save since the read is a
        :class:`StaleVersion`, as the update itself would answer."""
        if self.cloud:
            raw = self.api.call("GET", f"/api/v2/pages/{page.id}", record=record)
        else:
            params = {"expand": "version", "status": "any"}
            raw = self.api.call("GET", f"/rest/api/content/{page.id}", params=params, record=record)
        status = str(raw.get("status") or "current")
        if status != "current":
            raise PermanentError(
                f"the page {page.id} ({page.title}) is {status} since opsync read it; opsync "
                "leaves it there (restore it to have opsync write it again)",
                connector=self.api.name,
                record=record,
            )
        if int((raw.get("version") or {}).get("number") or page.version) != page.version:
            raise StaleVersion(
                f"the page {page.id} ({page.title}) was saved since opsync read it",
                status=409,
                connector=self.api.name,
                request=f"GET page {page.id}",
                record=record,
            )

    def update(self, page: Page, title: str, body: str, *, record: str | None = None) -> Page:
        """Replace the body of ``page`` as read; 409 if anyone saved it since."""
        version = {"number": page.version + 1, "message": "opsync"}
        if self.cloud:
            raw = self.api.call(
                "PUT",
                f"/api/v2/pages/{page.id}",
                body={
                    "id": page.id,
                    "status": page.status,
                    "title": title,
                    "body": {"representation": "storage", "value": body},
                    "version": version,
                },
                record=record,
            )
            return self._v2(raw, prop=page.prop, body=body)
        raw = self.api.call(
            "PUT",
            f"/rest/api/content/{page.id}",
            body={
                "id": page.id,
                "type": "page",
                "title": title,
                "status": page.status,
                "version": version,
                "body": {"storage": {"value": body, "representation": "storage"}},
            },
            record=record,
        )
        return self._v1(raw, prop=page.prop, body=body)

    def store(self, page: Page, value: Mapping[str, Any], *, record: str | None = None) -> Page:
        """Write the page's opsync property (its key and hashes), version + 1."""
        prop = page.prop
        if self.cloud:
            base = f"/api/v2/pages/{page.id}/properties"
            if prop is not None and prop.id is None:  # read through v1, which may omit it
                found = self.api.call("GET", base, params={"key": PROPERTY}, record=record)
                ids = [str(r["id"]) for r in found.get("results") or []]
                prop = Property(ids[0], prop.version, prop.value) if ids else None
            if prop is None or prop.id is None:
                raw = self.api.call(
                    "POST", base, body={"key": PROPERTY, "value": value}, record=record
                )
            else:
                raw = self.api.call(
                    "PUT",
                    f"{base}/{prop.id}",
                    body={"key": PROPERTY, "value": value, "version": {"number": prop.version + 1}},
                    record=record,
                )
            stored = Property(str(raw["id"]), int(raw["version"]["number"]), raw["value"])
        else:
            number = prop.version + 1 if prop is not None else 1
            raw = self.api.call(
                "PUT",
                f"/rest/api/content/{page.id}/property/{PROPERTY}",
                body={"key": PROPERTY, "value": value, "version": {"number": number}},
                record=record,
            )
            stored = Property(None, int(raw["version"]["number"]), raw["value"])
        return Page(
            page.id, page.title, page.version, page.body, page.status, page.representation, stored,
            page.url, page.raw,
        )  # fmt: skip

    def label(self, page_id: str, name: str, *, record: str | None = None) -> None:
        """Add a label (v1 on both: v2 labels are read-only)."""
        try:
            self.api.call(
                "POST",
                f"/rest/api/content/{page_id}/label",
                body=[{"prefix": "global", "name": name}],
                record=record,
            )
        except ApiError as exc:
            if exc.status != 404:
                raise

    # Attachments (v1 on both: one path, and v2 cannot upload) ------------------------

    def attached(self, page_id: str, filename: str, *, record: str | None = None) -> bool:
        """Whether ``page_id`` has an attachment named ``filename`` (one filtered listing)."""
        return self.attachment(page_id, filename, record=record) is not None

    def attachment(
        self, page_id: str, filename: str, *, record: str | None = None
    ) -> Mapping[str, Any] | None:
        """The attachment named ``filename`` on ``page_id`` (v1 content), or None."""
        found = self.api.call(
            "GET",
            f"/rest/api/content/{page_id}/child/attachment",
            params={"filename": filename},
            record=record,
        )
        return next(
            (r for r in found.get("results") or [] if str(r.get("title")) == filename), None
        )

    def replace_attachment(
        self,
        page_id: str,
        attachment_id: str,
        filename: str,
        data: bytes,
        media_type: str,
        *,
        record: str | None,
    ) -> None:
        """A new version of an attachment's bytes: the same id, so the same download URL."""
        self.api.call(
            "POST",
            f"/rest/api/content/{page_id}/child/attachment/{attachment_id}/data",
            files={"file": (filename, data, media_type), "minorEdit": (None, b"true", None)},
            record=record,
        )

    def attach(
        self, page_id: str, filename: str, data: bytes, media_type: str, *, record: str | None
    ) -> None:
        """Attach a new file to ``page_id`` (multipart, no notification: ``minorEdit``).
        Confluence refuses a name the page already has (400); opsync's files are named
        after their content, so that refusal means the same bytes are there (another run
        attached them between its look and this upload), which is what was wanted."""
        try:
            self.api.call(
                "POST",
                f"/rest/api/content/{page_id}/child/attachment",
                files={"file": (filename, data, media_type), "minorEdit": (None, b"true", None)},
                record=record,
            )
        except ApiError as exc:
            if exc.status != 400 or "same file name" not in str(exc):
                raise

    # Shapes -------------------------------------------------------------------------

    def _v2(self, raw: Mapping[str, Any], prop: Property | None = None, body: str = "") -> Page:
        stored = (raw.get("body") or {}).get("storage") or {}
        props = [
            p for p in (raw.get("properties") or {}).get("results", []) if p.get("key") == PROPERTY
        ]
        if props:
            p = props[0]
            prop = Property(str(p["id"]), int(p["version"]["number"]), p.get("value") or {})
        links = raw.get("_links") or {}
        return Page(
            id=str(raw["id"]),
            title=str(raw.get("title") or ""),
            version=int((raw.get("version") or {}).get("number") or 1),
            body=str(stored.get("value") or body),
            status=str(raw.get("status") or "current"),
            representation=str(stored.get("representation") or "storage"),
            prop=prop,
            url=str(links.get("webui") or raw["id"]),
            raw=raw,
        )

    def _v1(self, raw: Mapping[str, Any], prop: Property | None = None, body: str = "") -> Page:
        stored = (raw.get("body") or {}).get("storage") or {}
        props = ((raw.get("metadata") or {}).get("properties") or {}).get(PROPERTY)
        if props:
            pid = props.get("id")
            prop = Property(
                str(pid) if pid else None, int(props["version"]["number"]), props.get("value") or {}
            )
        return Page(
            id=str(raw["id"]),
            title=str(raw.get("title") or ""),
            version=int((raw.get("version") or {}).get("number") or 1),
            body=str(stored.get("value") or body),
            status=str(raw.get("status") or "current"),
            representation=str(stored.get("representation") or "storage"),
            prop=prop,
            url=str((raw.get("_links") or {}).get("webui") or raw["id"]),
            raw=raw,
        )
