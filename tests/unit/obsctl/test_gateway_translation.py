"""Pure parts of the local gateway: EMF extraction (as CloudWatch does it) and response translation."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from local_platform.gateway import emf_metric_data, http_response
from local_platform.lambda_runtime import Invocation

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
