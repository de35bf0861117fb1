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
from signals import logs as f

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
    emf = [d for d in docs if "_aws" in d.get(f.EXTRA, {})]
    assert len(emf) == 1
    assert emf[0][f.EXTRA]["ObjectsListed"] == [25.0]


def test_powertools_line_maps_every_key():
    doc = docs_of("cloudwatch_function_logs.json")[2]
    assert doc[f.MESSAGE] == "listing objects"
    assert doc[f.LOG_LEVEL] == "INFO"
    assert doc[f.SERVICE_NAME] == "objects-api"
    assert doc[f.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert doc[f.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    assert doc[f.CORRELATION_ID] == "Cq3xYjQ8oAMEVHw="
    assert doc[f.LAMBDA_COLD_START] is True
    assert doc[f.LAMBDA_MEMORY_SIZE_MB] == 256
    assert doc[f.CALLER_ARN] == "arn:aws:iam::123456789012:user/dev"
    assert doc[f.CALLER_ACCOUNT] == "123456789012"
    assert doc[f.HTTP_ROUTE] == "GET /objects"
    assert doc[f.CODE_LOCATION] == "list_objects:87"
    assert doc[f.EXTRA]["prefix"] == "reports/"
    assert doc[f.EXTRA]["limit"] == 25
    assert doc[f.EVENT_KIND] == f.KIND_APPLICATION
    assert doc[f.TIMESTAMP] == "2024-11-27T09:33:20.014Z"
    assert doc[f.CW_LOG_GROUP] == "/aws/lambda/obs-platform-objects-api"
    assert doc[f.CW_EVENT_ID] == "37000000000000000000000000000000000000000000000000000002"
    assert doc[f.CLOUD_ACCOUNT_ID] == "123456789012"
    assert doc[f.CLOUD_REGION] == "eu-west-1"


def test_powertools_exception_line():
    doc = next(
        d
        for d in docs_of("cloudwatch_function_logs.json")
        if d.get(f.LOG_LEVEL) == "ERROR" and f.ERROR_TYPE in d
    )
    assert doc[f.ERROR_TYPE] == "ClientError"
    assert doc[f.ERROR_STACK_TRACE].startswith("Traceback")
    assert doc[f.HTTP_STATUS] == 500
    assert doc[f.LAMBDA_COLD_START] is False


def test_platform_text_lines():
    docs = [d for d in docs_of("cloudwatch_function_logs.json") if d[f.EVENT_KIND] == f.KIND_PLATFORM]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_type.setdefault(doc[f.LAMBDA_PLATFORM_TYPE], []).append(doc)
    assert sorted(by_type) == ["end", "init_start", "report", "start", "timeout"]
    report = by_type["report"][0]
    assert report[f.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert report[f.LAMBDA_DURATION_MS] == 48.27
    assert report[f.LAMBDA_BILLED_DURATION_MS] == 49
    assert report[f.LAMBDA_MEMORY_SIZE_MB] == 256
    assert report[f.LAMBDA_MAX_MEMORY_USED_MB] == 71
    assert report[f.LAMBDA_INIT_DURATION_MS] == 512.33
    assert report[f.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    assert report[f.EXTRA] == {"segmentid": "4c3e8f1a2b3c4d5e", "sampled": "true"}
    timeout_report = by_type["report"][1]
    assert timeout_report[f.LAMBDA_STATUS] == "timeout"
    assert timeout_report[f.LAMBDA_DURATION_MS] == 3000.0
    assert by_type["start"][0][f.EXTRA] == {"version": "$LATEST"}
    assert by_type["timeout"][0][f.LAMBDA_REQUEST_ID] == "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
    assert by_type["init_start"][0][f.EXTRA]["runtime_version"] == "python:3.12.v38"


def test_runtime_text_line_and_plain_text_are_kept():
    docs = docs_of("cloudwatch_function_logs.json")
    runtime = next(d for d in docs if d[f.MESSAGE] == "something printed by the runtime logger")
    assert runtime[f.LOG_LEVEL] == "ERROR"
    assert runtime[f.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    plain = next(d for d in docs if d[f.MESSAGE].startswith("a print()"))
    assert plain[f.MESSAGE] == "a print() without a logger, kept whole\n"
    assert plain[f.EVENT_KIND] == f.KIND_APPLICATION


def test_platform_json_lines():
    docs = docs_of("cloudwatch_platform_json.json")
    report = next(
        d for d in docs if d.get(f.LAMBDA_PLATFORM_TYPE) == "report" and d[f.LAMBDA_STATUS] == "success"
    )
    assert report[f.LAMBDA_DURATION_MS] == 48.27
    assert report[f.LAMBDA_BILLED_DURATION_MS] == 49
    assert report[f.LAMBDA_INIT_DURATION_MS] == 512.33
    assert report[f.TRACE_ID] == "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"
    timed_out = next(d for d in docs if d.get(f.LAMBDA_STATUS) == "timeout")
    assert timed_out[f.ERROR_TYPE] == "Sandbox.Timedout"
    start = next(d for d in docs if d.get(f.LAMBDA_PLATFORM_TYPE) == "start")
    assert start[f.EXTRA]["version"] == "$LATEST"
    app = next(d for d in docs if d[f.EVENT_KIND] == f.KIND_APPLICATION)
    assert app[f.LAMBDA_REQUEST_ID] == "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
    assert app[f.LOG_LOGGER] == "root"
    assert {d[f.EVENT_KIND] for d in docs} == {f.KIND_PLATFORM, f.KIND_APPLICATION}


def test_access_log_lines_convert_numbers_and_drop_dashes():
    ok, forbidden, timeout = docs_of("cloudwatch_access_logs.json")
    assert ok[f.EVENT_KIND] == f.KIND_ACCESS
    assert ok[f.HTTP_REQUEST_ID] == "Cq3xYjQ8oAMEVHw="
    assert ok[f.HTTP_STATUS] == 200
    assert ok[f.HTTP_RESPONSE_BYTES] == 1834
    assert ok[f.HTTP_LATENCY_MS] == 61.0
    assert ok[f.HTTP_INTEGRATION_LATENCY_MS] == 52.0
    assert ok[f.HTTP_METHOD] == "GET"
    assert ok[f.HTTP_ROUTE] == "GET /objects"
    assert ok[f.SOURCE_IP] == "203.0.113.7"
    assert ok[f.CALLER_ARN] == "arn:aws:iam::123456789012:user/dev"
    assert f.HTTP_INTEGRATION_ERROR not in ok
    assert ok[f.EXTRA]["stage"] == "$default"
    assert forbidden[f.HTTP_STATUS] == 403
    assert forbidden[f.ERROR_MESSAGE] == "Forbidden"
    assert f.CALLER_ARN not in forbidden and f.HTTP_INTEGRATION_LATENCY_MS not in forbidden
    assert timeout[f.HTTP_INTEGRATION_ERROR].endswith("Task timed out")
    assert ok[f.TIMESTAMP] == "2024-11-27T09:33:20.000Z"


def test_non_object_json_and_broken_json_are_plain_text():
    for text in ('["a", 1]', "42", '{"unterminated": ', "{not json}"):
        parsed = parse_message(text)
        assert parsed.fields == {f.MESSAGE: text}
        assert parsed.kind == f.KIND_APPLICATION


def test_unconvertible_numbers_are_kept_as_they_came():
    parsed = parse_message(
        json.dumps({"level": "info", "message": "m", "status": "teapot", "function_memory_size": "x"})
    )
    assert parsed.fields[f.HTTP_STATUS] == "teapot"
    assert parsed.fields[f.LAMBDA_MEMORY_SIZE_MB] == "x"
    assert parsed.fields[f.LOG_LEVEL] == "INFO"


def test_non_string_message_is_serialised():
    parsed = parse_message(json.dumps({"level": "INFO", "message": {"k": [1, 2]}}))
    assert parsed.fields[f.MESSAGE] == '{"k":[1,2]}'


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_no_text_crashes_the_parser(text):
    parsed = parse_message(text)
    assert parsed.kind in f.EVENT_KINDS
    assert isinstance(parsed.fields[f.MESSAGE], str)


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
    assert parsed.kind in f.EVENT_KINDS
    assert isinstance(parsed.fields[f.MESSAGE], str)
    assert dumps(parsed.fields, newline=True).endswith(b"\n")


def test_integers_beyond_64_bits_still_encode():
    # orjson refuses to encode them (Python ints from the parser, a label, a moved value)
    assert (
        dumps({"x": 2**70, "y": [-(2**80)]}, newline=True)
        == b'{"x":1180591620717411303424,"y":[-1208925819614629174706176]}\n'
    )
    parsed = parse_message(json.dumps({"message": 2**70, "level": "INFO", "big": -(2**80)}))
    assert isinstance(parsed.fields[f.MESSAGE], str)
    assert json.loads(dumps(parsed.fields)) == json.loads(json.dumps(parsed.fields))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["START ", "END ", "REPORT ", "INIT_START ", "[ERROR]\t"]), st.text(max_size=200))
def test_no_platform_looking_text_crashes_the_parser(prefix, rest):
    parsed = parse_message(prefix + rest)
    assert parsed.fields[f.MESSAGE]
