"""The one place opsync decides whether an HTTP attempt is repeated, and after how long.

Every connector's requests pass through :meth:`RetryPolicy.call` (from
:class:`~opsync.http.transport.PolicyTransport`), built on a single tenacity ``Retrying``;
vendor SDK retries are switched off so nothing is retried twice (STYLE.md 3.8).

What an outcome means (:func:`classify`):

- 429 and 529: throttled. The server refused before running the request, so repeating it is
  safe for any method. Wait for ``Retry-After`` (seconds or an HTTP-date) when given.
- A connect error, connect timeout or pool timeout: the request never left, same as above.
- 500/502/503/504, a read/write timeout, a reset connection: the request *may have run*.
  Repeating a create could then make a duplicate (LESSONS.md 15), so only requests the
  caller calls idempotent are repeated (reads, PUT, DELETE, and POSTs that only read).
- 401/403: :class:`~opsync.errors.AuthError`; nothing this connector does will work.
- Anything else (2xx, 400 validation errors, 404, 409 conflicts) goes back to the caller,
  which knows the record concerned and whether to re-read and re-plan.

Waits are bounded twice: ``max_attempts`` and ``max_total_wait`` seconds of retry waiting
per request. A ``Retry-After`` longer than the budget left is not waited out in part (the
server would only refuse again); the request fails at once with a
:class:`~opsync.errors.TransientError` carrying ``retry_after`` so the run can report it.
"""

from __future__ import annotations

import json
import logging
import math
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import NoReturn

import httpx
import tenacity

from opsync.clock import Clock, SystemClock
from opsync.errors import AuthError, TransientError
from opsync.http.redact import describe, redact_text

_log = logging.getLogger("opsync.http")
_SYSTEM_CLOCK = SystemClock()

THROTTLED_STATUSES = frozenset({429, 529})
SERVER_ERROR_STATUSES = frozenset({500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})


class Kind(Enum):
    """What an attempt's outcome means for the request."""

    PASS = "pass"
    """Hand it to the caller unchanged: a response to read, or an error we do not handle."""
    AUTH = "auth"
    """The credentials were refused."""
    THROTTLED = "throttled"
    """Rate limited: refused before running, safe to repeat for any method."""
    UNSENT = "unsent"
    """The request never reached the server, safe to repeat for any method."""
    FAILED = "failed"
    """The request may have run: repeat it only if doing it twice does no harm."""


