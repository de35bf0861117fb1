"""From a decoded subscription payload to the documents and bulk bodies the shipper sends.

One log event becomes one document (EMF lines excepted when SHIP_EMF is off: they are counted,
not shipped). The schema is documented in SCHEMA.md and mapped by templates.py. No event can fail
a batch: a line whose document cannot be encoded (an object nested deeper than JSON encoders go)
is kept as text, and an event that cannot be written at all is set aside with its reason for the
dead-letter store.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import orjson

from log_pipeline.config import DEFAULT_BULK_MAX_BYTES, DEFAULT_BULK_MAX_DOCS
from log_pipeline.encoding import EncodeError, dumps
from log_pipeline.parsing import parse_fields
from log_pipeline.subscription import LogEvent, Payload
from signals import logs as fields

_LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/"
SHIPPER_ERROR_LABEL = "shipper_error"
"""``labels.shipper_error``: why a line is kept as text instead of its parsed fields."""
LABEL_TERM_MAX_CHARS = 8_000
"""Longest ``labels`` path plus value (a ``flat_object`` indexes each leaf's value and its
``path=value`` as keyword terms, at most 32,766 UTF-8 bytes: 4 bytes a character at worst). Longer
values are cut there (keys too long are dropped) and the whole labels kept in ``unmapped`` (text)."""
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))


class Unencodable(ValueError):
    """Not even the event's text can be written as JSON; the message is the dead-letter reason."""


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
    bad_responses: int = 0
    """Responses that did not account for this document (no item for it): resent a few times only."""
    last_error: str = ""
    """Why the last send of this document did not index it (the dead-letter reason)."""
    line: bytes | None = None
    """The action line and the source line, newline-terminated (None: encode again)."""

    def encoded(self) -> bytes:
        if self.line is None:
            self.line = action_line(self.index, self.doc_id) + dumps(self.doc, newline=True)
        return self.line

    def invalidate(self) -> None:
        self.line = None


def index_name(kind: str, day: str) -> str:
    """``logs-{kind}-YYYY.MM.DD`` (UTC day of the event)."""
    return f"{fields.INDEX_PREFIX}-{kind}-{day}"


def action_line(index: str, doc_id: str | None) -> bytes:
    action: dict[str, Any] = {"_index": index} if doc_id is None else {"_index": index, "_id": doc_id}
    return orjson.dumps({"index": action}, option=orjson.OPT_APPEND_NEWLINE)


