"""Validation of the ``GET /objects`` query string into a typed request.

The rules are the API contract (``openapi.yaml``): unknown or repeated parameters, an over-long
prefix, control characters, an out-of-range limit and a bad ``next_token`` are each a 400 whose
message names the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from function.errors import (
    MSG_LIMIT,
    MSG_PREFIX_CONTROL_CHARS,
    MSG_PREFIX_TOO_LONG,
    MSG_REPEATED_PARAMETER,
    MSG_UNKNOWN_PARAMETER,
    BadRequestError,
)
from function.pagination import DEFAULT_LIFETIME, decode_token

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAX_PREFIX_BYTES",
    "MIN_LIMIT",
    "PARAMETERS",
    "PARAM_LIMIT",
    "PARAM_NEXT_TOKEN",
    "PARAM_PREFIX",
    "ListQuery",
    "parse_query",
]

PARAM_PREFIX = "prefix"
PARAM_LIMIT = "limit"
PARAM_NEXT_TOKEN = "next_token"  # noqa: S105 - a parameter name
PARAMETERS = (PARAM_PREFIX, PARAM_LIMIT, PARAM_NEXT_TOKEN)

MAX_PREFIX_BYTES = 1024
"""S3's own limit on a key, hence on a useful prefix."""
MIN_LIMIT = 1
MAX_LIMIT = 1000
"""ListObjectsV2 returns at most 1000 keys per call, so one page is one S3 request."""
DEFAULT_LIMIT = 100
_LIMIT_DIGITS = re.compile(r"[0-9]{1,4}")
_MAX_ECHOED_NAME = 64


@dataclass(frozen=True)
class ListQuery:
    prefix: str
    limit: int
    continuation: str | None
    """S3's continuation token, unwrapped from a verified ``next_token``."""


def parse_query(
    event: Mapping[str, Any],
    token_secret: bytes,
    *,
    previous_secret: bytes | None = None,
    token_lifetime: int = DEFAULT_LIFETIME,
) -> ListQuery:
    """Validate the query of a payload-2.0 event; raise ``BadRequestError`` naming the parameter."""
    params: Mapping[str, str] = event.get("queryStringParameters") or {}
    _reject_unknown(params)
    _reject_repeated(event.get("rawQueryString") or "")
    prefix = _prefix(params.get(PARAM_PREFIX, ""))
    limit = _limit(params.get(PARAM_LIMIT))
    token = params.get(PARAM_NEXT_TOKEN)
    continuation = (
        None
        if token is None
        else decode_token(
            token_secret, prefix, token, previous_secret=previous_secret, lifetime=token_lifetime
        )
    )
    return ListQuery(prefix=prefix, limit=limit, continuation=continuation)


def _display(name: str) -> str:
    """A parameter name safe to echo back: short, printable."""
    shown = name[:_MAX_ECHOED_NAME]
    return shown if shown.isprintable() else ascii(shown)


def _reject_unknown(params: Mapping[str, str]) -> None:
    unknown = sorted(name for name in params if name not in PARAMETERS)
    if unknown:
        raise BadRequestError(MSG_UNKNOWN_PARAMETER.format(name=_display(unknown[0])))


def _reject_repeated(raw_query: str) -> None:
    # Payload 2.0 joins repeated values with commas, which would silently turn ?prefix=a&prefix=b
    # into the prefix "a,b"; the raw query string still shows the repetition.
    seen: set[str] = set()
    for name, _ in parse_qsl(raw_query, keep_blank_values=True):
        if name in seen and name in PARAMETERS:
            raise BadRequestError(MSG_REPEATED_PARAMETER.format(name=name))
        seen.add(name)


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0  # Unicode category Cc: C0, DEL, C1


def _prefix(value: str) -> str:
    if any(_is_control(char) for char in value):
        raise BadRequestError(MSG_PREFIX_CONTROL_CHARS)
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:  # lone surrogates cannot be a key
        raise BadRequestError(MSG_PREFIX_CONTROL_CHARS) from exc
    if size > MAX_PREFIX_BYTES:
        raise BadRequestError(MSG_PREFIX_TOO_LONG.format(max_bytes=MAX_PREFIX_BYTES))
    return value


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not _LIMIT_DIGITS.fullmatch(value) or not MIN_LIMIT <= int(value) <= MAX_LIMIT:
        raise BadRequestError(MSG_LIMIT.format(low=MIN_LIMIT, high=MAX_LIMIT))
    return int(value)
