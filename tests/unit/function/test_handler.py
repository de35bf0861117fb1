"""The listing function end to end in-process: real handler, moto S3, captured stdout."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from function import app
from function.config import ConfigError
from function.errors import RETRY_AFTER_SECONDS
from signals import logs as fields
from signals import metrics as M
from signals.services import API_SERVICE

from .support import BUCKET, LambdaContext, app_logs, body, emf, list_event, load_event, make_s3_fail

REQUEST_ID = "CmHeQiWdjoEEJlw="  # requestContext.requestId of tests/events/apigw_list_objects.json
CALLER_ARN = "arn:aws:iam::123456789012:user/sre-alice"


def put_objects(s3: Any, keys: list[str]) -> None:
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())


def test_walks_250_objects_with_limit_7_each_key_once(s3, invoke):
    # Given 250 objects, some outside the prefix
    keys = [f"reports/{index:03d}.csv" for index in range(250)]
    put_objects(s3, [*keys, "other/ignored.csv"])
    seen: list[str] = []
    token: str | None = None
    pages = 0
    # When paging through with limit=7
    while True:
        params = {"prefix": "reports/", "limit": "7"}
        if token:
            params["next_token"] = token
        response, _ = invoke(list_event(params))
        assert response["statusCode"] == 200
        page = body(response)
        assert page["count"] == len(page["items"]) <= 7
        seen += [item["key"] for item in page["items"]]
        pages += 1
        token = page["next_token"]
        if token is None:
            break
    # Then every key shows up exactly once, in order, in ceil(250/7) pages
    assert seen == keys
    assert pages == 36


def test_item_has_exactly_the_documented_fields(s3, invoke):
    put_objects(s3, ["a.txt"])
    response, _ = invoke(list_event())
    assert response["headers"]["content-type"] == "application/json"
    (item,) = body(response)["items"]
    assert set(item) == {"key", "size", "last_modified", "etag", "storage_class"}
    assert item["key"] == "a.txt"
    assert item["size"] == 5
    assert item["last_modified"].endswith("Z") and "T" in item["last_modified"]
    assert not item["etag"].startswith('"')
    assert item["storage_class"] == "STANDARD"
    assert body(response)["next_token"] is None


@pytest.mark.parametrize(
    ("params", "raw_query", "message"),
    [
        ({"prefix": "a" * 1025}, None, "prefix must be at most 1024 bytes of UTF-8"),
        ({"prefix": "é" * 513}, None, "prefix must be at most 1024 bytes of UTF-8"),
        ({"prefix": "logs/\x00"}, None, "prefix must not contain control characters"),
        ({"prefix": "logs/\n"}, None, "prefix must not contain control characters"),
        ({"prefix": "logs/\x85"}, None, "prefix must not contain control characters"),
        ({"limit": "0"}, None, "limit must be an integer from 1 to 1000"),
        ({"limit": "1001"}, None, "limit must be an integer from 1 to 1000"),
        ({"limit": "abc"}, None, "limit must be an integer from 1 to 1000"),
        ({"limit": "-1"}, None, "limit must be an integer from 1 to 1000"),
        ({"limit": ""}, None, "limit must be an integer from 1 to 1000"),
        ({"next_token": "not-a-token"}, None, "next_token is not a valid token"),
        ({"next_token": "!!!"}, None, "next_token is not a valid token"),
        ({"page": "2"}, None, "unknown query parameter: page"),
        ({"limit": "5,6"}, "limit=5&limit=6", "query parameter given more than once: limit"),
    ],
)
def test_bad_parameter_gives_exact_400(s3, invoke, params, raw_query, message):
    response, lines = invoke(list_event(params, raw_query))
    assert response["statusCode"] == 400
    assert body(response) == {"error": "bad_request", "message": message}
    (log,) = app_logs(lines)
    assert log[fields.APP_STATUS] == 400
    assert log[fields.PT_CORRELATION_ID] == REQUEST_ID


def _first_token(invoke, prefix: str) -> str:
    response, _ = invoke(list_event({"prefix": prefix, "limit": "1"}))
    token = body(response)["next_token"]
    assert isinstance(token, str)
    return token


def test_tampered_token_is_rejected(s3, invoke):
    put_objects(s3, ["p/1", "p/2", "p/3"])
    token = _first_token(invoke, "p/")
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    response, _ = invoke(list_event({"prefix": "p/", "next_token": tampered}))
    assert response["statusCode"] == 400
    assert body(response) == {"error": "bad_request", "message": "next_token is not a valid token"}


def test_token_for_another_prefix_is_rejected(s3, invoke):
    put_objects(s3, ["p/1", "p/2", "q/1"])
    token = _first_token(invoke, "p/")
    response, _ = invoke(list_event({"prefix": "q/", "next_token": token}))
    assert response["statusCode"] == 400
    message = "next_token was issued for a different prefix"
    assert body(response) == {"error": "bad_request", "message": message}


def test_token_signed_with_another_secret_is_rejected(s3, invoke, monkeypatch):
    put_objects(s3, ["p/1", "p/2"])
    token = _first_token(invoke, "p/")
    monkeypatch.setenv("NEXT_TOKEN_SECRET", "a-rotated-secret-0123456789abcdefghij")
    app.reset_runtime()
    response, _ = invoke(list_event({"prefix": "p/", "next_token": token}))
    assert body(response) == {"error": "bad_request", "message": "next_token is not a valid token"}


def test_s3_failure_gives_fixed_500_and_error_log_with_correlation_id(s3, invoke):
    # Given S3 answering 500 InternalError
    make_s3_fail(500, "InternalError")
    # When listing
    response, lines = invoke(list_event())
    # Then the caller sees only the fixed shape with the API request id
    assert response["statusCode"] == 500
    assert body(response) == {"error": "internal_error", "request_id": REQUEST_ID}
    assert "InternalError" not in response["body"]
    # And the detail is in one ERROR line carrying the correlation id
    (error,) = [line for line in app_logs(lines) if line[fields.PT_LEVEL] == "ERROR"]
    assert error[fields.PT_CORRELATION_ID] == REQUEST_ID
    assert error[fields.APP_STATUS] == 500
    assert error[fields.PT_EXCEPTION_NAME] == "ClientError"
    assert "InternalError" in error[fields.PT_EXCEPTION]
    assert error[fields.APP_CALLER_ARN] == CALLER_ARN
    (metric_line,) = emf(lines)
    assert value(metric_line, M.INTERNAL_ERRORS) == 1


@pytest.mark.parametrize(("status", "code"), [(503, "SlowDown"), (400, "RequestLimitExceeded"), (503, "")])
def test_s3_throttling_gives_503_with_retry_after(s3, invoke, status, code):
    make_s3_fail(status, code or "ServiceUnavailable")
    response, lines = invoke(list_event())
    assert response["statusCode"] == 503
    assert response["headers"]["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert body(response) == {"error": "service_unavailable", "request_id": REQUEST_ID}
    (log,) = app_logs(lines)
    assert log[fields.PT_LEVEL] == "WARNING"
    assert log[fields.APP_STATUS] == 503
    (metric_line,) = emf(lines)
    assert M.S3_THROTTLED in metric_line


def test_unexpected_exception_is_a_fixed_500(s3, invoke, monkeypatch):
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("bug in the listing code")

    monkeypatch.setattr(app, "list_page", broken)
    response, lines = invoke(list_event())
    assert body(response) == {"error": "internal_error", "request_id": REQUEST_ID}
    (error,) = [line for line in app_logs(lines) if line[fields.PT_LEVEL] == "ERROR"]
    assert "bug in the listing code" in error[fields.PT_EXCEPTION]


def test_unknown_route_on_catch_all_is_404(s3, invoke):
    response, lines = invoke(load_event("apigw_default_route_post.json"))
    assert response["statusCode"] == 404
    assert body(response) == {"error": "not_found", "message": "no route for POST /objects/report.csv"}
    (log,) = app_logs(lines)
    assert log[fields.APP_STATUS] == 404
    (metric_line,) = emf(lines)
    assert value(metric_line, M.BAD_REQUESTS) == 1


@pytest.mark.parametrize(
    ("route_key", "method", "path", "stage", "status"),
    [
        ("$default", "GET", "/objects", "$default", 200),
        ("$default", "GET", "/prod/objects", "prod", 200),
        ("$default", "GET", "/", "$default", 404),
        ("$default", "DELETE", "/objects", "$default", 404),
        ("ANY /{proxy+}", "GET", "/objects", "$default", 404),
    ],
)
def test_routing(s3, invoke, route_key, method, path, stage, status):
    event = list_event()
    event.update(routeKey=route_key, rawPath=path)
    event["requestContext"].update(routeKey=route_key, stage=stage)
    event["requestContext"]["http"].update(method=method, path=path)
    response, _ = invoke(event)
    assert response["statusCode"] == status


def test_log_lines_carry_powertools_and_audit_keys(s3, invoke):
    put_objects(s3, ["a", "b"])
    _, lines = invoke(list_event())
    (log,) = app_logs(lines)
    for key in fields.POWERTOOLS_KEYS:
        if key != fields.PT_XRAY_TRACE_ID:  # only present when Lambda sets _X_AMZN_TRACE_ID
            assert key in log, key
    assert log[fields.PT_SERVICE] == API_SERVICE
    assert log[fields.PT_FUNCTION_NAME] == LambdaContext.function_name
    assert log[fields.PT_CORRELATION_ID] == REQUEST_ID
    assert log[fields.APP_CALLER_ARN] == CALLER_ARN
    assert log[fields.APP_CALLER_ACCOUNT] == "123456789012"
    assert log[fields.APP_ROUTE] == "GET /objects"
    assert log[fields.APP_STATUS] == 200
    assert log["count"] == 2


def test_trace_id_is_logged_when_lambda_sets_it(s3, invoke, monkeypatch):
    trace_header = "Root=1-6746f2a9-4b0e1c5d6f7a8b9c0d1e2f3a;Parent=53995c3f42cd8ad8;Sampled=0"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace_header)
    _, lines = invoke(list_event())
    (log,) = app_logs(lines)
    assert log[fields.PT_XRAY_TRACE_ID] == "1-6746f2a9-4b0e1c5d6f7a8b9c0d1e2f3a"


def value(line: dict[str, Any], name: str) -> float:
    """EMF allows a number or an array of numbers; Powertools writes arrays."""
    raw = line[name]
    (number,) = raw if isinstance(raw, list) else [raw]
    return float(number)


def _metric_names(line: dict[str, Any]) -> set[str]:
    directive = line["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == M.NAMESPACE
    return {definition["Name"] for definition in directive["Metrics"]}


def test_emf_lines_hold_catalog_metrics(s3, invoke):
    put_objects(s3, ["a", "b", "c"])
    _, lines = invoke(list_event())
    names: set[str] = set()
    for line in emf(lines):
        names |= _metric_names(line)
        assert line[M.DIM_SERVICE] == API_SERVICE
    assert {M.LIST_REQUESTS, M.OBJECTS_LISTED, M.S3_LATENCY} <= names
    assert names <= set(M.FUNCTION_METRICS)
    business = next(line for line in emf(lines) if M.OBJECTS_LISTED in line)
    assert value(business, M.OBJECTS_LISTED) == 3
    assert value(business, M.S3_LATENCY) > 0

    _, lines = invoke(list_event({"limit": "0"}))
    assert _metric_names(emf(lines)[0]) == {M.BAD_REQUESTS}


def test_cold_start_metric_is_emitted_once_per_environment(s3, invoke, monkeypatch):
    from aws_lambda_powertools.metrics.provider import cold_start

    monkeypatch.setattr(cold_start, "is_cold_start", True)
    _, first = invoke(list_event())
    _, second = invoke(list_event())
    cold = [line for line in emf(first) if M.COLD_START in line]
    assert len(cold) == 1
    assert cold[0][M.DIM_FUNCTION_NAME] == LambdaContext.function_name
    assert not [line for line in emf(second) if M.COLD_START in line]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BUCKET_NAME", None),
        ("BUCKET_NAME", "Not_A_Bucket"),
        ("NEXT_TOKEN_SECRET", None),
        ("NEXT_TOKEN_SECRET", "short"),
        ("S3_READ_TIMEOUT", "soon"),
        ("S3_CONNECT_TIMEOUT", "0"),
        ("S3_MAX_ATTEMPTS", "11"),
        ("AWS_REGION", None),
    ],
)
def test_config_error_names_the_setting(s3, invoke, monkeypatch, variable, value):
    if value is None:
        monkeypatch.delenv(variable)
        if variable == "AWS_REGION":
            monkeypatch.delenv("AWS_DEFAULT_REGION")
    else:
        monkeypatch.setenv(variable, value)
    app.reset_runtime()
    # Without the key in the environment the function needs the secret's ARN (infra/live sets it).
    expected = "NEXT_TOKEN_SECRET_ARN" if (variable, value) == ("NEXT_TOKEN_SECRET", None) else variable
    with pytest.raises(ConfigError, match=variable) as raised:
        invoke(list_event())
    assert raised.value.setting == expected


def test_config_error_is_logged_with_the_setting(s3, capsys, monkeypatch):
    monkeypatch.delenv("BUCKET_NAME")
    app.reset_runtime()
    with pytest.raises(ConfigError):
        app.handler(list_event(), LambdaContext())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (error,) = [line for line in app_logs(lines) if line[fields.PT_LEVEL] == "ERROR"]
    assert error["setting"] == "BUCKET_NAME"
    assert "BUCKET_NAME is not set" in error[fields.PT_MESSAGE]


def test_debug_lines_are_sampled(s3, invoke, monkeypatch):
    # POWERTOOLS_LOGGER_SAMPLE_RATE=1 turns every invocation's DEBUG lines on.
    monkeypatch.setattr(app.logger, "sampling_rate", 1.0)
    invoke(list_event())  # the first (cold) invocation does not re-sample
    _, lines = invoke(list_event({"prefix": "x/"}))
    assert any(line[fields.PT_LEVEL] == "DEBUG" and line.get("prefix") == "x/" for line in app_logs(lines))
    monkeypatch.setattr(app.logger, "sampling_rate", 0.0)
    app.logger.refresh_sample_rate_calculation()


def test_subsegments_reach_the_xray_daemon(s3, invoke, monkeypatch):
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(2)
    try:
        root = "1-6746f2a9-4b0e1c5d6f7a8b9c0d1e2f3a"
        monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1")
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"127.0.0.1:{daemon.getsockname()[1]}")
        put_objects(s3, ["a"])
        invoke(list_event())
        docs = []
        for _ in range(2):
            header, _, document = daemon.recv(65536).partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            docs.append(json.loads(document))
    finally:
        daemon.close()
    s3_doc, handler_doc = docs  # the child ends first
    assert handler_doc["name"] == "## handler"
    assert handler_doc["namespace"] == "local"
    assert handler_doc["parent_id"] == "53995c3f42cd8ad8"
    assert handler_doc["annotations"]["Service"] == API_SERVICE
    assert handler_doc["annotations"]["Status"] == 200
    assert "ColdStart" in handler_doc["annotations"]
    assert s3_doc["name"] == "s3"
    assert s3_doc["namespace"] == "aws"
    assert s3_doc["parent_id"] == handler_doc["id"]
    assert s3_doc["trace_id"] == handler_doc["trace_id"] == root
    assert s3_doc["aws"]["operation"] == "ListObjectsV2"
    assert s3_doc["aws"]["bucket_name"] == BUCKET
    assert s3_doc["http"]["response"]["status"] == 200
    assert s3_doc["start_time"] <= s3_doc["end_time"]


@pytest.mark.parametrize(
    "params",
    [
        {"prefix": "a" * 1024},
        {"prefix": "é" * 512},
        {"prefix": "日本/ü ~!*'();:@&=+$,?#[]"},
        {"prefix": ""},
        {"limit": "1"},
        {"limit": "1000"},
        {"limit": "0100"},
    ],
)
def test_boundary_values_are_accepted(s3, invoke, params):
    put_objects(s3, ["日本/ü ~!*'();:@&=+$,?#[]/x"])
    response, _ = invoke(list_event(params))
    assert response["statusCode"] == 200, body(response)
    if params.get("prefix", "").startswith("日本"):
        assert [item["key"] for item in body(response)["items"]] == ["日本/ü ~!*'();:@&=+$,?#[]/x"]