class Documents:
    """Makes the documents of one payload's events (its stream fields are shared by all of them)."""

    def __init__(self, payload: Payload, *, region: str | None, use_document_id: bool) -> None:
        log_group = payload["logGroup"]
        self.common: dict[str, Any] = {
            fields.CW_LOG_GROUP: log_group,
            fields.CW_LOG_STREAM: payload["logStream"],
            fields.CLOUD_ACCOUNT_ID: payload["owner"],
        }
        if region:
            self.common[fields.CLOUD_REGION] = region
        lambda_group = log_group.startswith(_LAMBDA_LOG_GROUP_PREFIX)
        self.function_name = log_group[len(_LAMBDA_LOG_GROUP_PREFIX) :] if lambda_group else None
        self.use_document_id = use_document_id
        self._second = -1  # events of a batch share most seconds: format each once
        self._second_text = ""
        self._day = ""
        self._indices: dict[str, str] = {}
        self._headers: dict[str, bytes] = {}

    def make(self, event: LogEvent) -> Action:
        """The event's document as an ``Action`` (the same bytes ``line`` writes into a body)."""
        made = self.line(event, ship_emf=True)
        assert made is not None
        index, doc, line = made
        return Action(index, doc, event, event["id"] if self.use_document_id else None, line=line)

    def line(self, event: LogEvent, ship_emf: bool) -> tuple[str, dict[str, Any], bytes] | None:
        """The event's index, document and bulk lines (action and source); None for an EMF line
        that is not shipped. Raises ``Unencodable`` only when not even the event's text can be
        written."""
        message = event["message"]
        try:
            kind, doc, emf = parse_fields(message)
        except Exception as exc:  # parsing promises never to raise; one line must not fail a batch
            doc = _as_text(message, f"parsing failed: {type(exc).__name__}")
            kind, emf = fields.KIND_APPLICATION, False
        if emf and not ship_emf:
            return None
        index = self._stamp(event, kind, doc)
        try:
            source = dumps(doc, newline=True)
        except EncodeError as exc:
            doc = _as_text(message, f"document could not be encoded: {exc}")
            kind = fields.KIND_APPLICATION
            index = self._stamp(event, kind, doc)
            try:
                source = dumps(doc, newline=True)
            except EncodeError as again:
                raise Unencodable(f"event could not be encoded as JSON: {again}") from None
        if len(source) > LABEL_TERM_MAX_CHARS and _cap_labels(doc):
            source = dumps(doc, newline=True)
        if self.use_document_id:
            return index, doc, action_line(index, event["id"]) + source
        header = self._headers.get(index)
        if header is None:
            header = self._headers[index] = action_line(index, None)
        return index, doc, header + source

    def _stamp(self, event: LogEvent, kind: str, doc: dict[str, Any]) -> str:
        """Add the keys every document ends with; return its index name."""
        millis = event["timestamp"]
        second = millis // 1000
        if second != self._second:
            moment = time.gmtime(second)
            self._second, self._second_text = second, time.strftime("%Y-%m-%dT%H:%M:%S", moment)
            day = time.strftime("%Y.%m.%d", moment)
            if day != self._day:
                self._day, self._indices = day, {kind: index_name(kind, day) for kind in fields.EVENT_KINDS}
        doc[fields.TIMESTAMP] = self._second_text + _MILLIS[millis % 1000]
        doc.update(self.common)
        if self.function_name is not None and fields.LAMBDA_FUNCTION_NAME not in doc:
            doc[fields.LAMBDA_FUNCTION_NAME] = self.function_name  # a name from the line itself wins
        doc[fields.CW_EVENT_ID] = event["id"]
        doc[fields.EVENT_KIND] = kind
        return self._indices[kind]


def _as_text(message: str, reason: str) -> dict[str, Any]:
    """The document of a line kept as plain text (its fields could not be made or written)."""
    return {fields.MESSAGE: message, fields.EXTRA: {SHIPPER_ERROR_LABEL: reason}}


def _cap_labels(doc: dict[str, Any]) -> bool:
    """Cut ``labels`` to what OpenSearch can index as terms; keep the whole labels in ``unmapped``
    (text). Returns whether anything was cut."""
    labels = doc.get(fields.EXTRA)
    if not isinstance(labels, dict):
        return False
    capped, cut = _capped(labels, 0)
    if not cut:
        return False
    doc[fields.EXTRA] = capped
    kept: dict[str, Any] = {fields.EXTRA: labels}
    if isinstance(doc.get(fields.UNMAPPED), str):  # what parsing kept there (never from log text alone)
        kept = {**orjson.loads(doc[fields.UNMAPPED]), **kept}
    doc[fields.UNMAPPED] = dumps(kept, sort_keys=True).decode()
    return True


def _capped(value: Any, path_chars: int) -> tuple[Any, bool]:
    """``value`` with every path-plus-value within ``LABEL_TERM_MAX_CHARS``; whether it was cut."""
    if isinstance(value, str):
        room = max(0, LABEL_TERM_MAX_CHARS - path_chars)
        return (value[:room], True) if len(value) > room else (value, False)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        cut = False
        for key, item in value.items():
            if path_chars + len(key) + 1 >= LABEL_TERM_MAX_CHARS:
                cut = True  # the path alone is too long to be a term: the key is dropped
                continue
            out[key], item_cut = _capped(item, path_chars + len(key) + 1)
            cut = cut or item_cut
        return out, cut
    if isinstance(value, list):
        items = [_capped(item, path_chars) for item in value]
        return [item for item, _cut in items], any(cut for _item, cut in items)
    return value, False


