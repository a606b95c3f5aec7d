"""vcrpy set up for replaying the public recordings of the real Notion API under opsync.

vcrpy patches ``httpx.HTTPTransport.handle_request``, the transport *inside*
:class:`~opsync.http.PolicyTransport`, so each recorded interaction answers one attempt of
our layer, and the real notion-client SDK above it sees what Notion sent.

Requests are matched on method and path, with ids compared as Notion compares them (with or
without dashes: the recordings use both), plus the pagination cursor, so a listing that did
not follow Notion's cursor fails to match. Writes are matched on their JSON body too, with the
redundant ``"type"`` discriminators left out: the SDK's own tests sent the same content
without them. The notion_ruby_mapping recordings are request/response JSON pairs; they are
turned into a vcrpy cassette in a temporary folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import vcr  # type: ignore[import-untyped]
import yaml
from vcr.request import Request  # type: ignore[import-untyped]

from opsync.connectors.notion.client import NotionApi
from opsync.connectors.notion.config import NotionConnectorConfig
from opsync.http import RetryPolicy, TokenBucket

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
SDK = CASSETTES / "notion" / "notion-sdk-py"
RUBY = CASSETTES / "notion" / "notion_ruby_mapping"
_UUID = re.compile(
    r"\b([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\b"
)
READ_MATCH = ("method", "notion_path", "cursor")
WRITE_MATCH = ("method", "notion_path", "json_body")


def _path(request: Request) -> str:
    return _UUID.sub(lambda m: "-".join(m.groups()), request.path.rstrip("/"))


def _body(request: Request) -> Any:
    raw = request.body or b""
    text = raw.decode() if isinstance(raw, bytes) else raw
    return json.loads(text) if text else None


def _cursor(request: Request) -> str | None:
    query: list[str] = parse_qs(urlsplit(request.uri).query).get("start_cursor", [])
    if query:
        return query[0]
    body = _body(request)
    return str(body["start_cursor"]) if isinstance(body, dict) and "start_cursor" in body else None


def _without_discriminators(value: Any) -> Any:
    """``value`` without ``"type": X`` where key ``X`` is beside it (it says nothing more)."""
    if isinstance(value, dict):
        return {
            k: _without_discriminators(v)
            for k, v in value.items()
            if not (k == "type" and isinstance(v, str) and v in value)
        }
    if isinstance(value, list):
        return [_without_discriminators(v) for v in value]
    return value


def notion_path(r1: Request, r2: Request) -> None:
    assert _path(r1) == _path(r2), f"{_path(r1)} != {_path(r2)}"


def cursor(r1: Request, r2: Request) -> None:
    assert _cursor(r1) == _cursor(r2), f"cursor {_cursor(r1)} != {_cursor(r2)}"


def json_body(r1: Request, r2: Request) -> None:
    one, two = _without_discriminators(_body(r1)), _without_discriminators(_body(r2))
    assert one == two, f"body {one} != {two}"


def notion_vcr(match_on: tuple[str, ...] = READ_MATCH) -> vcr.VCR:
    """A VCR that only replays: a request without a recording raises, nothing goes out."""
    recorder = vcr.VCR(record_mode="none", filter_headers=["authorization"], match_on=match_on)
    for matcher in (notion_path, cursor, json_body):
        recorder.register_matcher(matcher.__name__, matcher)
    return recorder


def ruby_cassette(folder: Path, *cases: str) -> Path:
    """A vcrpy cassette of notion_ruby_mapping's recorded ``cases``, in that order."""
    interactions = []
    for case in cases:
        request = json.loads((RUBY / "requests" / f"{case}.request.json").read_text())
        text = (RUBY / "responses" / f"{case}.json").read_text()
        answer = json.loads(text)
        status = int(answer["status"]) if answer.get("object") == "error" else 200
        body = request.get("body")
        interactions.append(
            {
                "request": {
                    "method": request["method"],
                    "uri": request["url"],
                    "body": json.dumps(body) if body is not None else None,
                    "headers": {"notion-version": [request["notion_version"]]},
                },
                "response": {
                    "status": {"code": status, "message": ""},
                    "headers": {"Content-Type": ["application/json; charset=utf-8"]},
                    "body": {"string": text},
                },
            }
        )
    path = folder / ("+".join(cases) + ".yaml")
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
    return path


def open_api(folder: Path, **settings: Any) -> tuple[NotionApi, NotionConnectorConfig]:
    """NotionApi and its config as the connector opens them (a real ``httpx.HTTPTransport``
    inside our layer), pointed at api.notion.com, paced and retried without real waits."""
    token = folder / "token"
    token.write_text("replay-token")
    config = NotionConnectorConfig(
        token_file=str(token), base_url="https://api.notion.com", **settings
    )
    slept: list[float] = []
    api = NotionApi(
        config,
        bucket=TokenBucket(1000.0, 100, sleep=slept.append),
        policy=RetryPolicy(sleep=slept.append),
    )
    return api, config
