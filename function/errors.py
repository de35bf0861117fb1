"""The API's responses, including its fixed error shapes (documented in ``openapi.yaml``).

Every non-200 answer is built here so callers only ever see these bodies: no stack traces, no SDK
messages. Details of a failure go to the log, keyed by the same request id the caller receives.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "BAD_REQUEST",
    "INTERNAL_ERROR",
    "JSON_HEADERS",
    "MSG_LIMIT",
    "MSG_NOT_FOUND",
    "MSG_PREFIX_CONTROL_CHARS",
    "MSG_PREFIX_TOO_LONG",
    "MSG_REPEATED_PARAMETER",
    "MSG_TOKEN_INVALID",
    "MSG_TOKEN_OTHER_PREFIX",
    "MSG_UNKNOWN_PARAMETER",
    "NOT_FOUND",
    "RETRY_AFTER_SECONDS",
    "SERVICE_UNAVAILABLE",
    "BadRequestError",
    "Response",
    "bad_request",
    "internal_error",
    "json_response",
    "not_found",
    "service_unavailable",
]

Response = dict[str, Any]
"""An API Gateway HTTP API (payload format 2.0) Lambda proxy response."""

JSON_HEADERS = {"content-type": "application/json", "cache-control": "no-store"}

RETRY_AFTER_SECONDS = 1
"""What a throttled caller is told to wait; S3 throttling is per prefix and clears in seconds."""

# Error codes (the "error" field)
BAD_REQUEST = "bad_request"
NOT_FOUND = "not_found"
INTERNAL_ERROR = "internal_error"
SERVICE_UNAVAILABLE = "service_unavailable"
FORBIDDEN = "forbidden"
MSG_FORBIDDEN = "this caller is not allowed to use this API"

# 400 messages: each names the offending parameter; tests assert them exactly.
MSG_UNKNOWN_PARAMETER = "unknown query parameter: {name}"
MSG_REPEATED_PARAMETER = "query parameter given more than once: {name}"
MSG_PREFIX_TOO_LONG = "prefix must be at most {max_bytes} bytes of UTF-8"
MSG_PREFIX_CONTROL_CHARS = "prefix must not contain control characters"
MSG_LIMIT = "limit must be an integer from {low} to {high}"
MSG_TOKEN_INVALID = "next_token is not a valid token"  # noqa: S105 - a message, not a secret
MSG_TOKEN_OTHER_PREFIX = "next_token was issued for a different prefix"  # noqa: S105
MSG_TOKEN_EXPIRED = "next_token has expired; list again from the start"  # noqa: S105
MSG_NOT_FOUND = "no route for {method} {path}"


class BadRequestError(ValueError):
    """A query parameter is invalid; the message is safe to return to the caller."""


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        "isBase64Encoded": False,
    }


def bad_request(message: str) -> Response:
    return json_response(400, {"error": BAD_REQUEST, "message": message})


def forbidden() -> Response:
    """The fixed 403: it says nothing about who is allowed or why not."""
    return json_response(403, {"error": FORBIDDEN, "message": MSG_FORBIDDEN})


def not_found(method: str, path: str) -> Response:
    return json_response(404, {"error": NOT_FOUND, "message": MSG_NOT_FOUND.format(method=method, path=path)})


def internal_error(request_id: str) -> Response:
    return json_response(500, {"error": INTERNAL_ERROR, "request_id": request_id})


def service_unavailable(request_id: str) -> Response:
    return json_response(
        503,
        {"error": SERVICE_UNAVAILABLE, "request_id": request_id},
        headers={"retry-after": str(RETRY_AFTER_SECONDS)},
    )
