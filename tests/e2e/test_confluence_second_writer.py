"""One writer per target on Confluence (issue 14): the lease is the ``opsync-lease`` content
property of the generated pages' page, taken by compare-and-set on its version.

Through the `opsync` command on the acme Atlassian example (Jira and Confluence emulators,
as tests/e2e/test_atlassian_cli.py): a second checkout (its own state store) exits 4 and
writes nothing while another run holds the lease, and checkouts that take turns duplicate
nothing. Against the connector: a lease taken over mid-run stops the writes, and a claim
that lost a race (the property's version moved between the read and the claim) stops
before its first write, on Cloud (v2) and Data Center (v1).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import ACME_NOW, Cli, acme_checkout, files

from opsync.connectors.base import RecordWrite
from opsync.connectors.confluence.client import StaleVersion
from opsync.connectors.confluence.config import ConfluenceCollection, ConfluenceConnectorConfig
from opsync.connectors.confluence.connector import ConfluenceWiki
from opsync.connectors.confluence.lease import as_value, from_value
from opsync.connectors.confluence.records import RecordStore
from opsync.connectors.lease import LEASE_KEY, Lease
from opsync.domain import Collection
from opsync.errors import LockHeld
from opsync.http import RetryPolicy
from opsync.testing.emulators.confluence import ConfluenceEmulator
from opsync.testing.emulators.confluence_model import Prop
from opsync.testing.emulators.jira import JiraEmulator

MARK = "# Paste into opsync.toml:"
CREATE = ("POST", "/wiki/api/v2/pages")
UPDATE = ("PUT", "/wiki/api/v2/pages/{id}")
PROPERTY = ("PUT", "/wiki/api/v2/pages/{id}/properties/{pid}")
EXTRA_EPIC = "ACME-990"


# Through the CLI: two checkouts of the acme Atlassian config ------------------------


def _checkout(tmp_path: Path, name: str, block: str | None) -> Path:
    return acme_checkout(tmp_path, name, "opsync.atlassian.toml", block)


def _pages_parent(config: Path) -> str:
    parent: str = tomllib.loads(config.read_text(encoding="utf-8"))["connectors"]["confluence"][
        "pages"
    ]["parent"]
    return parent


def _lease(emulator: ConfluenceEmulator, config: Path) -> Prop:
    return emulator.world.pages[_pages_parent(config)].props[LEASE_KEY]


def _add_epic(jira: JiraEmulator) -> None:
    """A release both checkouts see next (the tracker is shared)."""
    world = jira.world
    version = world.add_version("ACME", "2026.99", release_date=datetime(2026, 12, 16).date())
    world.create_issue(
        "ACME",
        "Second-writer probe",
        key=EXTRA_EPIC,
        fixVersions=[version.id],
        components=["dashboards"],
        labels=["eng-tom"],
        customfield_10050="Medium",
        customfield_10060="acct-maya",
    )


def _keys(emulator: ConfluenceEmulator) -> Counter[str]:
    """How many current pages carry each opsync key (records and generated pages)."""
    found: Counter[str] = Counter()
    for page in emulator.world.pages.values():
        prop = page.props.get("opsync")
        key = prop.value.get("key") if prop is not None and isinstance(prop.value, dict) else None
        if page.status == "current" and key:
            found[f"{page.parent}:{key}"] += 1
    return found


@pytest.fixture
def two_checkouts(
    cli: Cli,
    tmp_path: Path,
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, Path]:
    jira_emulator.seed_acme()
    monkeypatch.setenv("OPSYNC_JIRA_BASE_URL", jira_emulator.base_url)
    monkeypatch.setenv("JIRA_EMAIL", jira_emulator.email)
    monkeypatch.setenv("JIRA_API_TOKEN", jira_emulator.token)
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    server = _checkout(tmp_path, "server", None)
    root = confluence_emulator.root_page_id
    made = cli("bootstrap", "confluence", "--parent", root, "--config", str(server))
    assert made.exit_code == 0, made.output
    block = made.output.split(MARK, 1)[1]
    server.write_text(server.read_text(encoding="utf-8") + block, encoding="utf-8")
    return server, _checkout(tmp_path, "laptop", block)


def test_a_second_checkout_exits_4_and_writes_nothing_while_another_run_holds_the_lease(
    cli: Cli,
    two_checkouts: tuple[Path, Path],
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
) -> None:
    server, laptop = two_checkouts
    first = cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    prop = _lease(confluence_emulator, server)
    assert from_value(prop.value).holder == ""  # released after the run
    # the server's next run has taken the lease (version + 1) and is still writing
    live = Lease("server.example/1/srv/run", datetime.now(UTC) + timedelta(minutes=5), 5)
    prop.value, prop.version = as_value(live), prop.version + 1
    _add_epic(jira_emulator)  # so the laptop has something to write
    before = files(laptop.parent)
    confluence_emulator.reset_counts()
    jira_emulator.reset_counts()
    blocked = cli("sync", "--config", str(laptop), "--now", ACME_NOW)
    assert blocked.exit_code == 4, blocked.output
    said = " ".join(blocked.output.split())
    assert "server.example/1/srv/run" in said and LEASE_KEY in said
    assert confluence_emulator.counts.writes == 0 and jira_emulator.counts.writes == 0
    assert from_value(_lease(confluence_emulator, server).value) == live
    after = files(laptop.parent)
    assert {k: v for k, v in after.items() if not k.startswith(".opsync/")} == {
        k: v for k, v in before.items() if not k.startswith(".opsync/")
    }  # no outbox message, no feed: nothing written anywhere


def test_two_checkouts_take_turns_and_never_duplicate(
    cli: Cli,
    two_checkouts: tuple[Path, Path],
    jira_emulator: JiraEmulator,
    confluence_emulator: ConfluenceEmulator,
) -> None:
    server, laptop = two_checkouts
    first = cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet")
    assert first.exit_code == 0, first.output
    taken = from_value(_lease(confluence_emulator, server).value)
    assert (taken.holder, taken.generation) == ("", 1)  # taken once, released
    _add_epic(jira_emulator)
    # the laptop, whose state store is new, syncs the new release first
    second = cli("sync", "--config", str(laptop), "--now", ACME_NOW, "--quiet")
    assert second.exit_code == 0, second.output
    made = [op for op in second.report["operations"] if op["kind"].startswith("create")]
    assert made and all(op["target"].endswith(EXTRA_EPIC) for op in made), made
    assert from_value(_lease(confluence_emulator, server).value).generation == 2
    # the server's state does not know the laptop's page: its read finds it by key
    third = cli("sync", "--config", str(server), "--now", ACME_NOW, "--quiet")
    assert third.exit_code == 0, third.output
    created = [op for op in third.report["operations"] if op["kind"].startswith("create")]
    assert created == [], created
    counts = _keys(confluence_emulator)
    assert counts and max(counts.values()) == 1, [k for k, n in counts.items() if n > 1]
    assert sum(k.endswith(f":{EXTRA_EPIC}") for k in counts) == 1
    # every run released the lease; one that wrote nothing did not take it
    third_took = 1 if third.report["writes"] else 0
    after = from_value(_lease(confluence_emulator, server).value)
    assert (after.holder, after.generation) == ("", 2 + third_took)


def test_a_run_whose_lease_is_taken_over_stops_writing(
    cli: Cli,
    two_checkouts: tuple[Path, Path],
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lease expired while the run stalled and another run took it: the run's next
    renewal (compare-and-set) fails, and it writes nothing more."""
    server, _ = two_checkouts
    text = server.read_text(encoding="utf-8")
    # a lease this short is renewed before every write
    text = text.replace(
        "requests_per_second = 1000\n", "requests_per_second = 1000\nlease_minutes = 0.00001\n", 1
    )
    server.write_text(text, encoding="utf-8")
    other = Lease("server.example/1/srv/run", datetime.now(UTC) + timedelta(minutes=5), 9)
    written: list[str] = []
    real = RecordStore.write_record

    def write_record(self: RecordStore, op: RecordWrite) -> None:
        real(self, op)
        written.append(op.ref)
        if len(written) == 2:  # another run takes the lease over after two records
            prop = _lease(confluence_emulator, server)
            prop.value, prop.version = as_value(other), prop.version + 1
            confluence_emulator.reset_counts()

    monkeypatch.setattr(RecordStore, "write_record", write_record)
    stopped = cli("sync", "--config", str(server), "--now", ACME_NOW)
    assert stopped.exit_code == 4, stopped.output
    assert "taken over by server.example/1/srv/run" in " ".join(stopped.output.split())
    assert len(written) == 2  # the third write stopped at its renewal, before the record
    by = confluence_emulator.counts.by_endpoint
    assert by.get(CREATE, 0) == by.get(UPDATE, 0) == 0  # no page written after the takeover
    # one refused renewal, and nothing else written; the other run's lease is left alone
    assert confluence_emulator.counts.writes == by.get(PROPERTY, 0) == 1
    assert from_value(_lease(confluence_emulator, server).value) == other


