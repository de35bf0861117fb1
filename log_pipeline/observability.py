"""The shipper's own health: one EMF record and one structured summary line per invocation.

Written by hand with orjson rather than through Powertools Metrics/Logger to keep the cold start
cheap; the shapes are the ones Powertools writes (EMF spec, Powertools' JSON log keys).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from signals import logs as fields
from signals import metrics as M
from signals.services import SHIPPER_SERVICE


@dataclass(slots=True)
class InvocationStats:
    events_received: int = 0
    docs_indexed: int = 0
    docs_retried: int = 0
    docs_dead_lettered: int = 0
    emf_skipped: int = 0
    bulk_requests: int = 0
    bulk_bytes: int = 0
    max_request_bytes: int = 0
    max_ingest_lag_ms: int = 0
    log_group: str = ""
    malformed: bool = False
    dead_letter: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_METRICS: tuple[tuple[str, str, str], ...] = (
    (M.SHIPPER_EVENTS_RECEIVED, "events_received", "Count"),
    (M.SHIPPER_DOCS_INDEXED, "docs_indexed", "Count"),
    (M.SHIPPER_DOCS_RETRIED, "docs_retried", "Count"),
    (M.SHIPPER_DOCS_DEAD_LETTERED, "docs_dead_lettered", "Count"),
    (M.SHIPPER_EMF_SKIPPED, "emf_skipped", "Count"),
    (M.SHIPPER_BULK_REQUESTS, "bulk_requests", "Count"),
    (M.SHIPPER_BULK_BYTES, "bulk_bytes", "Bytes"),
    (M.SHIPPER_INGEST_LAG, "max_ingest_lag_ms", "Milliseconds"),
)


def emf_record(stats: InvocationStats, now_ms: int | None = None) -> dict[str, Any]:
    """One EMF record with every SHIPPER_* metric, dimension ``service``."""
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": M.NAMESPACE,
                    "Dimensions": [[M.DIM_SERVICE]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, _attr, unit in _METRICS],
                }
            ],
        },
        M.DIM_SERVICE: SHIPPER_SERVICE,
    }
    for name, attr, _unit in _METRICS:
        record[name] = getattr(stats, attr)
    return record


def summary_record(stats: InvocationStats, request_id: str) -> dict[str, Any]:
    """The one structured log line per invocation, with Powertools' keys.

    When anything was dead-lettered the line is an ERROR with the message alerts/ counts
    (``signals.logs.SHIPPER_DEAD_LETTER_MESSAGE``) through a log metric filter.
    """
    dead = bool(stats.docs_dead_lettered or stats.malformed)
    return {
        fields.PT_LEVEL: "ERROR" if dead else "INFO",
        fields.PT_LOCATION: "log_pipeline.pipeline:handle",
        fields.PT_MESSAGE: fields.SHIPPER_DEAD_LETTER_MESSAGE if dead else "batch shipped",
        fields.PT_TIMESTAMP: time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        fields.PT_SERVICE: SHIPPER_SERVICE,
        fields.PT_REQUEST_ID: request_id,
        **stats.as_dict(),
    }


def emit(stats: InvocationStats, request_id: str, write: Callable[[str], None]) -> None:
    write(orjson.dumps(emf_record(stats)).decode())
    write(orjson.dumps(summary_record(stats, request_id), default=str).decode())
