"""Fault injection against a scripted _bulk endpoint: every event ends indexed or dead-lettered.

Given a scripted endpoint that misbehaves (429 storms, 5xx with HTML bodies, connection resets,
slow answers near the deadline, 413, mixed item failures), when the shipper handles a batch, then
every input event is either indexed or in the dead-letter store with its reason, and only failed
items were sent again.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import DeadLetterWriteError, S3DeadLetters
from log_pipeline.pipeline import DeliveryIncomplete, Shipper
from log_pipeline.subscription import Payload, encode_payload
from signals.logs import SHIPPER_DEAD_LETTER_MESSAGE
from tests.unit.log_pipeline.bulk_sink import Reply
from tests.unit.log_pipeline.helpers import FakeContext, FakeTime, dead_letter_records, make_payload

RETRYABLE_ITEM = {
    "type": "es_rejected_execution_exception",
    "reason": "rejected execution of coordinating operation",
}


def make_shipper(
    url: str, dlq: Any | None, fake: FakeTime | None = None, **overrides: Any
) -> tuple[Shipper, list[str]]:
    lines: list[str] = []
    config = ShipperConfig(endpoint=url, auth="none", region="eu-west-1", **overrides)
    store = None
    if dlq is not None:
        s3, bucket, key_id = dlq
        store = S3DeadLetters(s3, bucket, key_id, "dead-letters/")
    kwargs: dict[str, Any] = {}
    if fake is not None:
        kwargs = {"clock": fake.clock, "sleep": fake.sleep}
    return Shipper(config, dead_letters=store, write=lines.append, **kwargs), lines


def assert_accounted(payload: Payload, server: Any, records: list[dict[str, Any]]) -> dict[str, str]:
    """Every event is indexed xor dead-lettered with a reason; returns dead-lettered id -> reason."""
    dead = {e["id"]: e["reason"] for r in records if r["kind"] == "batch" for e in r["events"]}
    for event in payload["logEvents"]:
        indexed = event["id"] in server.indexed
        assert indexed != (event["id"] in dead), f"event {event['id']} indexed={indexed}"
        if not indexed:
            assert dead[event["id"]], "a dead letter needs its reason"
    for record in records:
        for event in record.get("events", []):
            original = next(e for e in payload["logEvents"] if e["id"] == event["id"])
            assert event["message"] == original["message"]
            assert event["timestamp"] == original["timestamp"]
    return dead


def test_healthy_endpoint_indexes_everything_once_in_byte_bounded_requests(scripted_bulk, dead_letter_bucket):
    # Given a healthy endpoint and a 4 KiB bulk limit
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, bulk_max_bytes=4096)
    payload = make_payload(60)
    # When
    summary = shipper.handle(encode_payload(payload), FakeContext())
    # Then
    assert summary["docs_indexed"] == 60
    assert len(scripted_bulk.requests) > 1
    assert max(r.body_bytes for r in scripted_bulk.requests) <= 4096
    assert summary["max_request_bytes"] <= 4096
    assert set(scripted_bulk.received().values()) == {1}
    assert assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2])) == {}


def test_bulk_requests_also_split_by_count(scripted_bulk):
    shipper, _ = make_shipper(scripted_bulk.url, None, bulk_max_docs=7)
    shipper.handle(encode_payload(make_payload(20)), FakeContext())
    assert [len(r.sources) for r in scripted_bulk.requests] == [7, 7, 6]


def test_429_storm_then_recovery_backs_off_with_capped_full_jitter(scripted_bulk, dead_letter_bucket):
    scripted_bulk.script = lambda r: Reply(status=429) if r.number <= 4 else Reply()
    fake = FakeTime()
    shipper, _ = make_shipper(
        scripted_bulk.url, dead_letter_bucket, fake, backoff_base_s=0.5, backoff_cap_s=2.0
    )
    payload = make_payload(10)

    summary = shipper.handle(encode_payload(payload), FakeContext())

    assert summary["docs_indexed"] == 10
    assert summary["docs_dead_lettered"] == 0
    assert len(fake.sleeps) == 4
    for attempt, slept in enumerate(fake.sleeps, start=1):
        assert 0 <= slept <= min(2.0, 0.5 * 2**attempt)
    assert set(scripted_bulk.received().values()) == {5}


def test_endless_429_storm_dead_letters_at_the_deadline_with_the_reason(scripted_bulk, dead_letter_bucket):
    scripted_bulk.script = lambda r: Reply(status=429)
    fake = FakeTime()
    shipper, lines = make_shipper(scripted_bulk.url, dead_letter_bucket, fake)
    payload = make_payload(12)

    summary = shipper.handle(encode_payload(payload), FakeContext(remaining_ms=20_000))

    s3, bucket, key_id = dead_letter_bucket
    records = dead_letter_records(s3, bucket)
    dead = assert_accounted(payload, scripted_bulk, records)
    assert len(dead) == 12
    assert all("HTTP 429" in reason and "deadline" in reason for reason in dead.values())
    assert summary["docs_dead_lettered"] == 12
    assert len(records) == 1  # one object per failed batch
    assert records[0]["source"]["logGroup"] == payload["logGroup"]
    head = s3.head_object(Bucket=bucket, Key=s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Key"])
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    assert sum(fake.sleeps) < 20.0
    assert any('"DocumentsDeadLettered":12' in line for line in lines)
    assert json.loads(lines[-1])["message"] == SHIPPER_DEAD_LETTER_MESSAGE


def test_5xx_with_an_html_body_is_retried_and_does_not_crash(scripted_bulk, dead_letter_bucket):
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    scripted_bulk.script = lambda r: Reply(status=502, body=html) if r.number == 1 else Reply()
    fake = FakeTime()
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, fake)
    payload = make_payload(8)

    summary = shipper.handle(encode_payload(payload), FakeContext())

    assert summary["docs_indexed"] == 8
    assert summary["docs_retried"] == 8
    assert assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2])) == {}


def test_persistent_5xx_reason_quotes_the_non_json_body(scripted_bulk, dead_letter_bucket):
    scripted_bulk.script = lambda r: Reply(status=503, body=b"upstream connect error")
    fake = FakeTime()
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, fake)
    payload = make_payload(3)
    shipper.handle(encode_payload(payload), FakeContext(remaining_ms=5_000))
    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert all("HTTP 503: upstream connect error" in reason for reason in dead.values())


def test_connection_reset_is_retried(scripted_bulk, dead_letter_bucket):
    scripted_bulk.script = lambda r: Reply(reset=True) if r.number <= 2 else Reply()
    fake = FakeTime()
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, fake)
    payload = make_payload(9)

    summary = shipper.handle(encode_payload(payload), FakeContext())

    assert summary["docs_indexed"] == 9
    assert assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2])) == {}


def test_slow_endpoint_near_the_deadline_dead_letters_in_time(scripted_bulk, dead_letter_bucket):
    # Given an endpoint that answers after 3 s and an invocation with 1.5 s left (real clock)
    scripted_bulk.script = lambda r: Reply(delay_s=3.0)
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket)
    payload = make_payload(5)
    context = FakeContext(remaining_ms=1_500)
    # When
    shipper.handle(encode_payload(payload), context)
    # Then it returned before Lambda would have killed it, with everything dead-lettered
    assert context.get_remaining_time_in_millis() > 0
    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert len(dead) == 5
    assert all("timeout" in reason for reason in dead.values())


def test_413_splits_the_body_and_resends(scripted_bulk, dead_letter_bucket):
    limit = 3000
    scripted_bulk.script = lambda r: (
        Reply(status=413, body=b"Request Entity Too Large") if r.body_bytes > limit else Reply()
    )
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket)
    payload = make_payload(40, pad=100)

    summary = shipper.handle(encode_payload(payload), FakeContext())

    assert summary["docs_indexed"] == 40
    accepted = [r for r in scripted_bulk.requests if r.body_bytes <= limit]
    assert sum(len(r.sources) for r in accepted) == 40
    assert assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2])) == {}


def test_413_on_a_single_document_dead_letters_it_alone(scripted_bulk, dead_letter_bucket):
    scripted_bulk.script = lambda r: Reply(status=413, body=b"too large") if r.body_bytes > 5000 else Reply()
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket)
    payload = make_payload(6)
    payload["logEvents"][2]["message"] = "z" * 8000

    shipper.handle(encode_payload(payload), FakeContext())

    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert list(dead) == [payload["logEvents"][2]["id"]]
    assert "HTTP 413" in dead[payload["logEvents"][2]["id"]]


def test_a_document_above_the_bulk_limit_is_dead_lettered_unsent(scripted_bulk, dead_letter_bucket):
    limit = 2048
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, bulk_max_bytes=limit)
    payload = make_payload(12)
    big = payload["logEvents"][5]
    big["message"] = "z" * 4000

    summary = shipper.handle(encode_payload(payload), FakeContext())

    assert max(r.body_bytes for r in scripted_bulk.requests) <= limit
    assert big["id"] not in scripted_bulk.received()
    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert list(dead) == [big["id"]]
    assert re.search(
        rf"document of 4\d\d\d bytes .* limit of {limit} bytes \(BULK_MAX_BYTES\)", dead[big["id"]]
    )
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (11, 1)


def test_resent_documents_above_the_bulk_limit_are_not_sent(scripted_bulk, dead_letter_bucket):
    # Given: a document that grows past the bulk limit when a mapping fix moves a field into
    # ``unmapped`` (a JSON string: every escaped quote is escaped again)
    limit = 2048
    payload = make_payload(4)
    grown = payload["logEvents"][1]
    grown["message"] = json.dumps({"level": "INFO", "message": "m", "correlation_id": {"q": '"' * 500}})

    def item_status(_position: int, source: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if source["aws.cloudwatch.event_id"] == grown["id"] and "correlation.id" in source:
            error = {"type": "mapper_parsing_exception", "reason": "failed to parse field [correlation.id]"}
            return 400, error
        return 201, None

    scripted_bulk.script = lambda r: Reply(item_status=item_status)
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, bulk_max_bytes=limit)

    # When
    summary = shipper.handle(encode_payload(payload), FakeContext())

    # Then: the grown document is dead-lettered unsent, the others indexed
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (3, 1)
    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert f"limit of {limit} bytes" in dead[grown["id"]]
    assert max(r.body_bytes for r in scripted_bulk.requests) <= limit


def test_mixed_item_failures_resend_only_the_failed_items(scripted_bulk, dead_letter_bucket):
    # Given: positions 1 and 5 are rejected once (retryable), position 3 hits a mapping conflict on
    # its correlation id, and position 7 fails permanently
    payload = make_payload(10)
    ids = [e["id"] for e in payload["logEvents"]]
    rejected_once: set[str] = set()
    mapping_target = ids[3]

    def item_status(_position: int, source: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        event_id = source["aws.cloudwatch.event_id"]
        if event_id in (ids[1], ids[5]) and event_id not in rejected_once:
            rejected_once.add(event_id)
            return 429, RETRYABLE_ITEM
        if event_id == mapping_target and "correlation.id" in source:
            return 400, {
                "type": "mapper_parsing_exception",
                "reason": "failed to parse field [correlation.id] of type [keyword] in document",
            }
        if event_id == ids[7]:
            return 400, {"type": "illegal_argument_exception", "reason": "Document ID is not supported"}
        return 201, None

    scripted_bulk.script = lambda r: Reply(item_status=item_status)
    payload["logEvents"][3]["message"] = payload["logEvents"][5]["message"].replace(
        '"api-5"', '{"nested": 1}'
    )
    fake = FakeTime()
    shipper, _ = make_shipper(scripted_bulk.url, dead_letter_bucket, fake)

    # When
    summary = shipper.handle(encode_payload(payload), FakeContext())

    # Then
    dead = assert_accounted(payload, scripted_bulk, dead_letter_records(*dead_letter_bucket[:2]))
    assert list(dead) == [ids[7]]
    assert "Document ID is not supported" in dead[ids[7]]
    received = scripted_bulk.received()
    assert {i for i, n in received.items() if n > 1} == {ids[1], ids[3], ids[5]}
    assert all(received[i] == 2 for i in (ids[1], ids[3], ids[5]))
    fixed = scripted_bulk.indexed[mapping_target]
    assert "correlation.id" not in fixed
    assert '"correlation.id":{"nested":1}' in fixed["unmapped"]
    assert summary["docs_indexed"] == 9


def test_dead_letter_write_failure_raises_so_lambda_retries(scripted_bulk, dead_letter_bucket):
    s3, _bucket, key_id = dead_letter_bucket
    scripted_bulk.script = lambda r: Reply(item_status=lambda _p, _s: (400, {"type": "x", "reason": "no"}))
    shipper, _ = make_shipper(scripted_bulk.url, (s3, "no-such-bucket", key_id))
    with pytest.raises(DeadLetterWriteError, match="no-such-bucket"):
        shipper.handle(encode_payload(make_payload(2)), FakeContext())


def test_failure_without_a_dead_letter_store_raises(scripted_bulk):
    scripted_bulk.script = lambda r: Reply(item_status=lambda _p, _s: (400, {"type": "x", "reason": "no"}))
    shipper, _ = make_shipper(scripted_bulk.url, None)
    with pytest.raises(DeliveryIncomplete, match="2 document"):
        shipper.handle(encode_payload(make_payload(2)), FakeContext())


def test_document_ids_only_when_configured(scripted_bulk):
    shipper, _ = make_shipper(scripted_bulk.url, None, use_document_id=True)
    payload = make_payload(3)
    shipper.handle(encode_payload(payload), FakeContext())
    assert [a["index"]["_id"] for a in scripted_bulk.requests[0].actions] == [
        e["id"] for e in payload["logEvents"]
    ]
    shipper, _ = make_shipper(scripted_bulk.url, None)
    shipper.handle(encode_payload(payload), FakeContext())
    assert all("_id" not in a["index"] for a in scripted_bulk.requests[1].actions)


def test_a_backoff_delay_that_does_not_fit_waits_less_instead_of_giving_up(scripted_bulk):
    # Given: one 429, then success; the random delay drawn (10 s) is longer than the time left (2 s)
    from log_pipeline.delivery import Deliverer, DeliveryLimits
    from log_pipeline.documents import build_batch
    from log_pipeline.transport import Transport

    scripted_bulk.script = lambda r: Reply(status=429) if r.number == 1 else Reply()
    fake = FakeTime()
    limits = DeliveryLimits(max_bytes=1 << 20, max_docs=100, backoff_base_s=10.0, backoff_cap_s=10.0)
    deliverer = Deliverer(
        Transport(scripted_bulk.url), limits, clock=fake.clock, sleep=fake.sleep, jitter=lambda: 1.0
    )
    # When
    result = deliverer.deliver(build_batch(make_payload(3)), fake.clock() + 2.0)
    # Then: it waited half the time left and the resend indexed everything
    assert (result.indexed, result.failed) == (3, [])
    assert len(fake.sleeps) == 1 and 0.9 < fake.sleeps[0] < 1.0


def test_a_connection_the_server_closed_while_idle_is_reopened_not_retried():
    # Given: a server that answers keep-alive and then closes the idle connection after 0.1 s
    import socket
    import threading

    from log_pipeline.transport import Transport

    listener = socket.create_server(("127.0.0.1", 0))
    body = b'{"took":1,"errors":false,"items":[]}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )

    def serve() -> None:
        for _ in range(2):
            connection, _address = listener.accept()
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += connection.recv(65536)
                connection.sendall(answer)
                time.sleep(0.1)  # idle, then closed by the server (no Connection: close header)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    transport = Transport(f"http://127.0.0.1:{listener.getsockname()[1]}")

    # When: two requests, the second after the server closed the first connection
    first = transport.post_bulk(b"", 5.0)
    time.sleep(0.4)
    second = transport.post_bulk(b"", 5.0)

    # Then: both answered (the second on a new connection, not a failed request)
    assert (first.status, second.status) == (200, 200)
    thread.join(5)
    listener.close()
