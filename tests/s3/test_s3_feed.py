"""The ritual feed published to an S3-compatible bucket, against moto's server on loopback
through the real boto3: the bytes and content type, no write when nothing changed, an
overwrite when the feed did, doctor's check, and a whole sync of acme."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from icalendar import Calendar
from moto.server import ThreadedMotoServer

from opsync.connectors.base import FileWrite
from opsync.connectors.s3.config import S3ConnectorConfig
from opsync.connectors.s3.store import CONTENT_TYPE, S3FeedStore
from opsync.secrets import Secrets

ACME_NOW = "2026-12-03T15:00:00-05:00"
LATER = "2026-12-04T15:00:00-05:00"
BUCKET = "acme-calendars"
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key-id", "AWS_SECRET_ACCESS_KEY": "testing-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's S3 in server mode on a loopback port, for the whole module."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty bucket, and a boto3 client to look into it as a subscriber's fetch would."""
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    client = boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)
    client.close()


def store(moto_url: str, **table: Any) -> S3FeedStore:
    config = S3ConnectorConfig.model_validate(
        {"bucket": BUCKET, "endpoint_url": moto_url, "region": "us-east-1", **table}
    )
    return S3FeedStore(config, name="calendar")


FEED = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


def test_feed_is_written_with_its_bytes_and_calendar_content_type(
    bucket: Any, moto_url: str
) -> None:
    feeds = store(moto_url, key="calendars/rituals.ics")
    assert feeds.read_file("rituals.ics") is None
    feeds.write_file(FileWrite("rituals.ics", FEED))
    found = bucket.get_object(Bucket=BUCKET, Key="calendars/rituals.ics")
    assert found["Body"].read() == FEED.encode()
    assert found["ContentType"] == CONTENT_TYPE
    assert feeds.read_file("rituals.ics") == FEED
    feeds.close()


def test_unchanged_feed_is_not_written_again_and_a_changed_one_overwrites(
    bucket: Any, moto_url: str
) -> None:
    feeds = store(moto_url)
    feeds.write_file(FileWrite("rituals.ics", FEED))
    first = bucket.head_object(Bucket=BUCKET, Key="rituals.ics")
    writes = feeds.counts()["writes"]
    # a new store (the next run) that did not read it first, and this one: no PUT
    again = store(moto_url)
    again.write_file(FileWrite("rituals.ics", FEED))
    feeds.write_file(FileWrite("rituals.ics", FEED))
    assert again.counts()["writes"] == 0 and feeds.counts()["writes"] == writes
    assert (
        bucket.head_object(Bucket=BUCKET, Key="rituals.ics")["LastModified"]
        == first["LastModified"]
    )
    changed = FEED.replace("-//test//EN", "-//test//FR")
    again.write_file(FileWrite("rituals.ics", changed))
    assert again.counts()["writes"] == 1
    assert bucket.get_object(Bucket=BUCKET, Key="rituals.ics")["Body"].read() == changed.encode()


def test_credentials_come_from_the_environment_and_errors_hold_no_secret(
    bucket: Any, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    findings = store(moto_url).check()
    assert [f.code for f in findings] == ["s3.setup"]
    assert "AWS_SECRET_ACCESS_KEY" in findings[0].message
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEYS["AWS_SECRET_ACCESS_KEY"])
    missing = store(moto_url, bucket="no-such-bucket").check()
    assert [f.code for f in missing] == ["s3.setup"] and "no-such-bucket" in missing[0].message
    assert all(secret not in missing[0].message for secret in KEYS.values())


def test_doctor_finds_a_writable_bucket_and_leaves_nothing_behind(
    bucket: Any, moto_url: str
) -> None:
    assert store(moto_url, key="cal/rituals.ics").check() == []
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def s3_acme(acme: Path, moto_url: str) -> Path:
    text = acme.read_text()
    text += (
        f'\n[connectors.calendar]\ntype = "s3"\nbucket = "{BUCKET}"\nkey = "acme/rituals.ics"\n'
        f'endpoint_url = "{moto_url}"\nregion = "us-east-1"\n'
        '\n[roles]\ntracker = "local"\nwiki = "local"\npages = "local"\nnotifier = "local"\n'
        'feeds = "calendar"\n'
    )
    acme.write_text(text)
    return acme


def test_a_sync_publishes_the_feed_to_the_bucket_and_a_rerun_writes_nothing(
    bucket: Any, moto_url: str, acme: Path, cli: Callable[..., Any]
) -> None:
    config = s3_acme(acme, moto_url)
    first = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert first.exit_code in (0, 3), first.output  # 3: findings for people, as in acme
    data = bucket.get_object(Bucket=BUCKET, Key="acme/rituals.ics")["Body"].read()
    events = list(Calendar.from_ical(data).walk("VEVENT"))
    uids = {str(e["UID"]) for e in events}
    assert "rollout-retro-week-12@opsync" in uids  # acme's rollout started 1 Oct: Day 90
    assert any(e.get("ATTENDEE") for e in events)
    assert not (acme.parent / "pages" / "rituals.ics").exists()  # the feed went to S3 only
    assert cli("doctor", "--config", str(config)).exit_code == 0
    again = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert again.report["planned"] == 0 and again.report["requests"]["s3"]["writes"] == 0
    later = cli("sync", "--config", str(config), "--now", LATER)
    assert "write_file" in [op["kind"] for op in later.report["operations"]]
    assert later.report["requests"]["s3"]["writes"] == 1
    assert bucket.get_object(Bucket=BUCKET, Key="acme/rituals.ics")["Body"].read() != data


def test_secrets_are_refused_in_the_table() -> None:
    with pytest.raises(ValueError):
        S3ConnectorConfig.model_validate({"bucket": BUCKET, "aws_secret_access_key": "x"})
    assert S3ConnectorConfig.model_validate({"bucket": BUCKET}).object_key("x.ics") == "x.ics"
    nested = S3ConnectorConfig.model_validate({"bucket": BUCKET, "key": "a/b/cal.ics"})
    assert nested.object_key("rituals.ics") == "a/b/cal.ics"
    assert nested.object_key("other.ics") == "a/b/other.ics"


def test_secrets_reader_is_the_one_the_store_uses(moto_url: str) -> None:
    feeds = S3FeedStore(
        S3ConnectorConfig.model_validate({"bucket": BUCKET, "endpoint_url": moto_url}),
        secrets=Secrets({}),
    )
    with pytest.raises(Exception, match="AWS_ACCESS_KEY_ID"):
        feeds.read_file("rituals.ics")


def test_moving_the_feed_to_a_bucket_is_an_identity_change_accepted_once(
    bucket: Any, moto_url: str, acme: Path, cli: Callable[..., Any]
) -> None:
    """As docs/calendar.md says: the feeds role is part of the run's identity."""
    assert cli("sync", "--config", str(acme), "--now", ACME_NOW).exit_code in (0, 3)
    config = s3_acme(acme, moto_url)
    moved = cli("sync", "--config", str(config), "--now", ACME_NOW)
    assert moved.exit_code == 2 and "accept-identity-change" in moved.output
    accepted = cli("sync", "--config", str(config), "--now", ACME_NOW, "--accept-identity-change")
    assert accepted.exit_code in (0, 3), accepted.output
    assert bucket.head_object(Bucket=BUCKET, Key="acme/rituals.ics")["ContentLength"] > 0
