"""CloudWatch Logs subscription payloads: decode what Lambda receives, encode what CloudWatch sends.

The Lambda event is ``{"awslogs": {"data": base64(gzip(json))}}``. Decoding validates the shape
so that everything downstream can trust it; a malformed event raises ``MalformedEvent`` with a
reason, and the handler dead-letters it whole.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any, TypedDict

import orjson

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"
MAX_BATCH_EVENTS = 10_000
"""PutLogEvents (and so a subscription batch) holds at most 10,000 events ..."""
MAX_BATCH_BYTES = 1_048_576
"""... and at most 1 MiB, counting each message's UTF-8 bytes plus 26 bytes per event."""
EVENT_OVERHEAD_BYTES = 26
MAX_TIMESTAMP_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: anything later cannot be a date in the index name."""


class LogEvent(TypedDict):
    id: str
    timestamp: int
    message: str


class Payload(TypedDict, total=False):
    messageType: str
    owner: str
    logGroup: str
    logStream: str
    subscriptionFilters: list[str]
    logEvents: list[LogEvent]
    policyLevel: str


class MalformedEvent(ValueError):
    """The event is not a valid subscription payload; the message says why, in one line."""


def decode_event(event: Any) -> Payload:
    """Decode a Lambda subscription event into its validated payload."""
    if not isinstance(event, dict):
        raise MalformedEvent(f"event is a {type(event).__name__}, not an object")
    awslogs = event.get("awslogs")
    if not isinstance(awslogs, dict) or not isinstance(awslogs.get("data"), str):
        raise MalformedEvent("event has no awslogs.data string")
    try:
        compressed = base64.b64decode(awslogs["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedEvent(f"awslogs.data is not valid base64: {exc}") from None
    try:
        raw = gunzip(compressed)
    except (EOFError, zlib.error) as exc:
        raise MalformedEvent(f"awslogs.data is not valid gzip: {exc}") from None
    try:
        decoded = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedEvent(f"awslogs.data is not valid JSON: {exc}") from None
    return validate_payload(decoded)


MAX_DECOMPRESSED_BYTES = 10 * 1024 * 1024
"""Largest decompressed payload accepted: CloudWatch's 1 MiB of messages, each byte at most six in
JSON (``\\u0001``), plus the ids and timestamps of 10,000 events, stays under 8 MiB."""


class PayloadTooLarge(MalformedEvent):
    """The compressed data expands beyond ``MAX_DECOMPRESSED_BYTES`` (not decompressed further)."""


def gunzip(compressed: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """``gzip.decompress`` that stops at ``limit`` output bytes (a 258 KB event can expand to
    190 MB). Same output for every stream it accepts (members in a row, zero padding after them);
    ``zlib.error`` or ``EOFError`` for a damaged or truncated one; ``PayloadTooLarge`` past ``limit``."""
    parts: list[bytes] = []
    size = 0
    data = compressed
    while data:
        member = zlib.decompressobj(31)
        out = member.decompress(data, limit - size + 1)
        size += len(out)
        if size > limit:
            raise PayloadTooLarge(f"awslogs.data decompresses to more than {limit} bytes")
        if not member.eof:
            raise EOFError("compressed data ended before the end of the gzip stream")
        parts.append(out)
        data = member.unused_data.lstrip(b"\x00")
    return parts[0] if len(parts) == 1 else b"".join(parts)


def validate_payload(decoded: Any) -> Payload:
    """Check a decoded payload has the fields CloudWatch always sends, with the right types.

    The events themselves are checked by ``accept_events``: one bad event is set aside alone.
    """
    if not isinstance(decoded, dict):
        raise MalformedEvent("payload is not a JSON object")
    message_type = decoded.get("messageType")
    if message_type not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise MalformedEvent(f"payload messageType is {message_type!r}")
    if message_type == CONTROL_MESSAGE:
        return decoded  # type: ignore[return-value]
    for key in ("owner", "logGroup", "logStream"):
        if not isinstance(decoded.get(key), str):
            raise MalformedEvent(f"payload field {key} is missing or not a string")
    if not isinstance(decoded.get("logEvents"), list):
        raise MalformedEvent("payload field logEvents is missing or not a list")
    return decoded  # type: ignore[return-value]


_BAD_EVENT = f"needs a string id, a string message and an integer timestamp between 0 and {MAX_TIMESTAMP_MS}"


def accept_events(payload: Payload) -> list[tuple[Any, str]]:
    """Keep in ``payload["logEvents"]`` the events that are well formed and within CloudWatch's
    limits (10,000 events, 1 MiB counting 26 bytes per event); return the others, each with its
    reason, in their order. Nothing CloudWatch could not have sent is processed."""
    events: list[Any] = payload["logEvents"]
    if len(events) <= MAX_BATCH_EVENTS and _all_events_valid(events) and _within_bytes(events):
        return []
    accepted: list[LogEvent] = []
    rejected: list[tuple[Any, str]] = []
    size = 0
    for position, item in enumerate(events):
        if not _event_valid(item):
            rejected.append((item, f"logEvents[{position}] {_BAD_EVENT}"))
        elif len(accepted) >= MAX_BATCH_EVENTS:
            rejected.append((item, f"beyond CloudWatch's {MAX_BATCH_EVENTS} events per batch; not processed"))
        else:
            event_bytes = event_size(item["message"])
            if size + event_bytes > MAX_BATCH_BYTES:
                reason = f"event of {event_bytes} bytes beyond CloudWatch's {MAX_BATCH_BYTES} bytes per batch"
                rejected.append((item, reason + "; not processed"))
            else:
                size += event_bytes
                accepted.append(item)
    payload["logEvents"] = accepted
    return rejected


def _event_valid(item: Any) -> bool:
    # Exact classes: JSON gives str and int (and bool is not a timestamp).
    try:
        timestamp = item["timestamp"]
        return (
            item["id"].__class__ is str
            and item["message"].__class__ is str
            and timestamp.__class__ is int
            and 0 <= timestamp <= MAX_TIMESTAMP_MS
        )
    except (KeyError, TypeError):
        return False


def _within_bytes(events: list[LogEvent]) -> bool:
    messages = map(_EVENT_MESSAGE, events)
    return sum(map(len, map(str.encode, messages))) + EVENT_OVERHEAD_BYTES * len(events) <= MAX_BATCH_BYTES


_EVENT_ID, _EVENT_TIMESTAMP, _EVENT_MESSAGE = itemgetter("id"), itemgetter("timestamp"), itemgetter("message")
_STR, _INT = frozenset({str}), frozenset({int})


def _all_events_valid(events: list[Any]) -> bool:
    """``_event_valid`` for every event, a column at a time (no Python step per event)."""
    try:
        timestamps = list(map(_EVENT_TIMESTAMP, events))
        return (
            set(map(type, map(_EVENT_ID, events))) <= _STR
            and set(map(type, map(_EVENT_MESSAGE, events))) <= _STR
            and set(map(type, timestamps)) <= _INT  # exact classes: bool is not a timestamp
            and (not timestamps or (min(timestamps) >= 0 and max(timestamps) <= MAX_TIMESTAMP_MS))
        )
    except (KeyError, TypeError):  # an event that is not an object, or lacks a field
        return False


def encode_payload(payload: Payload | dict[str, Any]) -> dict[str, Any]:
    """The Lambda event CloudWatch would send for this payload (gzip, base64)."""
    data = base64.b64encode(gzip.compress(orjson.dumps(payload), compresslevel=6)).decode("ascii")
    return {"awslogs": {"data": data}}


def event_size(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES


def batch_events(
    events: Sequence[LogEvent],
    max_events: int = MAX_BATCH_EVENTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[LogEvent]]:
    """Group events (of one stream, in order) into batches CloudWatch could have delivered."""
    batch: list[LogEvent] = []
    size = 0
    for event in events:
        event_bytes = event_size(event["message"])
        if batch and (len(batch) >= max_events or size + event_bytes > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_bytes
    if batch:
        yield batch
