"""The metrics AWS publishes per request: ``AWS/ApiGateway`` for the API, ``AWS/Lambda`` for the function."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from local_platform.gateway.request import Outcome
from local_platform.names import LocalNames
from signals import metrics as M

__all__ = [
    "api_metric_data",
    "lambda_metric_data",
]

Datum = dict[str, Any]


def api_metric_data(outcome: Outcome, names: LocalNames, now: datetime) -> list[Datum]:
    """Count, 4xx, 5xx, Latency, DataProcessed (and IntegrationLatency), for each dimension set."""
    dimension_sets = [
        [{"Name": M.APIGW_DIM_API_ID, "Value": names.api_id}],
        [
            {"Name": M.APIGW_DIM_API_ID, "Value": names.api_id},
            {"Name": M.APIGW_DIM_STAGE, "Value": names.stage},
        ],
    ]
    status = outcome.status
    values: list[tuple[str, float, str]] = [
        (M.APIGW_COUNT, 1, "Count"),
        (M.APIGW_4XX, 1 if 400 <= status < 500 else 0, "Count"),
        (M.APIGW_5XX, 1 if status >= 500 else 0, "Count"),
        (M.APIGW_LATENCY, outcome.latency_ms, "Milliseconds"),
        (M.APIGW_DATA_PROCESSED, len(outcome.body), "Bytes"),
    ]
    if outcome.integration_ms is not None:
        values.append((M.APIGW_INTEGRATION_LATENCY, outcome.integration_ms, "Milliseconds"))
    return [
        {"MetricName": name, "Dimensions": dims, "Value": value, "Unit": unit, "Timestamp": now}
        for dims in dimension_sets
        for name, value, unit in values
    ]


def lambda_metric_data(outcome: Outcome, function_name: str, now: datetime) -> list[Datum]:
    """The function's invocation metrics; none when the gateway refused the request."""
    invocation = outcome.invocation
    if invocation is None:
        return []
    dims = [{"Name": M.LAMBDA_DIM_FUNCTION, "Value": function_name}]
    values: list[tuple[str, float, str]] = [
        (M.LAMBDA_INVOCATIONS, 1, "Count"),
        (M.LAMBDA_ERRORS, 1 if invocation.error is not None else 0, "Count"),
        (M.LAMBDA_THROTTLES, 0, "Count"),
        (M.LAMBDA_DURATION, invocation.duration_ms, "Milliseconds"),
        (M.LAMBDA_CONCURRENT, 1, "Count"),
    ]
    return [
        {"MetricName": n, "Dimensions": dims, "Value": v, "Unit": u, "Timestamp": now} for n, v, u in values
    ]
