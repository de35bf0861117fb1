"""Each parser on real-shaped samples from tests/events, and no text crashes the parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from log_pipeline.documents import build_batch
from log_pipeline.encoding import dumps
from log_pipeline.parsing import parse_message
from signals import logs as fields

EVENTS = Path(__file__).resolve().parents[2] / "events"


def docs_of(name: str, **options: Any) -> list[dict[str, Any]]:
    payload = json.loads((EVENTS / name).read_text())
    return [action.doc for action in build_batch(payload, region="eu-west-1", **options).actions]


def test_function_log_sample_becomes_one_document_per_message_except_emf():
    payload = json.loads((EVENTS / "cloudwatch_function_logs.json").read_text())
    batch = build_batch(payload, region="eu-west-1")
    actions = batch.actions
    assert batch.events_received == 14
    assert batch.emf_skipped == 1
    assert len(actions) == 13
    assert {a.index for a in actions} == {"logs-application-2024.11.27", "logs-platform-2024.11.27"}


def test_emf_lines_ship_when_configured():
    docs = docs_of("cloudwatch_function_logs.json", ship_emf=True)
    emf = [d for d in docs if "_aws" in d.get(fields.EXTRA, {})]
    assert len(emf) == 1
    assert emf[0][fields.EXTRA]["ObjectsListed"] == [25.0]


def test_powertools_line_maps_every_key():
    doc = docs_of("cloudwatch_function_logs.json")[2]
    assert doc[fields.MESSAGE] == "listing objects"
    assert doc[fields.LOG_LEVEL] == "INFO"
    assert doc[fields.SERVICE_NAME] == "objects-api"
    assert doc[fields.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert doc[fields.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    assert doc[fields.CORRELATION_ID] == "Cq3xYjQ8oAMEVHw="
    assert doc[fields.LAMBDA_COLD_START] is True
    assert doc[fields.LAMBDA_MEMORY_SIZE_MB] == 256
    assert doc[fields.CALLER_ARN] == "arn:aws:iam::123456789012:user/dev"
    assert doc[fields.CALLER_ACCOUNT] == "123456789012"
    assert doc[fields.HTTP_ROUTE] == "GET /objects"
    assert doc[fields.CODE_LOCATION] == "list_objects:87"
    assert doc[fields.EXTRA]["prefix"] == "reports/"
    assert doc[fields.EXTRA]["limit"] == 25
    assert doc[fields.EVENT_KIND] == fields.KIND_APPLICATION
    assert doc[fields.TIMESTAMP] == "2024-11-27T09:33:20.014Z"
    assert doc[fields.CW_LOG_GROUP] == "/aws/lambda/obs-platform-objects-api"
    assert doc[fields.CW_EVENT_ID] == "37000000000000000000000000000000000000000000000000000002"
    assert doc[fields.CLOUD_ACCOUNT_ID] == "123456789012"
    assert doc[fields.CLOUD_REGION] == "eu-west-1"


def test_powertools_exception_line():
    doc = next(
        d
        for d in docs_of("cloudwatch_function_logs.json")
        if d.get(fields.LOG_LEVEL) == "ERROR" and fields.ERROR_TYPE in d
    )
    assert doc[fields.ERROR_TYPE] == "ClientError"
    assert doc[fields.ERROR_STACK_TRACE].startswith("Traceback")
    assert doc[fields.HTTP_STATUS] == 500
    assert doc[fields.LAMBDA_COLD_START] is False


def test_platform_text_lines():
    docs = [
        d for d in docs_of("cloudwatch_function_logs.json") if d[fields.EVENT_KIND] == fields.KIND_PLATFORM
    ]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_type.setdefault(doc[fields.LAMBDA_PLATFORM_TYPE], []).append(doc)
    assert sorted(by_type) == ["end", "init_start", "report", "start", "timeout"]
    report = by_type["report"][0]
    assert report[fields.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert report[fields.LAMBDA_DURATION_MS] == 48.27
    assert report[fields.LAMBDA_BILLED_DURATION_MS] == 49
    assert report[fields.LAMBDA_MEMORY_SIZE_MB] == 256
    assert report[fields.LAMBDA_MAX_MEMORY_USED_MB] == 71
    assert report[fields.LAMBDA_INIT_DURATION_MS] == 512.33
    assert report[fields.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    assert report[fields.EXTRA] == {"segmentid": "4c3e8f1a2b3c4d5e", "sampled": "true"}
    timeout_report = by_type["report"][1]
    assert timeout_report[fields.LAMBDA_STATUS] == "timeout"
    assert timeout_report[fields.LAMBDA_DURATION_MS] == 3000.0
    assert by_type["start"][0][fields.EXTRA] == {"version": "$LATEST"}
    assert by_type["timeout"][0][fields.LAMBDA_REQUEST_ID] == "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
    assert by_type["init_start"][0][fields.EXTRA]["runtime_version"] == "python:3.12.v38"


def test_runtime_text_line_and_plain_text_are_kept():
    docs = docs_of("cloudwatch_function_logs.json")
    runtime = next(d for d in docs if d[fields.MESSAGE] == "something printed by the runtime logger")
    assert runtime[fields.LOG_LEVEL] == "ERROR"
    assert runtime[fields.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    plain = next(d for d in docs if d[fields.MESSAGE].startswith("a print()"))
    assert plain[fields.MESSAGE] == "a print() without a logger, kept whole\n"
    assert plain[fields.EVENT_KIND] == fields.KIND_APPLICATION


def test_platform_json_lines():
    docs = docs_of("cloudwatch_platform_json.json")
    report = next(
        d
        for d in docs
        if d.get(fields.LAMBDA_PLATFORM_TYPE) == "report" and d[fields.LAMBDA_STATUS] == "success"
    )
    assert report[fields.LAMBDA_DURATION_MS] == 48.27
    assert report[fields.LAMBDA_BILLED_DURATION_MS] == 49
    assert report[fields.LAMBDA_INIT_DURATION_MS] == 512.33
    assert report[fields.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    timed_out = next(d for d in docs if d.get(fields.LAMBDA_STATUS) == "timeout")
    assert timed_out[fields.ERROR_TYPE] == "Sandbox.Timedout"
    start = next(d for d in docs if d.get(fields.LAMBDA_PLATFORM_TYPE) == "start")
    assert start[fields.EXTRA]["version"] == "$LATEST"
    app = next(d for d in docs if d[fields.EVENT_KIND] == fields.KIND_APPLICATION)
    assert app[fields.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert app[fields.LOG_LOGGER] == "root"
    assert {d[fields.EVENT_KIND] for d in docs} == {fields.KIND_PLATFORM, fields.KIND_APPLICATION}


def test_access_log_lines_convert_numbers_and_drop_dashes():
    ok, forbidden, timeout = docs_of("cloudwatch_access_logs.json")
    assert ok[fields.EVENT_KIND] == fields.KIND_ACCESS
    assert ok[fields.HTTP_REQUEST_ID] == "Cq3xYjQ8oAMEVHw="
    assert ok[fields.HTTP_STATUS] == 200
    assert ok[fields.HTTP_RESPONSE_BYTES] == 1834
    assert ok[fields.HTTP_LATENCY_MS] == 61.0
    assert ok[fields.HTTP_INTEGRATION_LATENCY_MS] == 52.0
    assert ok[fields.HTTP_METHOD] == "GET"
    assert ok[fields.HTTP_ROUTE] == "GET /objects"
    assert ok[fields.SOURCE_IP] == "203.0.113.7"
    assert ok[fields.CALLER_ARN] == "arn:aws:iam::123456789012:user/dev"
    assert fields.HTTP_INTEGRATION_ERROR not in ok
    assert ok[fields.EXTRA]["stage"] == "$default"
    assert forbidden[fields.HTTP_STATUS] == 403
    assert forbidden[fields.ERROR_MESSAGE] == "Forbidden"
    assert fields.CALLER_ARN not in forbidden and fields.HTTP_INTEGRATION_LATENCY_MS not in forbidden
    assert timeout[fields.HTTP_INTEGRATION_ERROR].endswith("Task timed out")
    assert ok[fields.TIMESTAMP] == "2024-11-27T09:33:20.000Z"


def test_non_object_json_and_broken_json_are_plain_text():
    for text in ('["a", 1]', "42", '{"unterminated": ', "{not json}"):
        parsed = parse_message(text)
        assert parsed.fields == {fields.MESSAGE: text}
        assert parsed.kind == fields.KIND_APPLICATION


def test_unconvertible_numbers_are_kept_as_they_came():
    parsed = parse_message(
        json.dumps({"level": "info", "message": "m", "status": "teapot", "function_memory_size": "x"})
    )
    assert parsed.fields[fields.HTTP_STATUS] == "teapot"
    assert parsed.fields[fields.LAMBDA_MEMORY_SIZE_MB] == "x"
    assert parsed.fields[fields.LOG_LEVEL] == "INFO"


def test_non_string_message_is_serialised():
    parsed = parse_message(json.dumps({"level": "INFO", "message": {"k": [1, 2]}}))
    assert parsed.fields[fields.MESSAGE] == '{"k":[1,2]}'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_no_text_crashes_the_parser(text):
    parsed = parse_message(text)
    assert parsed.kind in fields.EVENT_KINDS
    assert isinstance(parsed.fields[fields.MESSAGE], str)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "level",
                "message",
                "status",
                "requestId",
                "httpMethod",
                "routeKey",
                "type",
                "record",
                "_aws",
                "cold_start",
                "xray_trace_id",
                "other",
            ]
        ),
        _json_values,
        max_size=8,
    )
)
def test_no_json_object_crashes_the_parser(obj):
    parsed = parse_message(json.dumps(obj))
    assert parsed.kind in fields.EVENT_KINDS
    assert isinstance(parsed.fields[fields.MESSAGE], str)
    assert dumps(parsed.fields, newline=True).endswith(b"\n")


def test_integers_beyond_64_bits_still_encode():
    # orjson refuses to encode them (Python ints from the parser, a label, a moved value)
    assert (
        dumps({"x": 2**70, "y": [-(2**80)]}, newline=True)
        == b'{"x":1180591620717411303424,"y":[-1208925819614629174706176]}\n'
    )
    parsed = parse_message(json.dumps({"message": 2**70, "level": "INFO", "big": -(2**80)}))
    assert isinstance(parsed.fields[fields.MESSAGE], str)
    assert json.loads(dumps(parsed.fields)) == json.loads(json.dumps(parsed.fields))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["START ", "END ", "REPORT ", "INIT_START ", "[ERROR]\t"]), st.text(max_size=200))
def test_no_platform_looking_text_crashes_the_parser(prefix, rest):
    parsed = parse_message(prefix + rest)
    assert parsed.fields[fields.MESSAGE]
