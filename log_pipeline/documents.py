"""From a decoded subscription payload to the documents and bulk actions the shipper sends.

One log event becomes one document (EMF lines excepted when SHIP_EMF is off: they are counted,
not shipped). The schema is documented in SCHEMA.md and mapped by templates.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from log_pipeline.encoding import dumps
from log_pipeline.parsing import parse_fields
from log_pipeline.subscription import LogEvent, Payload
from signals import logs as f

_LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/"
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
    """The documents of one payload, encoded once, with the events they came from.

    Kept as parallel lists (index, document, event, encoded line) rather than one ``Action`` per
    document: delivery sends ``parts`` as they are and only builds ``Action`` objects for documents
    that need handling (a failed item, a retry, a 413 split), or when ``actions`` is read.
    """

    __slots__ = (
        "_actions",
        "docs",
        "emf_skipped",
        "events",
        "events_received",
        "indices",
        "parts",
        "use_document_id",
    )

    def __init__(
        self,
        indices: list[str],
        docs: list[dict[str, Any]],
        events: list[LogEvent],
        parts: list[bytes],
        *,
        use_document_id: bool,
        emf_skipped: int,
        events_received: int,
    ) -> None:
        self.indices = indices
        self.docs = docs
        self.events = events
        self.parts = parts
        """Action line and source line of each document, alternating (``2 * len(docs)`` items)."""
        self.use_document_id = use_document_id
        self.emf_skipped = emf_skipped
        self.events_received = events_received
        self._actions: list[Action] | None = None

    def __len__(self) -> int:
        return len(self.docs)

    @property
    def actions(self) -> list[Action]:
        """Every document as an ``Action`` (built on first use)."""
        if self._actions is None:
            self._actions = self.actions_between(0, len(self.docs))
        return self._actions

    def actions_between(self, start: int, stop: int) -> list[Action]:
        """``Action`` objects for documents ``start`` to ``stop`` (exclusive), with their encoding."""
        if self._actions is not None:
            return self._actions[start:stop]
        indices, docs, events, parts = self.indices, self.docs, self.events, self.parts
        with_id = self.use_document_id
        return [
            Action(
                indices[n],
                docs[n],
                events[n],
                events[n]["id"] if with_id else None,
                _line=parts[2 * n] + parts[2 * n + 1],
            )
            for n in range(start, stop)
        ]


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


def build_batch(
    payload: Payload,
    *,
    region: str | None = None,
    ship_emf: bool = False,
    use_document_id: bool = False,
) -> Batch:
    """Parse every event of a DATA_MESSAGE payload into documents, and encode each one once.

    One loop, no per-event objects beyond the document and its encoded line: this is the
    shipper's hot path (see README, "Speed and memory").
    """
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
    indices: list[str] = []
    docs: list[dict[str, Any]] = []
    parts: list[bytes] = []
    kept: list[LogEvent] | None = None  # events that became documents; None while all did (no copy)
    add_index, add_doc, add_part = indices.append, docs.append, parts.append
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
    encode, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for position, event in enumerate(events):
        kind, doc, emf = parse_fields(event["message"])
        if emf and not ship_emf:
            emf_skipped += 1
            if kept is None:
                kept = events[:position]
            continue
        millis = event["timestamp"]
        second = millis // 1000
        if second != current_second:
            moment = time.gmtime(second)
            second_text = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
            if current_second < 0 or second // 86_400 != current_second // 86_400:
                day = time.strftime("%Y.%m.%d", moment)
                index_of = {k: index_name(k, day) for k in f.EVENT_KINDS}
                header_of = {k: _header(index) for k, index in index_of.items()}
            current_second = second
        event_id = event["id"]
        doc[timestamp_key] = second_text + millis_text[millis % 1000]
        doc.update(common)
        if function_name is not None and function_key not in doc:
            doc[function_key] = function_name  # a name from the line itself wins
        doc[event_id_key] = event_id
        doc[kind_key] = kind
        add_index(index_of[kind])
        add_doc(doc)
        if use_document_id:
            add_part(orjson.dumps({"index": {"_index": index_of[kind], "_id": event_id}}) + b"\n")
        else:
            add_part(header_of[kind])
        try:
            add_part(encode(doc, default=str, option=option))
        except TypeError:  # an integer beyond 64 bits: the slow, safe encoder
            add_part(dumps(doc, newline=True))
        if kept is not None:
            kept.append(event)
    return Batch(
        indices,
        docs,
        events if kept is None else kept,
        parts,
        use_document_id=use_document_id,
        emf_skipped=emf_skipped,
        events_received=len(events),
    )
