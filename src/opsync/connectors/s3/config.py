"""``[connectors.<name>]`` with ``type = "s3"``: the bucket and object the ritual feed goes to.

No secret is ever in the table: boto3 is given the access key from environment variables
only (``access_key_id_env``, ``secret_access_key_env``, ``session_token_env``), never from
a shared credentials file or the config, so the credentials a run uses are the ones its
environment was given.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from opsync.config_problems import invalid
from opsync.connectors.config import ConnectorConfig

FEED_OBJECT = "rituals.ics"
# S3's rules for a bucket name (3-63 lowercase letters, digits, dots and hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class S3ConnectorConfig(ConnectorConfig):
    """A bucket of Amazon S3 or of an S3-compatible store (MinIO, Cloudflare R2, Backblaze
    B2, …) holding the ritual calendar feed."""

    type: Literal["s3"] = Field("s3", description="An S3-compatible bucket (the feeds role).")
    bucket: str = Field(description="Bucket name.")
    key: str = Field(
        FEED_OBJECT,
        description="Object key of the ritual feed, e.g. calendars/rituals.ics; other files "
        "opsync owns go beside it.",
    )
    region: str | None = Field(
        None, description="Region, e.g. eu-west-1; boto3's default if unset."
    )
    endpoint_url: str | None = Field(
        None,
        description="Endpoint of an S3-compatible store, e.g. https://<account>.r2."
        "cloudflarestorage.com; Amazon S3 if unset.",
    )
    access_key_id_env: str = Field(
        "AWS_ACCESS_KEY_ID", description="Environment variable holding the access key id."
    )
    secret_access_key_env: str = Field(
        "AWS_SECRET_ACCESS_KEY", description="Environment variable holding the secret key."
    )
    session_token_env: str = Field(
        "AWS_SESSION_TOKEN",
        description="Environment variable holding a session token (temporary credentials); "
        "none when unset.",
    )

    NOT_IDENTITY: ClassVar[frozenset[str]] = frozenset(
        {
            "region",
            "endpoint_url",
            "access_key_id_env",
            "secret_access_key_env",
            "session_token_env",
        }
    )

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, bucket: str) -> str:
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            hint = "3 to 63 lowercase letters, digits, dots and hyphens, e.g. acme-calendars"
            raise invalid(f'"{bucket}" is not a bucket name', hint)
        return bucket

    @field_validator("key")
    @classmethod
    def _key(cls, key: str) -> str:
        if not key.strip("/") or key.endswith("/"):
            raise invalid(f'"{key}" is not an object key', 'name the object, e.g. "rituals.ics"')
        return key.lstrip("/")

    def object_key(self, name: str) -> str:
        """Where file ``name`` lives: the ritual feed at ``key``, any other file beside it."""
        if name == FEED_OBJECT:
            return self.key
        folder, _, _ = self.key.rpartition("/")
        return f"{folder}/{name}" if folder else name


__all__ = ["FEED_OBJECT", "S3ConnectorConfig"]
