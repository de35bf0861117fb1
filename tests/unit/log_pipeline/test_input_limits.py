"""Input beyond CloudWatch's own limits is dead-lettered, not processed; one bad event goes alone.

CloudWatch sends at most 10,000 events and 1,048,576 bytes (messages' UTF-8 plus 26 bytes per
event) per batch, and an event of at most 1 MB (the PutLogEvents reference, checked 2026-12; it
was 256 KB before). A Lambda event that claims more (a small gzip that expands to hundreds of MB,
a million events) cannot come from CloudWatch: it is kept, not processed.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import tracemalloc
from typing import Any

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import S3DeadLetters
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import (
    MAX_BATCH_BYTES,
    MAX_DECOMPRESSED_BYTES,
    MalformedEvent,
    accept_events,
    decode_event,
    encode_payload,
)
from tests.unit.log_pipeline.helpers import BASE_TS, FakeContext, dead_letter_records, make_payload


def shipper_for(url: str, dead_letter_bucket: Any) -> Shipper:
    s3, bucket, key_id = dead_letter_bucket
    config = ShipperConfig(endpoint=url, auth="none", region="eu-west-1")
    return Shipper(config, dead_letters=S3DeadLetters(s3, bucket, key_id, "dl/"), write=lambda _l: None)


def bomb(expanded_bytes: int) -> dict[str, Any]:
    """A subscription event whose one message expands to ``expanded_bytes`` (gzip of one letter)."""
    head = (
        b'{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],'
    )
    head += b'"logEvents":[{"id":"1","timestamp":1,"message":"'
    out = io.BytesIO()
    compressor = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9)
    compressor.write(head)
    block = b"a" * 1_048_576
    for _ in range(expanded_bytes // len(block)):
        compressor.write(block)
    compressor.write(b'"}]}')
    compressor.close()
    return {"awslogs": {"data": base64.b64encode(out.getvalue()).decode()}}


def test_a_small_event_that_expands_beyond_the_limit_is_not_decompressed():
    event = bomb(190 * 1_048_576)
    assert len(event["awslogs"]["data"]) < 400_000  # ~258 KB of gzip, as in the issue
    tracemalloc.start()
    try:
        decode_event(event)
        raised = None
    except MalformedEvent as exc:
        raised = str(exc)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert raised is not None and f"more than {MAX_DECOMPRESSED_BYTES} bytes" in raised
    assert peak < 3 * MAX_DECOMPRESSED_BYTES, f"peak {peak} bytes while decoding"


def test_a_bomb_is_dead_lettered_whole(scripted_bulk, dead_letter_bucket):
    summary = shipper_for(scripted_bulk.url, dead_letter_bucket).handle(bomb(20 * 1_048_576), FakeContext())
    assert summary["malformed"] is True and scripted_bulk.requests == []
    (record,) = dead_letter_records(*dead_letter_bucket[:2])
    assert record["kind"] == "malformed" and "decompresses to more than" in record["reason"]


def test_events_beyond_10000_are_dead_lettered_not_processed(scripted_bulk, dead_letter_bucket):
    # Given: 10,050 tiny events in one (small) Lambda event
    payload = make_payload(10_050)
    for position, event in enumerate(payload["logEvents"]):
        event["message"] = f"m{position}"
    # When
    summary = shipper_for(scripted_bulk.url, dead_letter_bucket).handle(
        encode_payload(payload), FakeContext()
    )
    # Then
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (10_000, 50)
    (record,) = dead_letter_records(*dead_letter_bucket[:2])
    assert [e["id"] for e in record["events"]] == [e["id"] for e in payload["logEvents"][10_000:]]
    assert all("10000 events per batch" in e["reason"] for e in record["events"])


def test_events_beyond_one_mib_are_dead_lettered_not_processed(scripted_bulk, dead_letter_bucket):
    # Given: three events of 400,000 bytes (the third takes the batch past 1 MiB)
    payload = make_payload(3)
    for event in payload["logEvents"]:
        event["message"] = "x" * 400_000
    summary = shipper_for(scripted_bulk.url, dead_letter_bucket).handle(
        encode_payload(payload), FakeContext()
    )
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (2, 1)
    (record,) = dead_letter_records(*dead_letter_bucket[:2])
    assert record["events"][0]["id"] == payload["logEvents"][2]["id"]
    assert f"{MAX_BATCH_BYTES} bytes per batch" in record["events"][0]["reason"]


def test_one_bad_event_is_set_aside_alone(scripted_bulk, dead_letter_bucket):
    # Given: a payload whose second event has a string timestamp and fourth is not an object
    payload: Any = make_payload(5)
    payload["logEvents"][1]["timestamp"] = "yesterday"
    payload["logEvents"][3] = 42
    event = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}
    # When
    summary = shipper_for(scripted_bulk.url, dead_letter_bucket).handle(event, FakeContext())
    # Then: the other three are indexed, the two bad ones kept with their reasons
    assert summary["malformed"] is False
    assert (summary["docs_indexed"], summary["docs_dead_lettered"]) == (3, 2)
    (record,) = dead_letter_records(*dead_letter_bucket[:2])
    assert record["events"][0]["timestamp"] == "yesterday" and "logEvents[1]" in record["events"][0]["reason"]
    assert record["events"][1]["event"] == 42 and "logEvents[3]" in record["events"][1]["reason"]


def test_accept_events_keeps_a_batch_within_the_limits_as_it_is():
    payload = make_payload(50)
    events = list(payload["logEvents"])
    assert accept_events(payload) == []
    assert payload["logEvents"] == events
    assert events[0]["timestamp"] == BASE_TS


def test_a_line_whose_number_parsing_changes_keeps_its_original_text():
    from log_pipeline.documents import build_batch
    from signals import logs as fields

    payload = make_payload(2)
    line = '{"level":"INFO","message":"m","order":123456789012345678901234567890}'
    payload["logEvents"][1]["message"] = line
    exact = '{"level":"INFO","message":"m","order":18446744073709551615}'
    payload["logEvents"][0]["message"] = exact
    changed, unchanged = build_batch(payload).actions[1], build_batch(payload).actions[0]
    assert json.loads(changed.doc[fields.UNMAPPED]) == {"original": line}
    assert changed.doc[fields.EXTRA]["order"] == 1.2345678901234568e29
    assert fields.UNMAPPED not in unchanged.doc and unchanged.doc[fields.EXTRA]["order"] == 2**64 - 1


def test_digits_in_strings_are_not_taken_for_big_integers():
    from log_pipeline.parsing import parse_fields
    from signals import logs as fields

    line = '{"level":"INFO","message":"m","xray_trace_id":"1-6746f0a1-000000000000000000000915","n":-0}'
    assert fields.UNMAPPED not in parse_fields(line)[1]


def test_a_line_with_a_duplicate_key_keeps_its_original_text():
    from log_pipeline.parsing import parse_fields
    from signals import logs as fields

    line = '{"level":"INFO","message":"m","user":"alice","user":"mallory"}'
    document = parse_fields(line)[1]
    assert document[fields.EXTRA] == {"user": "mallory"}
    assert json.loads(document[fields.UNMAPPED]) == {"original": line}
    spaced = '{"level" : "INFO", "message": "a \\":\\" inside", "nested": {"k": 1}}'
    assert fields.UNMAPPED not in parse_fields(spaced)[1]
