"""From a decoded subscription payload to the documents and bulk actions the shipper sends.

One log event becomes one document (EMF lines excepted when SHIP_EMF is off: they are counted,
not shipped). The schema is documented in SCHEMA.md and mapped by templates.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from log_pipeline.parsing import parse_message
from log_pipeline.subscription import LogEvent, Payload
from signals import logs as f

_LAMBDA_LOG_GROUP_PREFIX = "/aws/lambda/"


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
            header: dict[str, Any] = {"_index": self.index}
            if self.doc_id is not None:
                header["_id"] = self.doc_id
            self._line = b"".join(
                (orjson.dumps({"index": header}), b"\n", orjson.dumps(self.doc, default=str), b"\n")
            )
        return self._line

    def invalidate(self) -> None:
        self._line = None


@dataclass(slots=True)
class Batch:
    actions: list[Action]
    emf_skipped: int
    events_received: int


class _Clock:
    """Caches the formatted second and day: events of one batch share most of them."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._second_text = ""
        self._day: int | None = None
        self._day_text = ""

    def timestamp(self, millis: int) -> str:
        second, ms = divmod(millis, 1000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{ms:03d}Z"

    def day(self, millis: int) -> str:
        day = millis // 86_400_000
        if day != self._day:
            self._day = day
            self._day_text = time.strftime("%Y.%m.%d", time.gmtime(day * 86_400))
        return self._day_text


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
    clock = _Clock()
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
    emf_skipped = 0
    events = payload["logEvents"]
    for event in events:
        parsed = parse_message(event["message"])
        if parsed.emf and not ship_emf:
            emf_skipped += 1
            continue
        millis = event["timestamp"]
        doc: dict[str, Any] = {f.TIMESTAMP: clock.timestamp(millis), **common, **parsed.fields}
        doc[f.CW_EVENT_ID] = event["id"]
        doc[f.EVENT_KIND] = parsed.kind
        if function_name is not None and f.LAMBDA_FUNCTION_NAME not in doc:
            doc[f.LAMBDA_FUNCTION_NAME] = function_name
        actions.append(
            Action(
                index=index_name(parsed.kind, clock.day(millis)),
                doc=doc,
                event=event,
                doc_id=event["id"] if use_document_id else None,
            )
        )
    return Batch(actions=actions, emf_skipped=emf_skipped, events_received=len(events))
