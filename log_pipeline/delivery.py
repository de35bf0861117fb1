"""Deliver bulk actions: read every item, resend only what can succeed, within a deadline.

- Bodies are split by bytes and by count (``bulk_max_bytes``, ``bulk_max_docs``).
- Retryable (429, 5xx, rejected execution, connection errors, timeouts): resent, only those items,
  after a capped exponential backoff with full jitter, while the deadline allows.
- No request above ``max_bytes``: a single document larger than that by itself is never sent; it
  fails with its size and the limit (dead-lettered, nothing lost).
- 413: the body is split in halves and resent at once; a single document that is still too large
  fails with that reason.
- Mapping errors: the offending fields move into ``unmapped`` (one JSON string) and the document is
  resent once; nothing is lost.
- Anything else, or anything still pending at the deadline, is returned as a failure with its
  reason, for the dead-letter store.
"""

from __future__ import annotations

import ipaddress
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from log_pipeline.documents import Action, Batch
from log_pipeline.encoding import dumps
from log_pipeline.transport import BulkResponse, Transport, TransportError, TransportTimeout
from signals import logs as fields
from signals.config import ENV_BULK_MAX_BYTES

MIN_REQUEST_S = 0.05
"""Below this much time left, another request cannot finish: stop and dead-letter."""
MAX_BAD_RESPONSES = 2
"""Resends of a document after responses that did not account for it (item count mismatch)."""

_RETRYABLE_ERROR_TYPES = frozenset(
    {
        "es_rejected_execution_exception",
        "opensearch_rejected_execution_exception",
        "rejected_execution_exception",
        "process_cluster_event_timeout_exception",
        "unavailable_shards_exception",
        "cluster_block_exception",
        "circuit_breaking_exception",
        "node_not_connected_exception",
    }
)
_MAPPING_ERROR_MARKERS = ("mapper", "mapping", "parsing")
_FIELD_IN_REASON = re.compile(r"(?:field|mapping for|object mapping) \[([^\]]+)\]")
_NEVER_MOVED = frozenset({fields.TIMESTAMP, fields.UNMAPPED})
_KEPT_ON_FALLBACK = frozenset(
    {
        fields.TIMESTAMP,
        fields.MESSAGE,
        fields.CW_LOG_GROUP,
        fields.CW_LOG_STREAM,
        fields.CW_EVENT_ID,
        fields.EVENT_KIND,
        fields.CLOUD_ACCOUNT_ID,
        fields.CLOUD_REGION,
        fields.UNMAPPED,
    }
)


@dataclass(frozen=True, slots=True)
class Failure:
    action: Action
    reason: str


@dataclass(slots=True)
class DeliveryResult:
    indexed: int = 0
    failed: list[Failure] = field(default_factory=list)
    retried: int = 0
    """Documents sent again (after a retryable error or a mapping fix); 413 splits not counted."""
    mapping_fixed: int = 0
    bulk_requests: int = 0
    bulk_bytes: int = 0
    max_request_bytes: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    max_bytes: int
    max_docs: int
    max_request_timeout_s: float = 30.0
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 5.0


