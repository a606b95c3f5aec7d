"""The ritual feed in an S3-compatible bucket: read back each run (for SEQUENCE and the
plan's comparison), written only when its bytes changed.

A calendar client polls the feed's URL; an unchanged feed must not become a new object
version (a versioned bucket would keep one per run, and a CDN would lose its cache for
nothing). The engine plans a write only when the feed differs from what was read, and this
store checks once more against the MD5 of what it read or, for a file it did not read,
against the object's ETag (the MD5 of a single-part upload), so a feed written by a run that
was killed afterwards is not written twice. The object is stored as ``text/calendar`` so a
browser or a calendar that fetches it knows what it is.

Credentials come from environment variables only (``config.py``); errors carry S3's error
code and message, never a credential.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, ClassVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from opsync.connectors.base import Capabilities, FileWrite, Role
from opsync.connectors.s3.config import S3ConnectorConfig
from opsync.domain import Finding, Level
from opsync.errors import AuthError, ConfigError, ConnectorError, PermanentError, TransientError
from opsync.secrets import Secrets

CONTENT_TYPE = "text/calendar; charset=utf-8"
PROBE = ".opsync-doctor-probe"  # what `opsync doctor` writes and deletes beside the feed
_AUTH = frozenset(
    {
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "AllAccessDisabled",
        "403",
    }
)
_ABSENT = frozenset({"NoSuchKey", "404", "NotFound"})
_TRANSIENT = frozenset(
    {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "503", "500"}
)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class S3FeedStore:
    """:class:`~opsync.connectors.base.FeedStore` over one bucket."""

    name: ClassVar[str] = "s3"
    capabilities: ClassVar[Capabilities] = Capabilities(roles=frozenset({Role.FEEDS}))

    def __init__(
        self, config: S3ConnectorConfig, *, name: str = "s3", secrets: Secrets | None = None
    ) -> None:
        self.config = config
        self.label = name
        self.secrets = secrets or Secrets()
        self._client: Any = None
        self._read: dict[str, str] = {}  # object key → MD5 of what this store read or wrote
        self._reads = self._writes = 0

    # FeedStore -----------------------------------------------------------------------

    def read_file(self, key: str) -> str | None:
        where = self.config.object_key(key)
        self._reads += 1
        try:
            found = self.client().get_object(Bucket=self.config.bucket, Key=where)
            data: bytes = found["Body"].read()
        except ClientError as exc:
            if _code(exc) in _ABSENT:
                return None
            raise self._error(exc, "GET", where) from None
        except BotoCoreError as exc:
            raise self._failure(exc, "GET", where) from None
        self._read[where] = md5_hex(data)
        return data.decode("utf-8")

    def write_file(self, op: FileWrite) -> None:
        where = self.config.object_key(op.key)
        data = op.content.encode("utf-8")
        digest = md5_hex(data)
        if self._read.get(where, self._etag(where)) == digest:
            return  # the bucket holds these bytes already: no new version, no request
        self._writes += 1
        try:
            self.client().put_object(
                Bucket=self.config.bucket,
                Key=where,
                Body=data,
                ContentType=CONTENT_TYPE,
                ContentMD5=base64.b64encode(bytes.fromhex(digest)).decode("ascii"),
            )
        except ClientError as exc:
            raise self._error(exc, "PUT", where) from None
        except BotoCoreError as exc:
            raise self._failure(exc, "PUT", where) from None
        self._read[where] = digest

    # Connector -----------------------------------------------------------------------

    def check(self) -> list[Finding]:
        """What ``opsync doctor`` reports: the credentials are set, the bucket answers, and
        an object can be written and deleted beside the feed (a probe, removed at once)."""
        record = f"config/connectors/{self.label}"
        probe = self.config.object_key(PROBE)
        try:
            client = self.client()
            self._reads += 1
            client.head_bucket(Bucket=self.config.bucket)
            self._writes += 2
            client.put_object(
                Bucket=self.config.bucket, Key=probe, Body=b"", ContentType=CONTENT_TYPE
            )
            client.delete_object(Bucket=self.config.bucket, Key=probe)
        except ConfigError as exc:
            return [_problem(record, exc.key, f"{exc.message}; {exc.hint}")]
        except ClientError as exc:
            error = self._error(exc, "check", probe)
            return [_problem(record, "bucket", f"{error}; {_fix(exc)}")]
        except BotoCoreError as exc:
            return [_problem(record, "endpoint_url", f"{self._failure(exc, 'check', probe)}")]
        return []

    def counts(self) -> dict[str, int]:
        return {"reads": self._reads, "writes": self._writes}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # Inside --------------------------------------------------------------------------

    def client(self) -> Any:
        """The boto3 client, made on first use with the environment's credentials only."""
        if self._client is None:
            table = f"connectors.{self.label}"
            config = self.config

            def env(field: str, what: str) -> str:
                variable = getattr(config, field)
                hint = f"export {variable}=... in the environment opsync runs in"
                return self.secrets.from_env(variable, key=f"{table}.{field}", what=what, hint=hint)

            key_id = env("access_key_id_env", "S3 access key id")
            secret = env("secret_access_key_env", "S3 secret access key")
            try:
                token: str | None = env("session_token_env", "S3 session token")
            except ConfigError:
                token = None  # long-lived keys have none
            self._client = boto3.session.Session().client(
                "s3",
                region_name=config.region,
                endpoint_url=config.endpoint_url,
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
                aws_session_token=token,
                config=BotoConfig(
                    retries={"mode": "standard", "max_attempts": 4},
                    connect_timeout=10,
                    read_timeout=30,
                    # S3-compatible stores do not all take the CRC checksums that botocore
                    # sends by default since 1.36; Content-MD5 covers the upload instead
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
        return self._client

    def _etag(self, where: str) -> str | None:
        """The object's ETag (its MD5 for a single-part upload), or None when absent."""
        self._reads += 1
        try:
            head = self.client().head_object(Bucket=self.config.bucket, Key=where)
        except ClientError as exc:
            if _code(exc) in _ABSENT:
                return None
            raise self._error(exc, "HEAD", where) from None
        except BotoCoreError as exc:
            raise self._failure(exc, "HEAD", where) from None
        return str(head.get("ETag", "")).strip('"') or None

    def _error(self, exc: ClientError, verb: str, where: str) -> ConnectorError:
        """S3's refusal as opsync's error: its code and message only (never the request's
        headers, which carry the signature)."""
        code = _code(exc)
        message = str((exc.response.get("Error") or {}).get("Message") or code)
        kind: type[ConnectorError] = PermanentError
        if code in _AUTH:
            kind = AuthError
        elif code in _TRANSIENT:
            kind = TransientError
        return kind(
            f"S3 answered {code}: {message}",
            connector=self.label,
            request=f"{verb} s3://{self.config.bucket}/{where}",
        )

    def _failure(self, exc: BotoCoreError, verb: str, where: str) -> ConnectorError:
        return TransientError(
            f"S3 could not be reached: {type(exc).__name__}",
            connector=self.label,
            request=f"{verb} s3://{self.config.bucket}/{where}",
        )


def _code(exc: ClientError) -> str:
    return str((exc.response.get("Error") or {}).get("Code") or "")


def _fix(exc: ClientError) -> str:
    code = _code(exc)
    if code in ("NoSuchBucket", "404"):
        return "check the bucket name and region, or create the bucket"
    if code in _AUTH:
        return (
            "give the access key s3:GetObject, s3:PutObject and s3:DeleteObject on the "
            "bucket (and check the key and the region)"
        )
    return "check the bucket, the region and endpoint_url"


def _problem(record: str, field: str, message: str) -> Finding:
    return Finding(code="s3.setup", record=record, field=field, level=Level.ERROR, message=message)


__all__ = ["CONTENT_TYPE", "S3FeedStore", "md5_hex"]
