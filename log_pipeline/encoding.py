"""JSON encoding for every document and record the shipper writes: orjson, with one narrow fallback.

orjson refuses integers beyond 64 bits (a log line can hold one; parsing keeps such values as they
came): those rare values go through the standard library instead. Anything else either encoder
refuses (objects nested deeper than orjson's 254 levels, strings with lone surrogates) raises
``EncodeError``, never ``TypeError`` or ``RecursionError``: callers keep the event another way.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_BIG_INTEGER = "Integer exceeds 64-bit range"


class EncodeError(ValueError):
    """The value cannot be written as JSON; the message says why, in one line."""


def dumps(value: Any, *, sort_keys: bool = False, newline: bool = False) -> bytes:
    option = (orjson.OPT_SORT_KEYS if sort_keys else 0) | (orjson.OPT_APPEND_NEWLINE if newline else 0)
    try:
        return orjson.dumps(value, default=str, option=option)
    except TypeError as exc:
        if str(exc) != _BIG_INTEGER:
            raise EncodeError(str(exc)) from None
    try:
        text = json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        encoded = text.encode()
    except (ValueError, TypeError, RecursionError) as exc:  # lone surrogates; depth in the fallback
        raise EncodeError(f"{type(exc).__name__}: {exc}"[:200]) from None
    return encoded + (b"\n" if newline else b"")
