"""One invocation of the shipper, with its collaborators passed in (the handler builds them from env).

decode -> parse into documents -> deliver -> dead-letter what is left -> report. A malformed event
is dead-lettered whole; a CONTROL_MESSAGE is a no-op. When something could not be indexed and no
dead-letter store is configured (or the write fails), the invocation raises: Lambda's retries and
on-failure destination keep the batch, nothing is acknowledged that was lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from io import BytesIO
from operator import itemgetter
from typing import Any

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import DeadLetterStore, S3DeadLetters, batch_record, malformed_record
from log_pipeline.delivery import Deliverer, DeliveryLimits
from log_pipeline.documents import Batch
from log_pipeline.observability import InvocationStats, emit
from log_pipeline.subscription import CONTROL_MESSAGE, MalformedEvent, Payload, accept_events, decode_event
from log_pipeline.transport import Transport
from signals.lambda_env import gc_paused

DEFAULT_BUDGET_S = 60.0
"""Time budget when there is no Lambda context (CLI, replay)."""
REPORT_MARGIN_S = 0.25
"""Time kept after the dead-letter write for the summary and EMF lines."""


class DeliveryIncomplete(RuntimeError):
    """Documents were not indexed and there is no dead-letter store to keep them."""


def deadline_reserve(remaining_s: float) -> float:
    """Time kept back from delivery for the dead-letter write and the report."""
    return min(5.0, max(0.2, remaining_s * 0.1))


class Shipper:
    def __init__(
        self,
        config: ShipperConfig,
        *,
        transport: Transport | None = None,
        dead_letters: DeadLetterStore | None = None,
        write: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.transport = transport or Transport(config.endpoint, config.auth, config.region)
        if dead_letters is None and config.dead_letter_bucket:
            dead_letters = S3DeadLetters(
                None, config.dead_letter_bucket, config.dead_letter_kms_key, config.dead_letter_prefix
            )
        self.dead_letters = dead_letters
        self._write = write
        self._clock = clock
        self._buffer = BytesIO()
        """Every bulk body is built in this one buffer (its memory stays mapped from one batch to
        the next): a Shipper handles one batch at a time."""
        self._deliverer = Deliverer(
            self.transport,
            DeliveryLimits(
                max_bytes=config.bulk_max_bytes,
                max_docs=config.bulk_max_docs,
                max_request_timeout_s=config.max_request_timeout_s,
                backoff_base_s=config.backoff_base_s,
                backoff_cap_s=config.backoff_cap_s,
            ),
            clock=clock,
            sleep=sleep,
        )

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        """The Lambda entry point's body: returns the invocation summary."""
        request_id = str(getattr(context, "aws_request_id", "") or "")
        remaining_s = (
            context.get_remaining_time_in_millis() / 1000.0
            if context is not None and hasattr(context, "get_remaining_time_in_millis")
            else DEFAULT_BUDGET_S
        )
        ends_at = self._clock() + remaining_s
        deadline = ends_at - deadline_reserve(remaining_s)
        stats = InvocationStats()
        # A batch allocates tens of thousands of short-lived dicts without reference cycles (reference
        # counting frees them); the cyclic collector would walk them again and again (measured as
        # roughly half the batch time), so it is paused for the batch (signals/lambda_env.py).
        with gc_paused():
            try:
                payload = decode_event(event)
            except MalformedEvent as exc:
                stats.malformed = True
                record = malformed_record(event, str(exc), request_id)
                stats.dead_letter = self._dead_letter(record, str(exc), ends_at)
                emit(stats, request_id, self._write)
                return stats.as_dict()
            if payload["messageType"] == CONTROL_MESSAGE:
                return stats.as_dict()
            self.ship_payload(payload, deadline, request_id, stats, ends_at=ends_at)
            del payload
        emit(stats, request_id, self._write)
        return stats.as_dict()

    def ship_payload(
        self,
        payload: Payload,
        deadline: float,
        request_id: str,
        stats: InvocationStats | None = None,
        *,
        ends_at: float | None = None,
        use_document_id: bool | None = None,
    ) -> InvocationStats:
        """Index one decoded DATA_MESSAGE payload; dead-letter what cannot be indexed by ``deadline``
        (the dead-letter write must be done by ``ends_at``; default: the reserve after ``deadline``)."""
        stats = stats or InvocationStats()
        stats.log_group = payload["logGroup"]
        rejected = accept_events(payload)  # malformed events, or beyond CloudWatch's limits
        with_ids = self.config.use_document_id if use_document_id is None else use_document_id
        batch = Batch(
            payload,
            region=self.config.region,
            ship_emf=self.config.ship_emf,
            use_document_id=with_ids,
            max_bytes=self.config.bulk_max_bytes,
            max_docs=self.config.bulk_max_docs,
            buffer=self._buffer,
        )
        result = self._deliverer.deliver(batch, deadline)
        stats.events_received += batch.events_received + len(rejected)
        stats.emf_skipped += batch.emf_skipped  # final: delivery reads every event
        stats.docs_indexed += result.indexed
        stats.docs_retried += result.retried
        stats.bulk_requests += result.bulk_requests
        stats.bulk_bytes += result.bulk_bytes
        stats.max_request_bytes = max(stats.max_request_bytes, result.max_request_bytes)
        if payload["logEvents"]:
            oldest = min(map(itemgetter("timestamp"), payload["logEvents"]))
            stats.max_ingest_lag_ms = max(stats.max_ingest_lag_ms, int(time.time() * 1000) - oldest)
        failures = [*rejected, *batch.unencodable]
        failures += [(dict(failure.action.event), failure.reason) for failure in result.failed]
        if failures:
            source = {key: value for key, value in payload.items() if key != "logEvents"}
            stats.docs_dead_lettered += len(failures)
            if ends_at is None:
                ends_at = deadline + deadline_reserve(deadline - self._clock())
            stats.dead_letter = self._dead_letter(
                batch_record(source, failures, request_id, document_ids=with_ids),
                f"{len(failures)} document(s) not indexed",
                ends_at,
            )
        return stats

    def _dead_letter(self, record: dict[str, Any], why: str, ends_at: float) -> str:
        if self.dead_letters is None:
            raise DeliveryIncomplete(
                f"{why} and no dead-letter store is configured: {record.get('reason', '')}"
            )
        # What is left of the invocation, less a moment for the report line.
        return self.dead_letters.write(record, max(0.1, ends_at - self._clock() - REPORT_MARGIN_S))
