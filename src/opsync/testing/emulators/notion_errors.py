"""Errors the Notion emulator answers with, in the real API's body shape.

Each carries the HTTP status, the Notion error code and a message worded like the real
service's, so a connector's error handling meets the same strings it meets in production
(NOTES.md section 5).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)

#: Messages the real API uses for the statuses that carry no request-specific text.
STATUS_CODES: dict[int, tuple[str, str]] = {
    400: ("validation_error", "body failed validation."),  # injected: one record's bad data
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    500: ("internal_server_error", "Unexpected error occurred."),
    502: ("bad_gateway", "Bad gateway."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
    504: ("gateway_timeout", "Gateway timeout."),
    529: ("service_overload", "Notion is overloaded, please try again later."),
}


class ApiError(Exception):
    """An error response; raised anywhere below the HTTP layer and rendered by it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        additional_data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.additional_data = additional_data

    def body(self, request_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.additional_data is not None:
            out["additional_data"] = self.additional_data
        out["request_id"] = request_id
        return out


def for_status(status: int, headers: dict[str, str] | None = None) -> ApiError:
    """An injected or rate-limit error with the code and message the real API uses."""
    code, message = STATUS_CODES[status]
    return ApiError(status, code, message, headers=headers)


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def body_invalid(path: str, expectation: str, value: Any) -> ApiError:
    """The real API's wording for a body field that breaks a limit or a shape rule."""
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return invalid(f"body failed validation: {path} {expectation}, instead was `{shown}`.")


def too_long(path: str, limit: int, actual: int) -> ApiError:
    return invalid(
        f"body failed validation: {path}.length should be ≤ `{limit}`, instead was `{actual}`."
    )


def not_found(kind: str, object_id: str) -> ApiError:
    return ApiError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and "
        "databases are shared with your integration.",
    )


def parse_id(raw: str, name: str) -> str:
    """A path or body id in canonical hyphenated form; compact ids are accepted as the API does."""
    if not _UUID.match(raw):
        raise invalid(
            f'path failed validation: path.{name} should be a valid uuid, instead was `"{raw}"`.'
        )
    return str(uuid.UUID(raw))


def body_id(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or not _UUID.match(raw):
        raise body_invalid(path, "should be a valid uuid", raw)
    return str(uuid.UUID(raw))
