"""Bulk bodies, responses and gzip: what the shipper writes and reads equals the plain version.

Bodies are written document by document into one reused buffer and split as they fill; they must
equal the whole documents encoded one by one and grouped greedily by ``chunk_actions`` (which the
retries use). A no-error bulk response is counted in its bytes; ``gunzip`` is ``gzip.decompress``.
"""

from __future__ import annotations

import gzip
import json
import zlib
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from log_pipeline.delivery import bulk_body, chunk_actions
from log_pipeline.documents import build_batch
from log_pipeline.parsing import parse_fields, parse_message
from log_pipeline.subscription import Payload, gunzip
from log_pipeline.transport import BulkResponse
from tests.unit.log_pipeline.helpers import make_payload, powertools_line

EVENTS = Path(__file__).resolve().parents[2] / "events"
LIMITS = [(5 * 1024 * 1024, 5000), (4096, 7), (1024, 5000), (300, 3)]


def _copy(payload: Payload | dict[str, Any]) -> Any:
    return json.loads(json.dumps(payload))


def _expected_bodies(payload: Any, max_bytes: int, max_docs: int, **options: Any) -> list[bytes]:
    """Whole documents (dicts) encoded one by one, grouped by ``chunk_actions``."""
    actions = build_batch(_copy(payload), **options).actions
    return [bulk_body(chunk) for chunk in chunk_actions(actions, max_bytes, max_docs)]


def _payloads() -> list[Any]:
    samples = [json.loads(p.read_text()) for p in sorted(EVENTS.glob("cloudwatch_*.json"))]
    odd: Any = make_payload(30, pad=50)
    odd["logGroup"] = '/aws/lambda/f"%s\\é😀'
    odd["logStream"] = "s%%\x7f"
    odd["owner"] = '12"3'
    odd["logEvents"][1]["message"] = powertools_line(1, "r", "t", requestId="lambda", big=2**70)
    odd["logEvents"][2]["message"] = json.dumps({"level": "info", "message": {"k": [1]}, "x": None})
    return [p for p in samples if p.get("messageType") == "DATA_MESSAGE"] + [make_payload(120, pad=40), odd]


@pytest.mark.parametrize(("max_bytes", "max_docs"), LIMITS)
@pytest.mark.parametrize("options", [{}, {"region": "eu-west-1", "ship_emf": True, "use_document_id": True}])
def test_bodies_in_a_reused_buffer_equal_whole_documents_chunked(max_bytes, max_docs, options):
    for payload in _payloads():
        expected = _expected_bodies(payload, max_bytes, max_docs, **options)
        limits = {"max_bytes": max_bytes, "max_docs": max_docs}
        whole = build_batch(_copy(payload), **options, **limits)
        reused = build_batch(_copy(payload), **options, **limits, buffer=BytesIO(b"stale" * 999))
        got = [(bytes(body), stop - start) for body, start, stop in reused.bodies()]
        assert [body for body, _count in got] == expected
        assert [count for _body, count in got] == [
            len(chunk) for chunk in chunk_actions(whole.actions, max_bytes, max_docs)
        ]
        assert reused.emf_skipped == whole.emf_skipped
        assert reused.events == whole.events


def test_rebuilt_documents_equal_the_ones_sent():
    for payload in _payloads():
        batch = build_batch(_copy(payload), region="eu-west-1", use_document_id=True)
        sent = b"".join(bytes(body) for body, _start, _stop in batch.bodies())
        rebuilt = batch.actions_between(0, len(batch.events))
        assert b"".join(action.encoded() for action in rebuilt) == sent
        assert [a.event for a in rebuilt] == batch.events


_messages = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda head, rest: head + rest,
        st.sampled_from(
            ["START RequestId: ", "END RequestId: ", "REPORT RequestId: ", "{", "[INFO]\t", "x "]
        ),
        st.text(max_size=120),
    ),
    st.dictionaries(
        st.sampled_from(
            ["level", "message", "service", "function_request_id", "requestId", "status", "k", "_aws"]
        ),
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        max_size=6,
    ).map(json.dumps),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_messages, min_size=1, max_size=12), st.sampled_from(LIMITS[1:]))
def test_any_messages_give_the_bodies_of_their_whole_documents(messages, limits):
    max_bytes, max_docs = limits
    payload = make_payload(len(messages))
    for event, message in zip(payload["logEvents"], messages, strict=True):
        event["message"] = message
    expected = _expected_bodies(payload, max_bytes, max_docs, ship_emf=True)
    batch = build_batch(_copy(payload), ship_emf=True, max_bytes=max_bytes, max_docs=max_docs)
    assert [bytes(body) for body, _start, _stop in batch.bodies()] == expected
    for message in messages:
        parsed = parse_message(message)
        assert (parsed.kind, parsed.fields, parsed.emf) == parse_fields(message)


