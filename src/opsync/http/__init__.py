"""The single pacing and retry site of every HTTP connector (STYLE.md 3.8).

A connector builds one :class:`PolicyTransport` around its real transport, with a
:class:`TokenBucket` for its rate limit and a :class:`RetryPolicy`, and hands the
``httpx.Client`` over it to the vendor SDK with the SDK's own retries switched off. Nothing
else in opsync sleeps or retries on an HTTP outcome.
"""

from opsync.http.pacing import TokenBucket
from opsync.http.policy import Kind, RetryPolicy, Verdict, classify, parse_retry_after
from opsync.http.redact import (
    RedactingFilter,
    describe,
    redact_headers,
    redact_text,
    redact_url,
)
from opsync.http.transport import (
    Attempt,
    PolicyTransport,
    RequestCounts,
    is_safe_method,
)

__all__ = [
    "Attempt",
    "Kind",
    "PolicyTransport",
    "RedactingFilter",
    "RequestCounts",
    "RetryPolicy",
    "TokenBucket",
    "Verdict",
    "classify",
    "describe",
    "is_safe_method",
    "parse_retry_after",
    "redact_headers",
    "redact_text",
    "redact_url",
]