@dataclass(frozen=True)
class Verdict:
    """The classification of one outcome; ``retry_after`` in seconds when the server said."""

    kind: Kind
    status: int | None = None
    retry_after: float | None = None

    def repeatable(self, idempotent: bool) -> bool:
        """Whether another attempt is allowed for a request of this idempotency."""
        return self.kind in (Kind.THROTTLED, Kind.UNSENT) or (
            self.kind is Kind.FAILED and idempotent
        )


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date), or None.

    A date in the past means "now" (0); a value that is neither form is ignored, so the
    caller falls back to its own backoff instead of trusting garbage.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = _http_date(text)
        return None if when is None else max((when - now).total_seconds(), 0.0)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _http_date(text: str) -> datetime | None:
    """An aware datetime from an HTTP-date; a date without a zone (``-0000``) is UTC."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def classify(outcome: httpx.Response | BaseException, *, clock: Clock = _SYSTEM_CLOCK) -> Verdict:
    """Classify a response or an exception raised while sending a request.

    An HTTP-date ``Retry-After`` is measured against the response's own ``Date`` header when
    it has one, so a skewed local clock cannot stretch or skip the wait; ``clock`` is the
    fallback.
    """
    if isinstance(outcome, BaseException):
        if isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return Verdict(Kind.UNSENT)
        if isinstance(
            outcome, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
        ):
            return Verdict(Kind.FAILED)
        return Verdict(Kind.PASS)
    status = outcome.status_code
    if status in AUTH_STATUSES:
        return Verdict(Kind.AUTH, status)
    if status in THROTTLED_STATUSES:
        kind = Kind.THROTTLED
    elif status in SERVER_ERROR_STATUSES:
        kind = Kind.FAILED
    else:
        return Verdict(Kind.PASS, status)
    return Verdict(
        kind,
        status,
        parse_retry_after(outcome.headers.get("Retry-After"), now=_now(outcome, clock)),
    )


def _now(response: httpx.Response, clock: Clock) -> datetime:
    return _http_date(response.headers.get("Date", "")) or clock.now()


class _Again(Exception):
    """Raised inside an attempt to tell tenacity the outcome may be repeated."""

    def __init__(
        self,
        verdict: Verdict,
        response: httpx.Response | None = None,
        error: BaseException | None = None,
    ) -> None:
        super().__init__(verdict)
        self.verdict = verdict
        self.response = response
        self.error = error

    def close(self) -> None:
        """Release the connection of a response that will not be read."""
        if self.response is not None:
            self.response.close()

    def __str__(self) -> str:
        if self.error is not None:
            return f"{type(self.error).__name__}: {redact_text(str(self.error))}"
        return f"HTTP {self.verdict.status}"


@dataclass
class _Call:
    """One request's context, passed to tenacity as the attempt's argument.

    tenacity hands it back to every hook as ``retry_state.args[0]``, which lets one shared
    ``Retrying`` serve every request (and every thread) without per-call copies.
    """

    request: httpx.Request
    send: Callable[[], httpx.Response]
    idempotent: bool
    connector: str | None
    on_wait: Callable[[float, Verdict], None] | None
    classify: Callable[[httpx.Response], Verdict | None] | None = None
    planned: dict[int, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return describe(self.request)


class RetryPolicy:
    """Bounded, jittered retries that honour ``Retry-After``.

    Args:
        max_attempts: attempts per request, the first included.
        max_total_wait: seconds of retry waiting per request (pacing not included).
        base: the first backoff, in seconds, doubled on each further attempt.
        cap: the longest single backoff; a ``Retry-After`` is not capped by it.
        sleep: blocks for the given seconds (a fake in tests).
        clock: the wall clock, for an HTTP-date ``Retry-After`` sent without ``Date``.
        random: a number in [0, 1) for jitter; each backoff is 0.5x to 1.5x its nominal value.
    """

    def __init__(
        self,
        *,
        max_attempts: int = 6,
        max_total_wait: float = 120.0,
        base: float = 0.5,
        cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = _SYSTEM_CLOCK,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if max_total_wait < 0 or not 0 < base <= cap:
            raise ValueError("need max_total_wait >= 0 and 0 < base <= cap")
        self.max_attempts = max_attempts
        self.max_total_wait = max_total_wait
        self.base = base
        self.cap = cap
        self._clock = clock
        self._random = random
        self._retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Again),
            wait=self._planned_wait,
            stop=self._stop,
            sleep=sleep,
            before_sleep=self._before_sleep,
            retry_error_callback=self._give_up,
        )

    def call(
        self,
        request: httpx.Request,
        send: Callable[[], httpx.Response],
        *,
        idempotent: bool,
        connector: str | None = None,
        on_wait: Callable[[float, Verdict], None] | None = None,
        classify_response: Callable[[httpx.Response], Verdict | None] | None = None,
    ) -> httpx.Response:
        """Send ``request`` through ``send`` until an outcome is final.

        Args:
            request: the request ``send`` sends; named (never with credentials) in errors.
            send: makes one attempt (pacing included) and returns its response.
            idempotent: whether running the request twice does no harm.
            connector: the connector's name, for errors.
            on_wait: told of each retry wait before it is slept, with the verdict causing it.
            classify_response: the service's own reading of a response, where its status
                does not tell (GraphQL APIs answer "rate limited" inside a 200 or 400 body);
                None falls back to :func:`classify`.

        Raises:
            AuthError: the server answered 401 or 403.
            TransientError: the attempts or the wait budget ran out, or a request that may
                have run failed without a response and cannot safely be repeated.
        """
        call = _Call(request, send, idempotent, connector, on_wait, classify_response)
        return self._retrying(self._attempt, call)

    def _attempt(self, call: _Call) -> httpx.Response:
        try:
            response = call.send()
        except httpx.TransportError as exc:
            verdict = classify(exc, clock=self._clock)
            if verdict.kind is Kind.PASS:
                raise
            if verdict.repeatable(call.idempotent):
                raise _Again(verdict, error=exc) from exc
            raise TransientError(
                f"{type(exc).__name__} and not repeated: the request may have run, so look "
                "its record up before sending it again",
                connector=call.connector,
                request=call.name,
            ) from exc
        verdict = (call.classify and call.classify(response)) or classify(
            response, clock=self._clock
        )
        if verdict.kind is Kind.AUTH:
            detail = _error_detail(response)
            raise AuthError(
                f"HTTP {verdict.status}{detail}: the credentials were refused or lack access",
                connector=call.connector,
                request=call.name,
            )
        if verdict.repeatable(call.idempotent):
            raise _Again(verdict, response=response)
        return response

    def _planned_wait(self, state: tenacity.RetryCallState) -> float:
        """The wait before the next attempt, computed once so that stop and wait agree."""
        call: _Call = state.args[0]
        number = state.attempt_number
        if number not in call.planned:
            verdict = _last(state).verdict
            if verdict.retry_after is not None:
                call.planned[number] = verdict.retry_after
            else:
                nominal = self.base * 2 ** (number - 1)
                jittered = min(nominal * (0.5 + self._random()), self.cap)
                call.planned[number] = max(min(jittered, self._left(state)), 0.0)
        return call.planned[number]

    def _left(self, state: tenacity.RetryCallState) -> float:
        return self.max_total_wait - state.idle_for

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        left = self._left(state)
        return left <= 0 or self._planned_wait(state) > left

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        call: _Call = state.args[0]
        again = _last(state)
        again.close()
        seconds = self._planned_wait(state)
        _log.info(
            "%s: %s on attempt %d; retrying in %.2f s",
            call.name,
            again,
            state.attempt_number,
            seconds,
        )
        if call.on_wait is not None:
            call.on_wait(seconds, again.verdict)

    def _give_up(self, state: tenacity.RetryCallState) -> NoReturn:
        call: _Call = state.args[0]
        again = _last(state)
        again.close()
        verdict = again.verdict
        attempts = state.attempt_number
        left = max(self._left(state), 0.0)
        if attempts >= self.max_attempts:
            why = f"after {attempts} attempts and {state.idle_for:.1f} s of waiting"
        elif verdict.retry_after is not None and verdict.retry_after > left:
            why = (
                f"after {attempts} attempts: the server asked for {verdict.retry_after:.0f} s "
                f"more, over the {left:.1f} s left of the {self.max_total_wait:.0f} s retry budget"
            )
        else:
            why = (
                f"after {attempts} attempts: the {self.max_total_wait:.0f} s retry budget is spent"
            )
        raise TransientError(
            f"gave up {why}; last outcome {again}",
            retry_after=verdict.retry_after,
            connector=call.connector,
            request=call.name,
        ) from (again.error or again)


def _last(state: tenacity.RetryCallState) -> _Again:
    assert state.outcome is not None
    again = state.outcome.exception()
    assert isinstance(again, _Again)
    return again


def _error_detail(response: httpx.Response) -> str:
    """`` (code: message)`` from a JSON error body, when there is one; scrubbed of secrets."""
    try:
        body = json.loads(response.read())
    except (ValueError, httpx.HTTPError, httpx.StreamError):
        return ""
    finally:
        response.close()
    if not isinstance(body, dict):
        return ""
    parts = [body[k] for k in ("code", "message") if isinstance(body.get(k), str)]
    return f" ({redact_text(': '.join(parts))})" if parts else ""