# Against the connector: claims racing --------------------------------------------


@pytest.fixture(params=["cloud", "datacenter"])
def wiki(
    request: pytest.FixtureRequest,
    confluence_emulator: ConfluenceEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ConfluenceWiki]:
    monkeypatch.setenv("OPSYNC_CONFLUENCE_BASE_URL", confluence_emulator.base_url)
    monkeypatch.setenv("CONFLUENCE_EMAIL", confluence_emulator.email)
    monkeypatch.setenv("CONFLUENCE_TOKEN", confluence_emulator.token)
    world = confluence_emulator.world
    root = world.root_page_id
    releases = world.add_page("OPS", "Releases", root, "<p></p>")
    pages = world.add_page("OPS", "Generated pages", root, "<p></p>")
    config = ConfluenceConnectorConfig(
        space="OPS",
        deployment=request.param,
        collections={Collection.RELEASES: ConfluenceCollection(parent=releases.id)},
        pages=ConfluenceCollection(parent=pages.id),
    )
    connector = ConfluenceWiki(config, policy=RetryPolicy(sleep=lambda _: None))
    yield connector
    connector.close()


def _prop(emulator: ConfluenceEmulator, wiki: ConfluenceWiki) -> Prop | None:
    assert wiki.lease.page is not None
    return emulator.world.pages[wiki.lease.page].props.get(LEASE_KEY)


