"""Real Confluence response bodies (cassettes/atlassian/confluence) replayed with vcrpy
under opsync's client: atlassian-python-api as transport, opsync.http as the one policy.

vcrpy patches the httpx transport inside :class:`~opsync.http.PolicyTransport`, so each
interaction answers one attempt of our layer and the SDK above it sees what Confluence sent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import vcr  # type: ignore[import-untyped]

from opsync.connectors.confluence.client import ApiError, ConfluenceApi, StaleVersion
from opsync.connectors.confluence.config import ConfluenceConnectorConfig
from opsync.connectors.confluence.site import Site
from opsync.errors import AuthError
from opsync.http import RetryPolicy, TokenBucket

HERE = Path(__file__).resolve().parents[2] / "cassettes" / "atlassian" / "confluence"
SITE = "https://xsoar-bd.atlassian.net"
TOKEN = "replay-token-not-a-secret"
# Atlassian API tokens, Basic credentials, PATs as Bearer, and the emulator's tokens
TOKEN_SHAPES = re.compile(
    r"ATATT[A-Za-z0-9_=-]{20,}|Basic\s+[A-Za-z0-9+/=]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|confluence_(?:opsync_emulator|person)|" + TOKEN
)


def _site(
    monkeypatch: pytest.MonkeyPatch, deployment: str = "cloud", url: str = SITE
) -> tuple[Site, ConfluenceApi]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", "replay@example.com")
    monkeypatch.setenv("CONFLUENCE_TOKEN", TOKEN)
    config = ConfluenceConnectorConfig(space="XSOAR", deployment=deployment)  # type: ignore[arg-type]
    api = ConfluenceApi(
        config,
        bucket=TokenBucket(1000, 1000),
        policy=RetryPolicy(max_attempts=3, sleep=lambda _: None),
    )
    return Site(api, "XSOAR"), api


def _cassette(name: str) -> Any:
    recorder = vcr.VCR(record_mode="none", filter_headers=["authorization"])
    return recorder.use_cassette(str(HERE / name), allow_playback_repeats=False)


def test_a_v1_listing_is_parsed_and_its_relative_next_link_followed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site, api = _site(monkeypatch)
    with _cassette("v1_child_listing_paged.yaml") as cassette:
        pages = list(site.listing("65537", "the replayed pages"))
    assert cassette.all_played  # the 2nd request went to /wiki + the relative next link
    assert [(p.id, p.title, p.version, p.key) for p in pages] == [
        ("65639", "Sample Pages", 1, None),
        ("65656", "Product requirements", 1, None),
    ]
    assert all(p.url.startswith("/spaces/") for p in pages)
    assert api.counts() == {"reads": 2, "writes": 0}


def test_a_v1_create_answer_is_parsed_on_data_center(monkeypatch: pytest.MonkeyPatch) -> None:
    site, _ = _site(monkeypatch, "datacenter", SITE + "/wiki")  # DC: the context path in the URL
    with _cassette("v1_create_page.yaml"):
        page = site.create("2064538", "XSOAR_Page", "<p>x</p>", record="pages/x")
    assert (page.id, page.title, page.version, page.status) == (
        "2097159",
        "XSOAR_Page",
        2,
        "current",
    )
    assert page.url == "/spaces/XSOAR/pages/2097159/XSOAR_Page" and page.representation == "storage"


@pytest.mark.parametrize(
    ("page_id", "words"),
    [("2097159", "OptimisticLockException"), ("2097160", "Current version is: 5")],
)
def test_recorded_409s_are_stale_versions_naming_the_record(
    monkeypatch: pytest.MonkeyPatch, page_id: str, words: str
) -> None:
    _, api = _site(monkeypatch)
    with _cassette("errors.yaml"), pytest.raises(StaleVersion) as caught:
        api.call("PUT", f"/rest/api/content/{page_id}", body={}, record="releases/R-1")
    assert caught.value.status == 409 and words in str(caught.value)
    assert caught.value.record == "releases/R-1" and api.counts()["writes"] == 1  # not retried


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/rest/api/content"), ("POST", "/api/v2/pages")]
)
def test_recorded_duplicate_titles_are_400s_saying_already_exists(
    monkeypatch: pytest.MonkeyPatch, method: str, path: str
) -> None:
    _, api = _site(monkeypatch)
    with _cassette("errors.yaml"), pytest.raises(ApiError) as caught:
        api.call(method, path, body={}, record="pages/x")
    assert caught.value.status == 400 and "already exists" in str(caught.value)


def test_a_recorded_400_and_403_become_a_validation_error_and_an_auth_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, api = _site(monkeypatch)
    with _cassette("errors.yaml"):
        with pytest.raises(ApiError, match="Unsupported value for type") as bad:
            api.call("GET", "/rest/api/content/2097161")
        with pytest.raises(AuthError, match="not permitted"):
            api.call("GET", "/rest/api/content/2097162")
    assert bad.value.status == 400
    assert api.counts()["reads"] == 2  # neither was repeated


def test_a_500_on_a_create_is_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    _, api = _site(monkeypatch)
    with _cassette("v2_create_500.yaml"), pytest.raises(ApiError) as caught:
        api.call("POST", "/api/v2/pages", body={"title": "t"}, record="pages/x")
    assert caught.value.status == 500 and "Internal Server Error" in str(caught.value)
    assert api.counts()["writes"] == 1  # a create that may have run is never sent twice


def test_no_confluence_cassette_holds_a_token() -> None:
    assert TOKEN_SHAPES.search("Authorization: Basic " + "eA==" * 4)  # the scan finds one
    assert TOKEN_SHAPES.search("ATATT3xFfGF0" + "a" * 20)
    files = sorted(HERE.glob("*.yaml"))
    assert len(files) == 4
    found = [(p.name, m.group()[:8]) for p in files for m in TOKEN_SHAPES.finditer(p.read_text())]
    assert found == []
