"""From a decoded subscription payload to the documents and bulk actions the shipper sends.

One log event becomes one document (EMF lines excepted when SHIP_EMF is off: they are counted,
not shipped). The schema is documented in SCHEMA.md and mapped by templates.py.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import orjson

from log_pipeline.config import DEFAULT_BULK_MAX_BYTES, DEFAULT_BULK_MAX_DOCS
from log_pipeline.encoding import dumps
from log_pipeline.parsing import PARSED_FIELDS, parse_fields
from log_pipeline.subscription import LogEvent, Payload
from signals import logs as f

_LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/"
_ENDING_KEYS = frozenset(
    {
        f.TIMESTAMP,
        f.CW_LOG_GROUP,
        f.CW_LOG_STREAM,
        f.CLOUD_ACCOUNT_ID,
        f.CLOUD_REGION,
        f.CW_EVENT_ID,
        f.EVENT_KIND,
    }
)
"""The keys ``build_batch`` appends to the parsed fields (written as bytes on the fast path, which
is only the same as ``dict.update`` because parsing never produces them; checked at import)."""
if _ENDING_KEYS & PARSED_FIELDS:
    raise RuntimeError(f"parsing produces document keys the batch appends: {_ENDING_KEYS & PARSED_FIELDS}")
_HEADERS: dict[str, bytes] = {}
"""Encoded bulk action lines by index name (without ``_id`` they repeat for a whole batch)."""


@dataclass(slots=True)
class Action:
    """One document on its way to OpenSearch, tied to the event it came from."""

    index: str
    doc: dict[str, Any]
    event: LogEvent
    doc_id: str | None = None
    mapping_fixed: bool = False
    """Fields were already moved into ``unmapped`` once; a second mapping error dead-letters it."""
    sends: int = 0
    last_error: str = ""
    """Why the last send of this document did not index it (the dead-letter reason)."""
    _line: bytes | None = field(default=None, repr=False)

    def encoded(self) -> bytes:
        """The action line and the source line of this document, newline-terminated."""
        if self._line is None:
            if self.doc_id is None:
                header = _header(self.index)
            else:
                header = orjson.dumps({"index": {"_index": self.index, "_id": self.doc_id}}) + b"\n"
            self._line = header + dumps(self.doc, newline=True)
        return self._line

    def invalidate(self) -> None:
        self._line = None


class Batch:
    """The documents of one payload as bulk bodies, with the events they came from.

    Each document is encoded once, straight into the body of its bulk request (split by bytes and
    by count as it is built), and its dict is dropped at once unless documents are kept: no
    per-document object outlives the loop, which is what makes a batch cheap (see README, "Speed
    and memory"). A lazy batch (``build_batch(..., lazy=True)``, the shipper) builds each body
    only when ``bodies()`` asks for it, so a body can be sent (and freed) before the next one is
    built. ``Action`` objects are only made for documents that need handling (a failed item, a
    retry, a 413 split) or when ``actions`` is read; their documents are rebuilt from the events
    by the same code, so they are the documents that were sent.
    """

    __slots__ = (
        "_actions",
        "_builder",
        "_built",
        "_common",
        "_docs",
        "_function_name",
        "_pending",
        "emf_skipped",
        "events",
        "events_received",
        "use_document_id",
    )

    def __init__(
        self,
        events: list[LogEvent],
        *,
        common: dict[str, Any],
        function_name: str | None,
        use_document_id: bool,
        docs: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.events = events
        """The event of each document, in body order (EMF events skipped: final once built)."""
        self.events_received = len(events)
        self.emf_skipped = 0
        """Final once every body is built."""
        self.use_document_id = use_document_id
        self._common = common
        self._function_name = function_name
        self._docs = docs
        self._actions: list[Action] | None = None
        self._built: list[tuple[bytes | memoryview, int]] = []
        self._pending: Generator[tuple[bytes | memoryview, int], None, None] | None = None
        self._builder: Generator[tuple[bytes | memoryview, int], None, None] | None = None

    def __len__(self) -> int:
        return len(self.events)

    def close(self) -> None:
        """Stop building (a lazy batch): the last body's view of a reused buffer is released."""
        if self._builder is not None:
            self._builder.close()
            self._builder = self._pending = None

    def bodies(self) -> Iterator[tuple[bytes | memoryview, int, int]]:
        """Each bulk body with the range of documents in it: ``(body, start, stop)``.

        A lazy batch builds each body as it is asked for, once (iterate once); an eager batch
        yields the bodies it holds.
        """
        start = 0
        for body, count in self._built:
            yield body, start, start + count
            start += count
        if self._pending is not None:
            pending, self._pending = self._pending, None
            for body, count in pending:
                yield body, start, start + count
                start += count

    @property
    def built_bodies(self) -> list[bytes | memoryview]:
        """The bodies of an eager batch (tests, the benchmark's size checks)."""
        return [body for body, _count in self._built]

    @property
    def actions(self) -> list[Action]:
        """Every document as an ``Action`` (built on first use; a lazy batch is built first)."""
        if self._actions is None:
            if self._pending is not None:  # build the rest (documents are rebuilt, not bodies)
                pending, self._pending = self._pending, None
                for _body in pending:
                    pass
            self._actions = self.actions_between(0, len(self.events))
        return self._actions

    def actions_between(self, start: int, stop: int) -> list[Action]:
        """``Action`` objects for documents ``start`` to ``stop`` (exclusive) of the bodies built."""
        if self._actions is not None:
            return self._actions[start:stop]
        events = self.events
        with_id = self.use_document_id
        actions: list[Action] = []
        for position in range(start, stop):
            event = events[position]
            if self._docs is not None:
                index, doc = self._docs[position]
            else:
                index, doc = document(event, self._common, self._function_name)
            actions.append(Action(index, doc, event, event["id"] if with_id else None))
        return actions


def index_name(kind: str, day: str) -> str:
    """``logs-{kind}-YYYY.MM.DD`` (UTC day of the event)."""
    return f"{f.INDEX_PREFIX}-{kind}-{day}"


def _header(index: str) -> bytes:
    header = _HEADERS.get(index)
    if header is None:
        header = _HEADERS[index] = orjson.dumps({"index": {"_index": index}}) + b"\n"
    return header


_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))
"""The ``.mmmZ`` ends of ``@timestamp``, precomputed."""
_MILLIS_JSON = tuple(f'{end}"'.encode() for end in _MILLIS)
"""The same, encoded, with the closing quote of the value."""


