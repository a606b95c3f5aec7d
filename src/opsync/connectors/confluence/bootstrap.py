"""``opsync bootstrap confluence``: the pages opsync works under, ready to use.

Under one parent page it makes a page per collection (the records become its child pages)
and one for the generated pages. It is safe to run again: each page carries the ``opsync``
content property ``{"key": "bootstrap/<collection>"}`` and is found by that key among the
parent's children, never by title alone, so a rerun (or a page people renamed) creates
nothing. It returns the config block to paste.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from opsync.connectors.confluence.client import ApiError
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.records import READ_ORDER
from opsync.connectors.confluence.site import Page, Site
from opsync.connectors.confluence.storage import escape

PAGES = "pages"  # beside the collections: the parent of the generated pages


def title_of(where: str, space: str) -> str:
    """Titles are unique per space, so the space key keeps two orgs' pages apart."""
    label = "Generated pages" if where == PAGES else where.replace("_", " ").capitalize()
    return f"{label} (opsync, {space})"


def _body(where: str) -> str:
    what = (
        "the pages opsync generates (weekly update, roadmap view, digests, bundles)"
        if where == PAGES
        else f"one page per {where.replace('_', ' ')} record, its fields in a page properties table"
    )
    return (
        f"<p>{escape(f'opsync keeps {what} under this page.')}</p>"
        "<p>Rows and regions opsync owns are rewritten by each sync; write anywhere else.</p>"
    )


@dataclass
class Bootstrap:
    """What a bootstrap did, and the page id of each place (collection value or pages)."""

    created: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)

    def config_block(self, config: ConfluenceConnectorConfig, name: str = "confluence") -> str:
        """The ``[connectors.<name>…]`` tables naming the pages, keeping the row and
        option names the config already maps."""
        lines: list[str] = []
        for where, page_id in self.ids.items():
            if where == PAGES:
                lines += [f"[connectors.{name}.pages]", f'parent = "{page_id}"', ""]
                continue
            lines += [f"[connectors.{name}.collections.{where}]", f'parent = "{page_id}"']
            entry = next((e for c, e in config.collections.items() if c.value == where), None)
            if entry is not None and entry.properties:
                lines.append(f"properties = {_inline(entry.properties)}")
            if entry is not None and entry.options:
                tables = ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in entry.options.items())
                lines.append("options = { " + tables + " }")
            lines.append("")
        return "\n".join(lines)


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _key(name: str) -> str:
    bare = name.replace("_", "").replace("-", "").isalnum() and name.isascii()
    return name if bare else _quote(name)


def _inline(table: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {_quote(v)}" for k, v in table.items()) + " }"


def bootstrap(site: Site, parent: str, label: str) -> Bootstrap:
    """Find or create every collection's page and the generated pages' page under
    ``parent``; a place that cannot be made is a problem, the others are still made."""
    done = Bootstrap()
    existing: dict[str, Page] = {}
    for page in site.listing(parent, "the pages under the bootstrap parent"):
        key = page.key or ""
        if key.startswith("bootstrap/") and key not in existing:
            existing[key] = page
    for where in (*(c.value for c in READ_ORDER), PAGES):
        key = f"bootstrap/{where}"
        title = title_of(where, site.space_key)
        known = existing.get(key)
        if known is not None:
            done.found.append(f"{where}: page {known.id} ({known.title})")
            done.ids[where] = known.id
            continue
        try:
            page = site.create(parent, title, _body(where), record=key)
        except ApiError as exc:
            adopted = _adopt(site, exc, title, key)
            if adopted is None:
                done.problems.append(
                    f'{where}: cannot create "{title}": {exc}; rename or move the page that '
                    "holds the title, then run bootstrap again"
                )
                continue
            page = adopted
        else:
            done.created.append(f"{where}: page {page.id} ({title})")
        if page.key != key:
            site.store(page, {"key": key}, record=key)
            site.label(page.id, label, record=key)
        done.ids[where] = page.id
    return done


def _adopt(site: Site, error: ApiError, title: str, key: str) -> Page | None:
    """The page holding ``title`` when it is this place's (a create whose answer was lost,
    or a page moved away from the parent), else None."""
    if error.status != 400 or "already exists" not in str(error):
        return None
    page = site.by_title(title, record=key)
    return page if page is not None and page.key == key and page.status == "current" else None