class BodyWriter:
    """Bulk bodies written one after the other into one reused buffer, split by bytes and count.

    The buffer's memory stays mapped from one body (and batch) to the next: a fresh 4 MB buffer
    per body measured about 2,000 page faults (5 ms) per 10,000 events. Each body is handed out as
    a view of the buffer, valid until the writer starts the next one.
    """

    def __init__(self, buffer: BytesIO, max_bytes: int, max_docs: int) -> None:
        self._buffer = buffer
        self.max_bytes = max_bytes
        self.max_docs = max_docs
        self.count = 0
        self.size = 0

    def restart(self) -> None:
        try:
            self._buffer.write(b"")  # a view still held elsewhere makes writes fail
        except BufferError:
            self._buffer = BytesIO()
        self._buffer.seek(0)
        self.count = self.size = 0

    def has_room(self, length: int) -> bool:
        """Whether a line of ``length`` bytes joins this body (a body always takes its first line)."""
        return not self.count or (self.count < self.max_docs and self.size + length <= self.max_bytes)

    def add(self, line: bytes) -> None:
        self._buffer.write(line)
        self.size += len(line)
        self.count += 1

    @contextmanager
    def body(self) -> Iterator[memoryview]:
        whole = self._buffer.getbuffer()
        view = whole[: self.size]
        try:
            yield view
        finally:
            view.release()
            whole.release()


class Batch:
    """The documents of one payload as bulk bodies, built one body at a time as delivery asks.

    No per-document object outlives its loop step: each document is encoded and written into its
    body at once. ``Action`` objects are made again (by the same code, so they are what was sent)
    only for the documents of a body that was not wholly indexed, or when ``actions`` is read.
    """

    def __init__(
        self,
        payload: Payload,
        *,
        region: str | None = None,
        ship_emf: bool = False,
        use_document_id: bool = False,
        max_bytes: int = DEFAULT_BULK_MAX_BYTES,
        max_docs: int = DEFAULT_BULK_MAX_DOCS,
        buffer: BytesIO | None = None,
    ) -> None:
        self._documents = Documents(payload, region=region, use_document_id=use_document_id)
        self._incoming = payload["logEvents"]
        self._ship_emf = ship_emf
        self._writer = BodyWriter(buffer if buffer is not None else BytesIO(), max_bytes, max_docs)
        self.events_received = len(self._incoming)
        self.events: list[LogEvent] = []
        """The event of each document, in body order (final once every body is built)."""
        self.emf_skipped = 0
        self.unencodable: list[tuple[LogEvent, str]] = []
        """Events set aside (no document could be written), with the reason: for the dead letters."""
        self._started = False
        self._complete = False

    def bodies(self) -> Generator[tuple[memoryview, int, int], None, None]:
        """Each bulk body with the range of documents in it, ``(body, start, stop)``, built as it is
        asked for (iterate once; a body is valid until the next is asked for)."""
        if self._started:
            raise RuntimeError("a batch's bodies are built once")
        self._started = True
        writer, events, documents, ship_emf = self._writer, self.events, self._documents, self._ship_emf
        writer.restart()
        start = 0
        for event in self._incoming:
            try:
                made = documents.line(event, ship_emf)
            except Unencodable as exc:
                self.unencodable.append((event, str(exc)))
                continue
            if made is None:
                self.emf_skipped += 1
                continue
            line = made[2]
            if not writer.has_room(len(line)):
                with writer.body() as body:
                    yield body, start, start + writer.count
                start += writer.count
                writer.restart()
            writer.add(line)
            events.append(event)
        if writer.count:
            with writer.body() as body:
                yield body, start, start + writer.count
        self._complete = True

    def actions_between(self, start: int, stop: int) -> list[Action]:
        """``Action`` objects for documents ``start`` to ``stop`` (exclusive) of the bodies built."""
        return [self._documents.make(event) for event in self.events[start:stop]]

    @property
    def complete(self) -> bool:
        """Every event was read (the counts and ``unencodable`` are final)."""
        return self._complete

    @property
    def actions(self) -> list[Action]:
        """Every document as an ``Action`` (the CLI's ``transform``, tests): builds every body."""
        if not self._started:
            for _body in self.bodies():
                pass
        return self.actions_between(0, len(self.events))


def build_batch(payload: Payload, **options: Any) -> Batch:
    """``Batch(payload, **options)``: the documents of a DATA_MESSAGE payload, as bulk bodies."""
    return Batch(payload, **options)
