"""Pure parts of the local gateway: the event, EMF extraction (as CloudWatch does it), responses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from local_platform.gateway import Credentials, Request, emf_metric_data, http_response
from local_platform.gateway.event import build_event
from local_platform.gateway.request import BadTarget
from local_platform.http_server import HttpRequest
from local_platform.lambda_runtime import Invocation
from local_platform.names import LocalNames

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _invocation(result: object = None, error: BaseException | None = None) -> Invocation:
    return Invocation("rid", result, error, [], 1.0, None, "1-abc-def")


def test_emf_line_becomes_one_datum_per_metric_value_and_dimension_set() -> None:
    line = json.dumps(
        {
            "_aws": {
                "Timestamp": 1,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "NS",
                        "Dimensions": [["service"], ["service", "function_name"]],
                        "Metrics": [{"Name": "A", "Unit": "Count"}, {"Name": "B", "Unit": "Milliseconds"}],
                    }
                ],
            },
            "service": "svc",
            "function_name": "fn",
            "A": [1, 2],
            "B": 3.5,
        }
    )
    data = emf_metric_data(["START RequestId: x", line, "not json {"], NOW)
    assert all(ns == "NS" for ns, _ in data)
    got = sorted((d["MetricName"], d["Value"], len(d["Dimensions"])) for _, d in data)
    assert got == [("A", 1.0, 1), ("A", 1.0, 2), ("A", 2.0, 1), ("A", 2.0, 2), ("B", 3.5, 1), ("B", 3.5, 2)]
    assert {d["Unit"] for _, d in data if d["MetricName"] == "B"} == {"Milliseconds"}


def test_lines_without_aws_block_are_not_metrics() -> None:
    assert emf_metric_data(['{"level": "INFO", "message": "_aws"}', '{"_aws": "broken"'], NOW) == []


def test_proxy_result_is_translated() -> None:
    result = {"statusCode": 503, "headers": {"Retry-After": "1"}, "body": '{"error":"x"}'}
    assert http_response(_invocation(result)) == (503, {"Retry-After": "1"}, b'{"error":"x"}')


def test_base64_body_is_decoded() -> None:
    result = {"statusCode": 200, "body": "aGk=", "isBase64Encoded": True}
    assert http_response(_invocation(result))[2] == b"hi"


def test_bare_value_is_a_200_json_body() -> None:
    assert http_response(_invocation({"a": 1})) == (200, {}, b'{"a":1}')


def test_unhandled_exception_is_api_gateways_500() -> None:
    assert http_response(_invocation(error=RuntimeError("x"))) == (
        500,
        {},
        b'{"message":"Internal Server Error"}',
    )


def _request(target: str, headers: tuple[tuple[str, str], ...], body: bytes = b"") -> Request:
    return Request.from_http(HttpRequest("GET", target, headers, body, "127.0.0.1"), NOW)


def test_event_carries_the_values_the_signature_covered() -> None:
    request = _request(
        "//objects?prefix=a+b&prefix=c%2Bd&&limit=2",
        (("Host", "127.0.0.1:8080"), ("X-Tenant", " a "), ("x-tenant", "b  c"), ("User-Agent", "t")),
        b"\x00\xff",
    )
    caller = Credentials("AKIDLOCAL", "secret").caller
    event = build_event(request, caller, LocalNames(region="eu-west-1"))
    assert event["rawPath"] == "//objects" and event["routeKey"] == "$default"
    assert event["rawQueryString"] == "prefix=a+b&prefix=c%2Bd&&limit=2"
    assert event["queryStringParameters"] == {"prefix": "a b,c+d", "limit": "2"}
    assert event["headers"] == {"host": "127.0.0.1:8080", "user-agent": "t", "x-tenant": "a,b c"}
    assert event["requestContext"]["authorizer"]["iam"]["userArn"].endswith(":user/local-caller")
    assert (event["body"], event["isBase64Encoded"]) == ("AP8=", True)


@pytest.mark.parametrize("target", ["http://evil.example/objects", "*", "objects", "/objects#frag"])
def test_a_target_that_is_not_a_path_is_refused(target: str) -> None:
    with pytest.raises(BadTarget):
        _request(target, ())
