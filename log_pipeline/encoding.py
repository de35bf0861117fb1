"""JSON encoding for every document and record the shipper writes: orjson, with a safe fallback.

orjson refuses integers beyond 64 bits, which a log line (parsed by orjson, which accepts them) may
hold; those rare values go through the standard library instead of failing the batch.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any, *, sort_keys: bool = False, newline: bool = False) -> bytes:
    option = (orjson.OPT_SORT_KEYS if sort_keys else 0) | (orjson.OPT_APPEND_NEWLINE if newline else 0)
    try:
        return orjson.dumps(value, default=str, option=option)
    except TypeError:
        text = json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        return text.encode() + (b"\n" if newline else b"")