def chunk_actions(actions: Sequence[Action], max_bytes: int, max_docs: int) -> Iterator[list[Action]]:
    """Consecutive groups whose encoded size stays within max_bytes (a lone oversize doc gets a group
    of its own, which ``Deliverer`` refuses to send)."""
    chunk: list[Action] = []
    size = 0
    for action in actions:
        length = len(action.encoded())
        if chunk and (len(chunk) >= max_docs or size + length > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(action)
        size += length
    if chunk:
        yield chunk


def bulk_body(chunk: Sequence[Action]) -> bytes:
    return b"".join([action.encoded() for action in chunk])


@dataclass(frozen=True, slots=True)
class _Span:
    """One prepared body of a batch: documents ``start`` to ``stop``, not yet ``Action`` objects."""

    batch: Batch
    body: bytes | memoryview
    """Valid until the batch's next body is asked for (a view of the shipper's reused buffer)."""
    start: int
    stop: int

    def actions(self) -> list[Action]:
        return self.batch.actions_between(self.start, self.stop)


_Chunk = list[Action] | _Span


def _actions_of(chunk: _Chunk) -> list[Action]:
    if isinstance(chunk, _Span):
        actions = chunk.actions()
        for action in actions:
            action.sends += 1  # the span was sent once as it is
        return actions
    return chunk


class Deliverer:
    """Runs the delivery loop; clock, sleep and jitter are injectable so tests run fast."""

    def __init__(
        self,
        transport: Transport,
        limits: DeliveryLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter

    def deliver(self, batch: Batch, deadline: float) -> DeliveryResult:
        """Send every body of ``batch`` (built as reached; made with this deliverer's limits) and
        resend what can succeed; stop at ``deadline`` (a ``clock()`` value). Never raises for HTTP
        trouble. ``Action`` objects are only made for the documents of a body not wholly indexed."""
        result = DeliveryResult()
        chunks = (_Span(batch, body, start, stop) for body, start, stop in batch.bodies())
        transient, fixed = self._send_round(chunks, deadline, result)
        self._retry(transient, fixed, deadline, result)
        return result

    def _retry(
        self, transient: list[Action], fixed: list[Action], deadline: float, result: DeliveryResult
    ) -> None:
        """Resend what can succeed (after a backoff when it failed for a transient reason)."""
        attempt = 0
        while True:
            pending = transient + fixed
            if not pending:
                return
            result.retried += len(pending)
            if transient:
                attempt += 1
                cap = min(self._limits.backoff_cap_s, self._limits.backoff_base_s * 2**attempt)
                room = deadline - self._clock() - MIN_REQUEST_S
                if room <= 0:
                    result.retried -= len(pending)
                    self._give_up(pending, f"deadline reached after {attempt} attempt(s)", result)
                    return
                # A delay that does not fit waits less: half the time left, the rest for the resend.
                self._sleep(min(self._jitter() * cap, room / 2))
            chunks = chunk_actions(pending, self._limits.max_bytes, self._limits.max_docs)
            transient, fixed = self._send_round(chunks, deadline, result)

    def _send_round(
        self, chunks: Iterator[_Chunk], deadline: float, result: DeliveryResult
    ) -> tuple[list[Action], list[Action]]:
        """One pass over ``chunks`` (taken one at a time: a lazy batch builds each body when it is
        reached); the halves of a 413 go before the next chunk."""
        transient: list[Action] = []
        fixed: list[Action] = []
        queue: deque[_Chunk] = deque()
        while True:
            if queue:
                chunk = queue.popleft()
            else:
                taken = next(chunks, None)
                if taken is None:
                    break
                chunk = taken
            remaining = deadline - self._clock()
            if remaining < MIN_REQUEST_S:
                rest = [action for later in (chunk, *queue, *chunks) for action in _actions_of(later)]
                self._give_up(rest, "deadline reached before sending", result)
                return transient, fixed
            body: bytes | memoryview
            if isinstance(chunk, _Span):
                body = chunk.body
                size = chunk.stop - chunk.start
            else:
                body = bulk_body(chunk)
                size = len(chunk)
            if len(body) > self._limits.max_bytes:  # never sent (by construction, a lone document)
                self._refuse_oversize(chunk, len(body), queue, result)
                continue
            if not isinstance(chunk, _Span):
                for action in chunk:
                    action.sends += 1
            timeout = min(self._limits.max_request_timeout_s, remaining)
            try:
                response = self._transport.post_bulk(body, timeout)
            except TransportTimeout:
                actions = _actions_of(chunk)
                _mark(actions, f"timeout after {timeout:.2f}s")
                transient.extend(actions)
                continue
            except TransportError as exc:
                actions = _actions_of(chunk)
                _mark(actions, f"connection error: {exc}")
                transient.extend(actions)
                continue
            result.bulk_requests += 1
            result.bulk_bytes += len(body)
            result.max_request_bytes = max(result.max_request_bytes, len(body))
            if _all_indexed(response, size):
                result.indexed += size
                continue
            actions = _actions_of(chunk)
            if response.status == 413:
                if len(actions) > 1:
                    middle = len(actions) // 2
                    queue.appendleft(actions[middle:])
                    queue.appendleft(actions[:middle])
                else:
                    _fail(actions, f"HTTP 413: single document of {len(body)} bytes is too large", result)
                continue
            self._read_items(actions, response, result, transient, fixed)
        return transient, fixed

    def _refuse_oversize(
        self, chunk: _Chunk, length: int, queue: deque[_Chunk], result: DeliveryResult
    ) -> None:
        """A body above the bulk limit is not sent: halves go back in the queue; a single document
        (larger than the limit by itself) fails with its size and the limit, for the dead letters."""
        actions = chunk.actions() if isinstance(chunk, _Span) else chunk
        if len(actions) > 1:
            middle = len(actions) // 2
            queue.appendleft(actions[middle:])
            queue.appendleft(actions[:middle])
            return
        limit = self._limits.max_bytes
        _fail(
            actions,
            f"document of {length} bytes (with its bulk action line) exceeds the bulk size limit "
            f"of {limit} bytes ({ENV_BULK_MAX_BYTES}); not sent",
            result,
        )

    def _read_items(
        self,
        chunk: list[Action],
        response: BulkResponse,
        result: DeliveryResult,
        transient: list[Action],
        fixed: list[Action],
    ) -> None:
        status = response.status
        if status == 429 or status >= 500:
            _mark(chunk, f"HTTP {status}: {_describe(response)}")
            transient.extend(chunk)
            return
        if status >= 300:
            _fail(chunk, f"HTTP {status}: {_describe(response)}", result)
            return
        items = response.body.get("items") if response.body is not None else None
        if not isinstance(items, list) or len(items) != len(chunk):
            # Which documents were indexed is unknown: resent a few times, then dead-lettered.
            reason = f"HTTP {status}: bulk response without one item per document"
            for action in chunk:
                action.bad_responses += 1
                action.last_error = reason
                if action.bad_responses > MAX_BAD_RESPONSES:
                    result.failed.append(Failure(action, f"{reason}, {action.bad_responses} times"))
                else:
                    transient.append(action)
            return
        assert response.body is not None
        for action, item in zip(chunk, items, strict=True):
            outcome = _item_outcome(item)
            item_status, error = outcome
            if 200 <= item_status < 300:
                result.indexed += 1
            elif _is_retryable(item_status, error):
                action.last_error = _error_text(item_status, error)
                transient.append(action)
            elif _is_mapping_error(error) and not action.mapping_fixed:
                move_offending_fields(action, error)
                action.last_error = _error_text(item_status, error)
                result.mapping_fixed += 1
                fixed.append(action)
            else:
                action.last_error = _error_text(item_status, error)
                result.failed.append(Failure(action, action.last_error))

    @staticmethod
    def _give_up(actions: list[Action], why: str, result: DeliveryResult) -> None:
        for action in actions:
            reason = f"{why}; last error: {action.last_error}" if action.last_error else why
            result.failed.append(Failure(action, reason))


def _all_indexed(response: BulkResponse, count: int) -> bool:
    """A 2xx response with ``"errors": false`` and one item per document: nothing to walk.

    OpenSearch sets ``errors`` to true as soon as one item failed, so with ``false`` every item
    succeeded; the items are still counted against the documents sent (from the raw bytes when
    the body has OpenSearch's compact shape, from the parsed body otherwise).
    """
    if response.status >= 300:
        return False
    if response.items_without_errors() == count:
        return True
    body = response.body
    if body is None:
        return False
    items = body.get("items")
    return body.get("errors") is False and isinstance(items, list) and len(items) == count


def _mark(chunk: list[Action], reason: str) -> None:
    for action in chunk:
        action.last_error = reason


def _fail(chunk: list[Action], reason: str, result: DeliveryResult) -> None:
    _mark(chunk, reason)
    result.failed.extend(Failure(action, reason) for action in chunk)


def _describe(response: BulkResponse) -> str:
    if response.body is not None:
        error = response.body.get("error", response.body.get("message", response.body))
        return dumps(error).decode()[:300]
    return response.text or "(empty body)"


def _item_outcome(item: Any) -> tuple[int, dict[str, Any] | None]:
    if not isinstance(item, dict) or not item:
        return 500, {"type": "invalid_item", "reason": "bulk response item is not an object"}
    operation = next(iter(item.values()))
    if not isinstance(operation, dict):
        return 500, {"type": "invalid_item", "reason": "bulk response item has no operation"}
    status = operation.get("status")
    if not isinstance(status, int):
        status = 500
    error = operation.get("error")
    if error is not None and not isinstance(error, dict):
        error = {"type": "error", "reason": str(error)}
    return status, error


def _is_retryable(status: int, error: dict[str, Any] | None) -> bool:
    if status == 429 or status >= 500:
        return True
    return error is not None and error.get("type") in _RETRYABLE_ERROR_TYPES


def _is_mapping_error(error: dict[str, Any] | None) -> bool:
    """A value the mapping cannot take (wrong type, or a keyword term over 32,766 bytes)."""
    if error is None:
        return False
    kind = str(error.get("type", ""))
    return any(marker in kind for marker in _MAPPING_ERROR_MARKERS) or "immense term" in _reasons(error)


def _error_text(status: int, error: dict[str, Any] | None) -> str:
    if error is None:
        return f"item status {status}"
    return f"item status {status}: {error.get('type', 'error')}: {str(error.get('reason', ''))[:300]}"


def _reasons(error: dict[str, Any] | None) -> str:
    texts: list[str] = []
    while isinstance(error, dict) and len(texts) < 5:
        texts.append(str(error.get("reason", "")))
        error = error.get("caused_by")
    return " ".join(texts)


def move_offending_fields(action: Action, error: dict[str, Any] | None) -> list[str]:
    """Move the fields a mapping error names into ``unmapped`` (a JSON string); return their names.

    When the error names no field we can find, every field but the identifying core ones moves, so
    the resend cannot hit the same conflict.
    """
    doc = action.doc
    names = set(_FIELD_IN_REASON.findall(_reasons(error)))
    moved: dict[str, Any] = {}
    for key in list(doc):
        if key in _NEVER_MOVED:
            continue
        named = any(key == name or key.startswith(name + ".") or name.startswith(key + ".") for name in names)
        # OpenSearch names only the first bad field: move every value that does not fit our
        # templates too, so the one resend cannot fail on the next one.
        if named or not _fits(key, doc[key]):
            moved[key] = doc.pop(key)
    if not moved:
        for key in list(doc):
            if key not in _KEPT_ON_FALLBACK:
                moved[key] = doc.pop(key)
    previous = doc.get(fields.UNMAPPED)
    if isinstance(previous, str):
        try:
            earlier = orjson.loads(previous)
            if isinstance(earlier, dict):
                moved = {**earlier, **moved}
        except orjson.JSONDecodeError:
            moved[fields.UNMAPPED] = previous
    doc[fields.UNMAPPED] = dumps(moved, sort_keys=True).decode()
    action.mapping_fixed = True
    action.invalidate()
    return sorted(moved)


_SCALARS = (str, int, float, bool)


def _fits(key: str, value: Any) -> bool:
    """Whether ``value`` can be indexed into the field type our templates give ``key``."""
    from log_pipeline.templates import field_types

    mapping = field_types().get(key)
    if mapping is None:
        return True  # unmapped under dynamic: false: kept in _source, never rejected
    kind = mapping["type"]
    if kind == "flat_object":
        return isinstance(value, dict)
    values = value if isinstance(value, list) else [value]
    return all(_scalar_fits(kind, item) for item in values)


_INTEGER_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _scalar_fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict | list):
        return False
    if kind in ("keyword", "text", "date"):
        return isinstance(value, _SCALARS)
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false", "")
    if kind in ("integer", "long", "double"):
        if isinstance(value, bool):
            return False
        try:
            number = value if isinstance(value, int) else float(value)
        except (TypeError, ValueError, OverflowError):
            return False
        if isinstance(number, float) and not math.isfinite(number):
            return False
        low, high = _INTEGER_RANGES.get(kind, (-math.inf, math.inf))
        return bool(low <= number <= high)
    if kind == "ip":
        if not isinstance(value, str):
            return False
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    return True
