"""Decoding subscription events: round trips, malformed input, CloudWatch's batching limits."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from log_pipeline.subscription import (
    MAX_BATCH_BYTES,
    MalformedEvent,
    batch_events,
    decode_event,
    encode_payload,
    event_size,
)

EVENTS = Path(__file__).resolve().parents[2] / "events"

_event = st.fixed_dictionaries(
    {
        "id": st.text(alphabet="0123456789", min_size=1, max_size=56),
        "timestamp": st.integers(min_value=0, max_value=4_102_444_800_000),
        "message": st.text(max_size=300),
    }
)
_payload = st.fixed_dictionaries(
    {
        "messageType": st.just("DATA_MESSAGE"),
        "owner": st.text(alphabet="0123456789", min_size=12, max_size=12),
        "logGroup": st.text(min_size=1, max_size=50),
        "logStream": st.text(min_size=1, max_size=50),
        "subscriptionFilters": st.lists(st.text(max_size=20), max_size=2),
        "logEvents": st.lists(_event, max_size=20),
    }
)


@settings(max_examples=150, deadline=None)
@given(_payload)
def test_encode_then_decode_round_trips(payload):
    assert decode_event(encode_payload(payload)) == payload


def test_sample_event_decodes():
    event = json.loads((EVENTS / "cloudwatch_subscription_event.json").read_text())
    payload = decode_event(event)
    assert payload == json.loads((EVENTS / "cloudwatch_function_logs.json").read_text())


def test_control_message_decodes():
    payload = json.loads((EVENTS / "cloudwatch_control_message.json").read_text())
    assert decode_event(encode_payload(payload))["messageType"] == "CONTROL_MESSAGE"


def _wrap(raw: bytes) -> dict[str, Any]:
    return {"awslogs": {"data": base64.b64encode(raw).decode()}}


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ([], "event is a list"),
        ({}, "no awslogs.data"),
        ({"awslogs": {"data": "***"}}, "not valid base64"),
        (_wrap(b"not gzip"), "not valid gzip"),
        (_wrap(gzip.compress(b"{nope")), "not valid JSON"),
        (_wrap(gzip.compress(b"[]")), "not a JSON object"),
        (_wrap(gzip.compress(b'{"messageType": "OTHER"}')), "messageType"),
        (
            _wrap(gzip.compress(b'{"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g"}')),
            "logStream",
        ),
    ],
)
def test_malformed_events_raise_with_a_reason(event, reason):
    with pytest.raises(MalformedEvent, match=reason):
        decode_event(event)


def test_batches_obey_cloudwatch_limits():
    events: list[Any] = [{"id": str(i), "timestamp": i, "message": "m" * 500} for i in range(5000)]
    batches = list(batch_events(events))
    assert sum(len(b) for b in batches) == 5000
    assert all(sum(event_size(e["message"]) for e in b) <= MAX_BATCH_BYTES for b in batches)
    assert all(len(b) <= 10_000 for b in batches)
    small: list[Any] = [{"id": str(i), "timestamp": i, "message": ""} for i in range(25_000)]
    assert [len(b) for b in batch_events(small)] == [10_000, 10_000, 5_000]


@settings(max_examples=100, deadline=None)
@given(_payload, st.booleans(), st.booleans())
def test_every_decoded_event_becomes_an_encodable_document(payload, ship_emf, use_id):
    from log_pipeline.documents import build_batch

    batch = build_batch(decode_event(encode_payload(payload)), ship_emf=ship_emf, use_document_id=use_id)
    assert len(batch.actions) + batch.emf_skipped == len(payload["logEvents"])
    for action in batch.actions:
        line = action.encoded()
        assert line.endswith(b"\n") and line.count(b"\n") == 2  # NDJSON: newlines in text are escaped
        assert action.doc["@timestamp"].endswith("Z")
        assert action.doc["aws.cloudwatch.event_id"] == action.event["id"]
        assert (action.doc_id is not None) == use_id