def test_two_request_ids_that_disagree_are_both_kept():
    line = {
        "requestId": "lambda-id",
        "message": "m",
        "level": "warn",
        "function_request_id": "pt-id",
        "own": 1,
    }
    _kind, fields, _emf = parse_fields(json.dumps(line))
    # function_request_id comes first in the key table: it is the field; requestId stays a label
    assert list(fields) == ["log.level", "aws.lambda.request_id", "message", "labels"]
    assert fields["aws.lambda.request_id"] == "pt-id"
    assert fields["log.level"] == "WARN"
    assert fields["labels"] == {"own": 1, "requestId": "lambda-id"}
    same = {**line, "requestId": "pt-id"}
    assert parse_fields(json.dumps(same))[1]["labels"] == {"own": 1}


def _bulk(items: list[dict[str, Any]], errors: bool, **head: Any) -> bytes:
    return orjson.dumps({"took": 5, **head, "errors": errors, "items": items})


def _item(status: int = 201) -> dict[str, Any]:
    return {
        "index": {
            "_index": "logs-x",
            "_id": 'a"{\\"index\\":{',
            "_version": 1,
            "result": "created",
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "status": status,
        }
    }


def test_a_compact_no_error_response_is_counted_without_parsing():
    response = BulkResponse(200, _bulk([_item() for _ in range(3)], False))
    assert response.items_without_errors() == 3
    assert BulkResponse(200, _bulk([_item()], False, ingest_took=2)).items_without_errors() == 1


@pytest.mark.parametrize(
    ("status", "content"),
    [
        (200, _bulk([_item(), _item(429)], True)),  # errors: the items are read one by one
        (200, json.dumps({"took": 5, "errors": False, "items": [_item()]}).encode()),  # not compact
        (200, _bulk([_item()], False)[:-1]),  # truncated
        (500, _bulk([_item()], False)),
        (200, b"<html>busy</html>"),
    ],
)
def test_anything_else_is_left_to_the_parsed_body(status, content):
    assert BulkResponse(status, content).items_without_errors() is None


def _gzip_outcome(function: Any, data: bytes) -> tuple[str, Any]:
    """The output, or that it failed (gunzip's errors are zlib's own, not gzip's messages)."""
    try:
        return ("ok", function(data))
    except (OSError, EOFError, zlib.error):
        return ("error", None)


@pytest.mark.parametrize(
    "data",
    [
        gzip.compress(b"hello" * 1000),
        gzip.compress(b"a") + gzip.compress(b"b"),
        gzip.compress(b"ab") * 2,
        gzip.compress(b"ab") + b"\x00\x00",
        gzip.compress(b"ab") + b"garbage!",
        gzip.compress(b"x" * 100)[:-3],
        gzip.compress(b""),
        b"not gzip",
        b"",
    ],
)
def test_gunzip_is_gzip_decompress_below_its_limit(data):
    assert _gzip_outcome(gunzip, data) == _gzip_outcome(gzip.decompress, data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.integers(min_value=0, max_value=10_000), st.booleans())
def test_gunzip_is_gzip_decompress_on_damaged_streams(content, flip, second_member):
    data = bytearray(gzip.compress(content))
    if flip < len(data) * 8:
        data[flip // 8] ^= 1 << (flip % 8)
    if second_member:
        data += gzip.compress(b"more")
    ours, theirs = _gzip_outcome(gunzip, bytes(data)), _gzip_outcome(gzip.decompress, bytes(data))
    # zlib refuses a header with reserved flag bits set (RFC 1952 says a decoder must); Python's
    # gzip module ignores them. Otherwise the same: never a different output.
    reserved_flags = len(data) > 3 and data[3] & 0xE0
    assert ours == theirs or (reserved_flags and ours == ("error", None))


def test_a_buffer_still_viewed_by_an_abandoned_batch_does_not_break_the_next_one():
    payload = make_payload(60, pad=40)
    max_bytes, max_docs = 2048, 5000
    expected = _expected_bodies(payload, max_bytes=max_bytes, max_docs=max_docs)
    buffer = BytesIO()
    abandoned = build_batch(_copy(payload), max_bytes=max_bytes, max_docs=max_docs, buffer=buffer)
    bodies = abandoned.bodies()
    held = next(bodies)[0]  # delivery stopped by an unexpected error, view still held
    after = build_batch(_copy(payload), max_bytes=max_bytes, max_docs=max_docs, buffer=buffer)
    assert [bytes(body) for body, _start, _stop in after.bodies()] == expected
    assert bytes(held) == expected[0]
    bodies.close()  # what happens when delivery drops the generator: the view is released
    with pytest.raises(ValueError, match="released"):
        bytes(held)
    reused = build_batch(_copy(payload), max_bytes=max_bytes, max_docs=max_docs, buffer=buffer)
    assert [bytes(body) for body, _start, _stop in reused.bodies()] == expected
