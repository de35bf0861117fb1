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
from log_pipeline.parsing import parse_message
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
                header = _HEADERS.get(self.index)
                if header is None:
                    header = _HEADERS[self.index] = orjson.dumps({"index": {"_index": self.index}}) + b"\n"
            else:
                header = orjson.dumps({"index": {"_index": self.index, "_id": self.doc_id}}) + b"\n"
            self._line = header + dumps(self.doc, newline=True)
        return self._line

    def invalidate(self) -> None:
        self._line = None


@dataclass(slots=True)
class Batch:
    actions: list[Action]
    emf_skipped: int
    events_received: int


def index_name(kind: str, day: str) -> str:
    """``logs-{kind}-YYYY.MM.DD`` (UTC day of the event)."""
    return f"{f.INDEX_PREFIX}-{kind}-{day}"


def build_batch(
    payload: Payload,
    *,
    region: str | None = None,
    ship_emf: bool = False,
    use_document_id: bool = False,
) -> Batch:
    """Parse every event of a DATA_MESSAGE payload into bulk actions."""
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
    actions: list[Action] = []
    append = actions.append
    emf_skipped = 0
    events = payload["logEvents"]
    # Events of one batch share most seconds and days: format each once.
    current_second = -1
    second_text = ""
    indices: dict[str, str] = {}
    timestamp_key, event_id_key, kind_key, function_key = (
        f.TIMESTAMP,
        f.CW_EVENT_ID,
        f.EVENT_KIND,
        f.LAMBDA_FUNCTION_NAME,
    )
    for event in events:
        kind, doc, emf = parse_message(event["message"])
        if emf and not ship_emf:
            emf_skipped += 1
            continue
        millis = event["timestamp"]
        second = millis // 1000
        if second != current_second:
            moment = time.gmtime(second)
            second_text = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
            day = time.strftime("%Y.%m.%d", moment)
            if current_second < 0 or second // 86_400 != current_second // 86_400:
                indices = {k: index_name(k, day) for k in f.EVENT_KINDS}
            current_second = second
        event_id = event["id"]
        doc[timestamp_key] = f"{second_text}.{millis % 1000:03d}Z"
        doc.update(common)
        if function_name is not None and function_key not in doc:
            doc[function_key] = function_name  # a name from the line itself wins
        doc[event_id_key] = event_id
        doc[kind_key] = kind
        append(Action(indices[kind], doc, event, event_id if use_document_id else None))
    return Batch(actions=actions, emf_skipped=emf_skipped, events_received=len(events))