def document(
    event: LogEvent, common: dict[str, Any], function_name: str | None
) -> tuple[str, dict[str, Any]]:
    """One event's index and document, one at a time (``build_batch``'s loop does the same, inline)."""
    kind, doc, _emf = parse_fields(event["message"])
    millis = event["timestamp"]
    moment = time.gmtime(millis // 1000)
    doc[f.TIMESTAMP] = time.strftime("%Y-%m-%dT%H:%M:%S", moment) + _MILLIS[millis % 1000]
    doc.update(common)
    if function_name is not None and f.LAMBDA_FUNCTION_NAME not in doc:
        doc[f.LAMBDA_FUNCTION_NAME] = function_name
    doc[f.CW_EVENT_ID] = event["id"]
    doc[f.EVENT_KIND] = kind
    return index_name(kind, time.strftime("%Y.%m.%d", moment)), doc


def build_batch(
    payload: Payload,
    *,
    region: str | None = None,
    ship_emf: bool = False,
    use_document_id: bool = False,
    max_bytes: int = DEFAULT_BULK_MAX_BYTES,
    max_docs: int = DEFAULT_BULK_MAX_DOCS,
    keep_documents: bool = True,
    lazy: bool = False,
    buffer: BytesIO | None = None,
) -> Batch:
    """Parse every event of a DATA_MESSAGE payload into documents, encoded into bulk bodies.

    Bodies are split greedily: a document joins the current body while the body stays within
    ``max_bytes`` and ``max_docs`` (a lone document larger than ``max_bytes`` gets a body of its
    own, which delivery never sends: it is dead-lettered with its size and the limit).
    ``keep_documents=False`` (the shipper) drops each dict once encoded; ``True`` (the CLI,
    tests) keeps them for ``actions``. ``lazy=True`` (the shipper) builds each body only when
    ``Batch.bodies()`` reaches it. With ``buffer`` (lazy only; the shipper's own, reused for
    every body of every batch so its memory stays mapped), each body is a ``memoryview`` of that
    buffer, valid until the next body is asked for.
    """
    if buffer is not None and not lazy:
        raise ValueError("a reused buffer needs a lazy batch (each body is only valid until the next)")
    log_group = payload["logGroup"]
    common: dict[str, Any] = {
        f.CW_LOG_GROUP: log_group,
        f.CW_LOG_STREAM: payload["logStream"],
        f.CLOUD_ACCOUNT_ID: payload["owner"],
    }
    if region:
        common[f.CLOUD_REGION] = region
    function_name = (
        log_group[len(_LAMBDA_LOG_GROUP_PREFIX) :] if log_group.startswith(_LAMBDA_LOG_GROUP_PREFIX) else None
    )
    events = payload["logEvents"]
    docs: list[tuple[str, dict[str, Any]]] | None = [] if keep_documents else None
    batch = Batch(
        events, common=common, function_name=function_name, use_document_id=use_document_id, docs=docs
    )
    pending = _build(
        batch, events, common, function_name, ship_emf, use_document_id, max_bytes, max_docs, docs, buffer
    )
    if lazy:
        batch._pending = batch._builder = pending
    else:
        batch._built.extend(pending)
    return batch


def _build(
    batch: Batch,
    events: list[LogEvent],
    common: dict[str, Any],
    function_name: str | None,
    ship_emf: bool,
    use_document_id: bool,
    max_bytes: int,
    max_docs: int,
    docs: list[tuple[str, dict[str, Any]]] | None,
    buffer: BytesIO | None,
) -> Generator[tuple[bytes | memoryview, int], None, None]:
    """``build_batch``'s loop: yields each body (and its document count) when it is full."""
    # Each line is written into its body as soon as it is encoded and then freed: the next
    # document reuses that memory, still in cache (holding every line until a join measured
    # about a third slower).
    if buffer is not None:
        try:
            buffer.write(b"")  # a view of a body still held elsewhere would make writes fail
        except BufferError:
            buffer = None  # keep going with a buffer of our own
    body = BytesIO() if buffer is None else buffer
    body.seek(0)
    write, seek, tell = body.write, body.seek, body.tell
    in_body = 0
    body_bytes = 0
    kept: list[LogEvent] | None = None  # events that became documents; None while all did (no copy)
    emf_skipped = 0
    # Events of one batch share most seconds and days: format each once.
    current_second = -1
    second_text = ""
    index_of: dict[str, str] = {}
    header_of: dict[str, bytes] = {}
    millis_text = _MILLIS
    timestamp_key, event_id_key, kind_key, function_key = (
        f.TIMESTAMP,
        f.CW_EVENT_ID,
        f.EVENT_KIND,
        f.LAMBDA_FUNCTION_NAME,
    )
    encode = orjson.dumps
    # The encoded ends of every document, after its parsed fields: `,"@timestamp":"<second>`
    # (per second), `.mmmZ"` (per millisecond), the stream's fields and the function name
    # unless the line named one, `"aws.cloudwatch.event_id":<id>` and the kind.
    millis_bytes = _MILLIS_JSON
    timestamp_json = b"," + encode(timestamp_key) + b':"'
    second_json = b""
    stream_json = b"," + encode(common)[1:-1]
    event_id_json_key = b"," + encode(event_id_key) + b":"
    without_function = stream_json + event_id_json_key
    with_function = (
        stream_json + b"," + encode({function_key: function_name})[1:-1] + event_id_json_key
        if function_name is not None
        else without_function
    )
    end_of = {k: b"," + encode({kind_key: k})[1:] + b"\n" for k in f.EVENT_KINDS}
    lean = docs is None
    parse = parse_fields
    for position, event in enumerate(events):
        kind, doc, emf = parse(event["message"])
        if emf and not ship_emf:
            emf_skipped += 1
            batch.emf_skipped = emf_skipped
            if kept is None:
                kept = batch.events = events[:position]
            continue
        # The parsed fields, encoded (None: kept documents, or a value orjson refuses, such as an
        # integer beyond 64 bits, or any type orjson does not know (``default=str`` is left to
        # that path, which writes the same bytes); both take the whole-dict path below).
        fields: bytes | None
        if lean:
            try:
                fields = encode(doc)
            except TypeError:
                fields = None
        else:
            fields = None
        millis = event["timestamp"]
        second = millis // 1000
        if second != current_second:
            moment = time.gmtime(second)
            second_text = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
            second_json = timestamp_json + second_text.encode()
            if current_second < 0 or second // 86_400 != current_second // 86_400:
                day = time.strftime("%Y.%m.%d", moment)
                index_of = {k: index_name(k, day) for k in f.EVENT_KINDS}
                header_of = {k: _header(index) for k, index in index_of.items()}
            current_second = second
        event_id = event["id"]
        if use_document_id:
            header = orjson.dumps({"index": {"_index": index_of[kind], "_id": event_id}}) + b"\n"
        else:
            header = header_of[kind]
        if in_body >= max_docs:
            yield from _flush(body, body_bytes, in_body, buffer is not None)
            if buffer is None:
                body = BytesIO()
                write, seek, tell = body.write, body.seek, body.tell
            body.seek(0)
            in_body = body_bytes = 0
        if fields is not None:
            # The parsed fields, then the keys every document ends with, written as bytes
            # (``fields`` ends with "}", overwritten): what orjson would write for the whole dict.
            middle = without_function if function_key in doc else with_function
            write(header)
            write(fields)
            seek(-1, 1)  # over the closing brace
            write(second_json)
            write(millis_bytes[millis % 1000])
            write(middle)
            write(encode(event_id))
            write(end_of[kind])
            written = tell()
            if in_body and written > max_bytes:  # it goes in the next body
                yield from _flush(body, body_bytes, in_body, buffer is not None)
                if buffer is None:
                    body = BytesIO()
                    write, seek, tell = body.write, body.seek, body.tell
                body.seek(0)
                in_body = 0
                write(header)
                write(fields)
                seek(-1, 1)
                write(second_json)
                write(millis_bytes[millis % 1000])
                write(middle)
                write(encode(event_id))
                write(end_of[kind])
                written = tell()
            body_bytes = written
        else:
            # Kept documents (the CLI, tests) and lines the fast encoder refuses: the whole dict.
            doc[timestamp_key] = second_text + millis_text[millis % 1000]
            doc.update(common)
            if function_name is not None and function_key not in doc:
                doc[function_key] = function_name  # a name from the line itself wins
            doc[event_id_key] = event_id
            doc[kind_key] = kind
            line = dumps(doc, newline=True)
            if docs is not None:
                docs.append((index_of[kind], doc))
            length = len(header) + len(line)
            if in_body and body_bytes + length > max_bytes:
                yield from _flush(body, body_bytes, in_body, buffer is not None)
                if buffer is None:
                    body = BytesIO()
                    write, seek, tell = body.write, body.seek, body.tell
                body.seek(0)
                in_body = body_bytes = 0
            write(header)
            write(line)
            body_bytes += length
        in_body += 1
        if kept is not None:
            kept.append(event)
    if in_body:
        yield from _flush(body, body_bytes, in_body, buffer is not None)


def _flush(
    body: BytesIO, size: int, count: int, reused: bool
) -> Generator[tuple[bytes | memoryview, int], None, None]:
    """Yield the first ``size`` bytes of ``body``: a copy-free view of a reused buffer (released
    when the next body is asked for, so the buffer can be written again), or its bytes."""
    if not reused:
        body.truncate(size)
        yield body.getvalue(), count
        return
    whole = body.getbuffer()
    view = whole[:size]
    try:
        yield view, count
    finally:
        view.release()
        whole.release()
