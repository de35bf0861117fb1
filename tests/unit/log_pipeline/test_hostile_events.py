"""Hostile log lines never fail a batch: every event is indexed once or dead-lettered with its reason.

Given lines any remote caller can make a function log (objects nested ~1000 deep, huge strings,
numbers beyond 64 bits, duplicate and odd keys, broken escapes), when the shipper handles the
batch the way Lambda invokes it (an exception makes Lambda invoke it again, up to three attempts),
then the invocation succeeds at the first attempt and each event is indexed exactly once or kept in
the dead-letter store with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import S3DeadLetters
from log_pipeline.documents import build_batch
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import encode_payload
from signals import logs as fields
from tests.unit.log_pipeline.helpers import BASE_TS, FakeContext, dead_letter_records, make_payload

LAMBDA_ATTEMPTS = 3
"""An asynchronous invocation that raises is retried twice (then goes to the on-failure destination)."""


def deep_object(depth: int) -> str:
    """A request body as a function would log it: ``{"a":{"a":...}}`` ``depth`` levels deep."""
    return '{"a":' * depth + "1" + "}" * depth


def deep_line(depth: int) -> str:
    return '{"level":"INFO","message":"request body","body":' + deep_object(depth) + "}"


def invoke_like_lambda(shipper: Shipper, event: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
    """Invoke as Lambda does for an asynchronous event: again after an exception, three attempts."""
    for attempt in range(1, LAMBDA_ATTEMPTS + 1):
        try:
            return shipper.handle(event, FakeContext()), attempt
        except Exception:  # noqa: S112 - Lambda retries on any error
            continue
    return None, LAMBDA_ATTEMPTS


def shipper_for(url: str, dead_letter_bucket: Any, **overrides: Any) -> Shipper:
    s3, bucket, key_id = dead_letter_bucket
    config = ShipperConfig(endpoint=url, auth="none", region="eu-west-1", **overrides)
    return Shipper(config, dead_letters=S3DeadLetters(s3, bucket, key_id, "dl/"), write=lambda _l: None)


def assert_each_event_indexed_once_or_dead_lettered(
    events: Sequence[Mapping[str, Any]], sink: Any, records: list[dict[str, Any]]
) -> None:
    dead = {e["id"]: e["reason"] for r in records if r["kind"] == "batch" for e in r["events"]}
    for event in events:
        indexed = sink.index_count[event["id"]]
        if event["id"] in dead:
            assert indexed == 0, f"{event['id']} both indexed and dead-lettered"
            assert dead[event["id"]], "a dead letter needs its reason"
        else:
            assert indexed == 1, f"{event['id']} indexed {indexed} times"


def test_a_deep_line_at_9000_of_10000_does_not_fail_the_batch(scripted_bulk, dead_letter_bucket):
    # Given: 10,000 events, the 9,000th a Powertools line with a 1,000-deep request body
    payload = make_payload(10_000)
    for position, event in enumerate(payload["logEvents"]):  # short lines: a batch CloudWatch can send
        event["message"] = f"line {position}" if position % 2 else event["message"][:60]
    bad = payload["logEvents"][9_000]
    bad["message"] = deep_line(1_000)
    shipper = shipper_for(scripted_bulk.url, dead_letter_bucket)

    # When: Lambda invokes it (again after an exception)
    summary, attempts = invoke_like_lambda(shipper, encode_payload(payload))

    # Then: one attempt, every event indexed once, the bad line kept as text
    assert attempts == 1 and summary is not None
    assert summary["docs_indexed"] == 10_000 and summary["docs_dead_lettered"] == 0
    records = dead_letter_records(*dead_letter_bucket[:2])
    assert_each_event_indexed_once_or_dead_lettered(payload["logEvents"], scripted_bulk, records)
    kept = scripted_bulk.indexed[bad["id"]]
    assert kept[fields.MESSAGE] == bad["message"]
    assert "could not be encoded" in kept[fields.EXTRA]["shipper_error"]


def test_transform_prints_the_deep_line_as_text():
    payload = make_payload(3)
    payload["logEvents"][1]["message"] = deep_line(600)
    actions = build_batch(payload).actions
    assert [a.doc[fields.CW_EVENT_ID] for a in actions] == [e["id"] for e in payload["logEvents"]]
    assert actions[1].doc[fields.MESSAGE] == deep_line(600)


def test_a_deep_non_string_message_is_kept_as_text():
    payload = make_payload(1)
    payload["logEvents"][0]["message"] = '{"level":"INFO","message":' + deep_object(900) + "}"
    (action,) = build_batch(payload).actions
    assert action.doc[fields.MESSAGE] == payload["logEvents"][0]["message"]


# ---------------------------------------------------------------- hostile events, generated

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_keys = st.sampled_from(
    [
        "message",
        "level",
        "function_request_id",
        "requestId",
        "status",
        "function_memory_size",
        "cold_start",
        "_aws",
        "type",
        "record",
        "routeKey",
        "httpMethod",
        "a.b",
        "",
        "labels",
        "x" * 300,
    ]
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@st.composite
def hostile_message(draw: st.DrawFn) -> str:
    choice = draw(st.integers(min_value=0, max_value=8))
    if choice == 0:  # deep objects and arrays, on either side of orjson's limits (254 / 1023)
        depth = draw(st.sampled_from([200, 254, 255, 256, 600, 1_000, 1_022, 1_023, 1_024, 1_500]))
        opener, closer = draw(st.sampled_from([('{"a":', "}"), ("[", "]")]))
        key = draw(st.sampled_from(["message", "body", "function_request_id", "status"]))
        return '{"level":"INFO","' + key + '":' + opener * depth + "1" + closer * depth + "}"
    if choice == 1:  # numbers beyond 64 bits, in mapped and unmapped keys, as numbers and strings
        number = draw(st.integers(min_value=2**63, max_value=10**40)) * draw(st.sampled_from([1, -1]))
        key = draw(st.sampled_from(["status", "function_memory_size", "limit", "message"]))
        text = str(number) if draw(st.booleans()) else f'"{number}"'
        return '{"level":"INFO","' + key + '":' + text + "}"
    if choice == 2:  # duplicate keys
        return (
            '{"function_request_id":"a","requestId":"b","level":"INFO","level":{"x":1},'
            '"status":1,"status":"x"}'
        )
    if choice == 3:  # broken escapes and odd encodings inside the line
        return draw(
            st.sampled_from(
                ['{"message":"\\ud800"}', '{"message":"\\udfff\\ud800"}', "\x00\x01\x02", '{"a":"\\u0000"}']
            )
        )
    if choice == 4:  # long strings (a label value above OpenSearch's 32,766-byte term limit)
        blob = "é" * draw(st.integers(16_000, 20_000))
        return json.dumps({"level": "INFO", "message": "big", "blob": blob})
    if choice == 5:  # platform-looking and access-looking lines with hostile records
        record = draw(_json_values)
        return json.dumps({"type": "platform.report", "record": {"requestId": "r", "metrics": record}})
    if choice == 6:
        method, status = draw(_json_values), draw(_json_values)
        return json.dumps({"requestId": "r", "httpMethod": method, "routeKey": "GET /", "status": status})
    if choice == 7:
        return json.dumps(draw(st.dictionaries(_keys, _json_values, max_size=6)))
    return draw(st.text(max_size=200))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(hostile_message(), min_size=1, max_size=12), use_id=st.booleans())
def test_hostile_events_are_indexed_once_or_dead_lettered_across_lambda_retries(
    scripted_bulk, dead_letter_bucket, messages, use_id
):
    # Given: a batch of hostile lines between ordinary ones
    scripted_bulk.requests.clear()
    scripted_bulk.indexed.clear()
    scripted_bulk.index_count.clear()
    s3, bucket, _key = dead_letter_bucket
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    payload = make_payload(len(messages) * 2)
    for position, message in enumerate(messages):
        payload["logEvents"][position * 2 + 1]["message"] = message
    for position, event in enumerate(payload["logEvents"]):
        event["timestamp"] = BASE_TS + position
    shipper = shipper_for(scripted_bulk.url, dead_letter_bucket, use_document_id=use_id)

    # When
    summary, attempts = invoke_like_lambda(shipper, encode_payload(payload))

    # Then
    assert attempts == 1 and summary is not None
    records = dead_letter_records(s3, bucket)
    assert_each_event_indexed_once_or_dead_lettered(payload["logEvents"], scripted_bulk, records)
    assert summary["docs_indexed"] + summary["docs_dead_lettered"] + summary["emf_skipped"] == len(
        payload["logEvents"]
    )
