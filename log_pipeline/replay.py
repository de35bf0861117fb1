"""Send dead-letter records again (``obsctl ship replay``), never sending an indexed event twice.

Readable records: the shipper's batch records (the original events, each with its reason), its
malformed records (a whole Lambda event) and Lambda's on-failure destination records (the original
Lambda event in ``requestPayload``). Each becomes a DATA_MESSAGE payload and goes through the same
parse and delivery as live traffic.

Idempotent by default, two ways:
- with ``requeue`` (a store's ``replace``), every replayed record is rewritten in place with only
  the events that are still not indexed, each with its new reason (none left: an empty record,
  which later replays skip and ``--delete`` removes). An event indexed once is never sent again.
- document ids: a record written by a shipper that sent ``_id`` (``document_ids``) is replayed with
  the same ids, so a repeat overwrites instead of duplicating (a target that accepts ``_id`` only:
  not an OpenSearch Serverless time-series collection).
One case stays at-least-once without ids: a request that timed out after the node indexed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from log_pipeline.dead_letters import KIND_BATCH, batch_record, is_on_failure_record
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import DATA_MESSAGE, MalformedEvent, Payload, decode_event, validate_payload


@dataclass
class ReplayReport:
    records: int = 0
    events: int = 0
    indexed: int = 0
    failed: int = 0
    replayed: list[str] = field(default_factory=list)
    """Locations of records whose every event is now indexed."""
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Objects that could not be read as records (passed over, left as they are)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "events": self.events,
            "indexed": self.indexed,
            "failed": self.failed,
            "replayed": self.replayed,
            "errors": self.errors,
            "skipped": self.skipped,
        }


def _replayable(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("message"), str)
        and entry.get("timestamp").__class__ is int
    )


def record_payload(record: dict[str, Any]) -> Payload:
    """The subscription payload a record stands for (its events not yet indexed)."""
    if record.get("kind") == KIND_BATCH:
        events = [
            {"id": entry["id"], "timestamp": entry["timestamp"], "message": entry["message"]}
            for entry in record.get("events", [])
            if _replayable(entry)
        ]
        return validate_payload(
            {**record.get("source", {}), "messageType": DATA_MESSAGE, "logEvents": events}
        )
    if is_on_failure_record(record):
        return decode_event(record["requestPayload"])
    return decode_event(record.get("event"))


class _Collect:
    """A dead-letter store that keeps records in memory, to see exactly what failed again."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any], timeout_s: float | None = None) -> str:
        self.records.append(record)
        return f"memory:{len(self.records)}"


def replay(
    records: Iterable[tuple[str, dict[str, Any]]],
    shipper: Shipper,
    requeue: Callable[[str, dict[str, Any]], str] | None = None,
    budget_s: float = 60.0,
    *,
    use_document_id: bool | None = None,
) -> ReplayReport:
    """Ship every record again. Events that fail again are reported; with ``requeue`` (location,
    record -> location) each record is rewritten with only its events still not indexed.
    ``use_document_id``: None follows each record (``document_ids``), else forces ids on or off."""
    report = ReplayReport()
    original_store = shipper.dead_letters
    try:
        for location, record in records:
            report.records += 1
            try:
                payload = record_payload(record)
            except MalformedEvent as exc:
                report.errors.append(f"{location}: still malformed: {exc}")
                continue
            if payload["messageType"] != DATA_MESSAGE:
                report.replayed.append(location)
                continue
            kept = [
                (entry, str(entry.get("reason", "")) if isinstance(entry, dict) else "")
                for entry in (record.get("events", []) if record.get("kind") == KIND_BATCH else [])
                if not _replayable(entry)
            ]
            if kept:
                report.errors.append(
                    f"{location}: {len(kept)} event(s) without id, timestamp or message kept"
                )
            source = {key: value for key, value in payload.items() if key != "logEvents"}
            with_ids = record.get("document_ids") is True if use_document_id is None else use_document_id
            collected = _Collect()
            shipper.dead_letters = collected
            if payload["logEvents"]:
                stats = shipper.ship_payload(
                    payload, time.monotonic() + budget_s, "replay", use_document_id=with_ids
                )
                report.events += stats.events_received
                report.indexed += stats.docs_indexed
            again = [(entry, entry.pop("reason", "")) for r in collected.records for entry in r["events"]]
            report.failed += len(again)
            if again:
                first = again[0][1]
                report.errors.append(f"{location}: {len(again)} event(s) failed again: {first}")
            left = again + kept
            if not left:
                report.replayed.append(location)
            if requeue is not None and (payload["logEvents"] or record.get("kind") != KIND_BATCH):
                # In place: what is left of the record (an empty record once all is indexed).
                rewritten = batch_record(source, left, "replay", document_ids=with_ids)
                where = requeue(location, rewritten)
                if again:
                    report.errors.append(f"{location}: failed events kept in {where} (replaced)")
    finally:
        shipper.dead_letters = original_store
    return report