def test_the_lease_is_a_content_property_taken_and_released_by_version(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    assert wiki.lease.page == wiki.config.generated_parent
    with wiki.hold("mine"):
        wiki.read()
        assert _prop(confluence_emulator, wiki) is None  # read only: nothing to write yet
        wiki.claim()
        prop = _prop(confluence_emulator, wiki)
        assert prop is not None and prop.version == 1
        held = from_value(prop.value)
        assert held.holder.split("/")[2] == "mine" and held.generation == 1
    assert prop.version == 2 and from_value(prop.value) == held.released()
    with wiki.hold("mine"):
        wiki.read()
        wiki.claim()
        assert prop.version == 3 and from_value(prop.value).generation == 2
    assert prop.version == 4


def test_a_claim_that_lost_the_race_stops_before_its_first_write(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    with wiki.hold("first"):  # the property exists, free
        wiki.read()
        wiki.claim()
    prop = _prop(confluence_emulator, wiki)
    assert prop is not None
    with wiki.hold("mine"):
        wiki.read()  # the lease is free at version n
        # another run's claim lands between this run's read and its claim: version n + 1
        other = Lease("laptop/77/other/run", datetime.now(UTC) + timedelta(minutes=5), 3)
        prop.value, prop.version = as_value(other), prop.version + 1
        version = prop.version
        with pytest.raises(LockHeld, match="laptop/77/other/run"):
            wiki.claim()
        assert wiki.lease._mine is None
    # the claim's write was refused (409), and the release wrote nothing over the winner
    assert (prop.version, from_value(prop.value)) == (version, other)


def test_of_two_first_claims_only_one_creates_the_lease(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    with wiki.hold("mine"):
        wiki.read()  # no lease yet
        page = confluence_emulator.world.pages[str(wiki.lease.page)]
        other = Lease("laptop/77/other/run", datetime.now(UTC) + timedelta(minutes=5), 1)
        page.props[LEASE_KEY] = Prop("99999", LEASE_KEY, as_value(other))  # created first
        with pytest.raises(LockHeld, match="laptop/77/other/run"):
            wiki.claim()
    assert from_value(page.props[LEASE_KEY].value) == other
    assert page.props[LEASE_KEY].version == 1


def test_a_renewal_after_a_takeover_stops_and_leaves_the_other_lease(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    with wiki.hold("mine"):
        wiki.read()
        wiki.claim()
        wiki.lease.tick()  # not due: nothing written
        prop = _prop(confluence_emulator, wiki)
        assert prop is not None and prop.version == 1
        wiki.lease._renew_at = 0.0  # a third of the lease has passed: renewed
        wiki.lease.tick()
        assert prop.version == 2
        other = Lease("server/1/x/y", datetime.now(UTC) + timedelta(minutes=5), 9)
        prop.value, prop.version = as_value(other), prop.version + 1
        wiki.lease._renew_at = 0.0
        with pytest.raises(LockHeld, match="taken over by server/1/x/y"):
            wiki.write_record(RecordWrite(ref="releases/R-1", values={"title": "x"}, create=True))
    assert from_value(prop.value) == other and prop.version == 3
    assert not [p for p in confluence_emulator.world.pages.values() if p.title.endswith("R-1")]


def test_a_person_who_deletes_the_property_frees_the_lease(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    """How docs/confluence.md says to clear a lease left by a run on another host."""
    with wiki.hold("gone"):
        wiki.read()
        wiki.claim()
        wiki.lease._mine = None  # the run died without releasing
    page = confluence_emulator.world.pages[str(wiki.lease.page)]
    del page.props[LEASE_KEY]
    with wiki.hold("mine"):
        wiki.read()
        wiki.claim()
    assert from_value(page.props[LEASE_KEY].value).generation == 1


def test_a_dry_read_costs_no_lease_request(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator
) -> None:
    confluence_emulator.reset_counts()
    wiki.read()  # outside hold(): a plan or dry run
    paths = {path for _, path in confluence_emulator.counts.by_endpoint}
    assert paths <= {f"{root}/rest/api/content/{{id}}/child/page" for root in ("", "/wiki")}
    assert _prop(confluence_emulator, wiki) is None


def test_a_claim_whose_answer_was_lost_and_retried_into_a_409_still_holds(
    wiki: ConfluenceWiki, confluence_emulator: ConfluenceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5xx after the write landed is retried (PUT is idempotent) and the retry meets a
    409 against its own write: the lease read back is this run's, so it goes on."""
    with wiki.hold("first"):
        wiki.read()
        wiki.claim()
    real = wiki.api.call
    lost: list[str] = []

    def call(method: str, path: str, **kw: Any) -> Any:
        answer = real(method, path, **kw)
        if method != "GET" and LEASE_KEY in str(kw.get("body")) and not lost:
            lost.append(path)  # it landed; the answer comes back as the retry's 409
            raise StaleVersion("Confluence answered 409", status=409, connector="confluence")
        return answer

    monkeypatch.setattr(wiki.api, "call", call)
    with wiki.hold("mine"):
        wiki.read()
        wiki.claim()
        prop = _prop(confluence_emulator, wiki)
        assert prop is not None and from_value(prop.value).holder.split("/")[2] == "mine"
    assert lost and from_value(prop.value).holder == ""  # and released at the end
