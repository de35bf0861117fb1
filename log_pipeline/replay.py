"""Send dead-letter records again (``obsctl ship replay``).

A batch record becomes a DATA_MESSAGE payload with the same stream and the original events, and
goes through the same parse and delivery as live traffic; a malformed record is decoded again
(it fails again unless the decoder changed). What still fails is reported, not hidden, and with
``requeue`` it replaces the original record (same location), so after a replay every event that
failed again is in exactly one dead-letter record: replaying again never multiplies them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from log_pipeline.dead_letters import KIND_BATCH
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "events": self.events,
            "indexed": self.indexed,
            "failed": self.failed,
            "replayed": self.replayed,
            "errors": self.errors,
        }


def record_payload(record: dict[str, Any]) -> Payload:
    """The subscription payload a dead-letter record stands for."""
    if record.get("kind") == KIND_BATCH:
        events = [
            {"id": event["id"], "timestamp": event["timestamp"], "message": event["message"]}
            for event in record.get("events", [])
        ]
        return validate_payload(
            {**record.get("source", {}), "messageType": DATA_MESSAGE, "logEvents": events}
        )
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
) -> ReplayReport:
    """Ship every record again. Events that fail again are reported; with ``requeue`` (a store's
    ``replace``: location, record -> location) they replace the record they came from."""
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
            collected = _Collect()
            shipper.dead_letters = collected
            stats = shipper.ship_payload(payload, time.monotonic() + budget_s, "replay")
            report.events += stats.events_received
            report.indexed += stats.docs_indexed
            if not collected.records:
                report.replayed.append(location)
                continue
            for failed in collected.records:
                report.failed += len(failed["events"])
                first = failed["events"][0]["reason"] if failed["events"] else ""
                report.errors.append(f"{location}: {len(failed['events'])} event(s) failed again: {first}")
            if requeue is not None:  # one record (ship_payload writes one per payload) replaces it
                kept = {**collected.records[0], "events": [e for r in collected.records for e in r["events"]]}
                report.errors.append(
                    f"{location}: failed events kept in {requeue(location, kept)} (replaced)"
                )
    finally:
        shipper.dead_letters = original_store
    return report
