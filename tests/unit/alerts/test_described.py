"""alerts.described: a DescribeAlarms response as the engine's objects.

The sample (tests/events/cloudwatch_describe_alarms.json) is part of what moto returned after the
real Terraform applied infra/modules/alerting/examples/complete (prefix ``example``); the whole
round trip is tests/integration/test_alarms_described.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from alerts.described import (
    ALARM_TYPES,
    UnsupportedAlarm,
    describe_alarms,
    from_describe_alarms,
    merge_pages,
)
from alerts.engine import evaluate_alarm
from alerts.model import MathAlarm, MetricAlarm

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "cloudwatch_describe_alarms.json"
PREFIX = "example"


@pytest.fixture
def response() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SAMPLE.read_text())
    return loaded


def _metric(response: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in response["MetricAlarms"] if a["AlarmName"] == f"{PREFIX}-{name}")


def test_the_sample_converts_with_names_without_the_prefix_and_literal_dimensions(response):
    described = from_describe_alarms(response, PREFIX)

    assert [a.name for a in described.metric_alarms] == [
        "api-5xx-rate",
        "api-availability-fast-long",
        "api-availability-fast-short",
        "api-latency-p99",
        "function-throttles",
    ]
    throttles = described.metric_alarms[-1]
    assert isinstance(throttles, MetricAlarm)
    assert (throttles.namespace, throttles.metric_name, throttles.dimensions) == (
        "AWS/Lambda",
        "Throttles",
        (("FunctionName", "example-api"),),
    )
    assert (
        throttles.statistic,
        throttles.period,
        throttles.evaluation_periods,
        throttles.datapoints_to_alarm,
    ) == (
        "Sum",
        60,
        5,
        3,
    )
    assert (throttles.comparison, throttles.threshold, throttles.treat_missing_data) == (
        "GreaterThanThreshold",
        0,
        "notBreaching",
    )
    assert throttles.severity == "ticket"
    assert throttles.runbook == "https://github.com/OWNER/REPO/blob/main/alerts/RUNBOOK.md#throttling"
    rate = described.metric_alarms[0]
    assert isinstance(rate, MathAlarm)
    assert rate.expression == "100 * FILL(errors, 0) / requests"
    # inputs in id order, each with its dimensions sorted by name (CloudWatch's sets)
    assert [
        (s.id, s.metric.metric_name, s.metric.dimensions, s.statistic, s.period) for s in rate.metrics
    ] == [
        ("errors", "5xx", (("ApiId", "a1b2c3d4e5"), ("Stage", "$default")), "Sum", 60),
        ("requests", "Count", (("ApiId", "a1b2c3d4e5"), ("Stage", "$default")), "Sum", 60),
    ]
    assert described.metric_alarms[3].statistic == "p99"  # type: ignore[union-attr]
    (burn,) = described.composites
    assert burn.rule == "ALARM(api-availability-fast-long) AND ALARM(api-availability-fast-short)"
    assert (burn.severity, described.severity("api-availability-fast-long")) == ("ticket", "info")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (lambda a: a.__setitem__("Threshold", 7.0), "threshold", 7.0),
        (lambda a: a["Dimensions"][0].__setitem__("Value", "example-shipper"), "dimensions",
         (("FunctionName", "example-shipper"),)),
        (lambda a: a.__setitem__("DatapointsToAlarm", 5), "datapoints_to_alarm", 5),
        (lambda a: a.__setitem__("TreatMissingData", "breaching"), "treat_missing_data", "breaching"),
        (lambda a: a.__setitem__("AlarmDescription", a["AlarmDescription"].replace("[ticket]", "[page]")),
         "severity", "page"),
    ],
)  # fmt: skip
def test_a_drift_in_a_described_alarm_is_visible_in_its_object(
    response: dict[str, Any], change: Callable[[dict[str, Any]], None], field: str, expected: Any
) -> None:
    # Given the alarm as Terraform created it, and the same alarm changed in one member
    original = from_describe_alarms(response, PREFIX).metric_alarms[-1]
    drifted_response = copy.deepcopy(response)
    change(_metric(drifted_response, "function-throttles"))

    drifted = from_describe_alarms(drifted_response, PREFIX).metric_alarms[-1]

    # Then exactly that field differs
    assert getattr(drifted, field) == expected != getattr(original, field)
    assert {name for name in vars(original) if getattr(original, name) != getattr(drifted, name)} == {field}


def test_a_drifted_threshold_changes_what_the_engine_decides(response):
    # Given 4 throttles a minute for 5 minutes: above the created threshold (0), not above 7
    original = from_describe_alarms(response, PREFIX).metric_alarms[-1]
    _metric(response, "function-throttles")["Threshold"] = 7.0
    drifted = from_describe_alarms(response, PREFIX).metric_alarms[-1]
    datapoints = dict.fromkeys(range(0, 300, 60), 4.0)

    assert evaluate_alarm(original, datapoints, -60, 300).final_state == "ALARM"
    assert evaluate_alarm(drifted, datapoints, -60, 300).final_state == "OK"


def test_composite_rules_accept_bare_names_arns_and_parentheses(response):
    burn = response["CompositeAlarms"][0]
    burn["AlarmRule"] = (
        "(ALARM(example-api-availability-fast-long) AND "
        'ALARM("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:example-api-availability-fast-short")) '
        "OR NOT OK(example-api-5xx-rate)"
    )
    burn["ActionsSuppressor"] = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:example-function-throttles"
    burn["ActionsSuppressorWaitPeriod"] = 30
    burn["ActionsSuppressorExtensionPeriod"] = 90

    (composite,) = from_describe_alarms(response, PREFIX).composites

    assert composite.rule == (
        "(ALARM(api-availability-fast-long) AND ALARM(api-availability-fast-short)) OR NOT OK(api-5xx-rate)"
    )
    assert composite.children() == (
        "api-availability-fast-long",
        "api-availability-fast-short",
        "api-5xx-rate",
    )
    assert (
        composite.actions_suppressor,
        composite.suppressor_wait_period,
        composite.suppressor_extension_period,
    ) == (
        "function-throttles",
        30,
        90,
    )


def _set(kind: str, name: str, **members: Any) -> Callable[[dict[str, Any]], None]:
    def change(response: dict[str, Any]) -> None:
        alarm = next(a for a in response[kind] if a["AlarmName"] == f"{PREFIX}-{name}")
        for member, value in members.items():
            if value is None:
                alarm.pop(member, None)
            else:
                alarm[member] = value

    return change


def _nested_expression(response: dict[str, Any]) -> None:
    metrics = _metric(response, "api-5xx-rate")["Metrics"]
    metrics.append({"Id": "rate", "Expression": "errors / requests", "ReturnData": False})


UNSUPPORTED = {
    "unknown statistic": (
        _set("MetricAlarms", "api-latency-p99", ExtendedStatistic="IQM"),
        "example-api-latency-p99: unknown statistic 'IQM'",
    ),
    "trimmed mean": (
        _set("MetricAlarms", "api-latency-p99", ExtendedStatistic="tm99"),
        "example-api-latency-p99: unknown statistic 'tm99'",
    ),
    "anomaly detection": (
        _set("MetricAlarms", "api-5xx-rate", ThresholdMetricId="band", Threshold=None),
        "example-api-5xx-rate: ThresholdMetricId 'band': anomaly detection",
    ),
    "anomaly band comparison": (
        _set("MetricAlarms", "function-throttles",
             ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold"),
        "example-function-throttles: comparison 'LessThanLowerOrGreaterThanUpperThreshold' is not modelled",
    ),
    "unit filter": (
        _set("MetricAlarms", "function-throttles", Unit="Count"),
        "example-function-throttles: Unit 'Count': a unit filter",
    ),
    "low sample count ignored": (
        _set("MetricAlarms", "api-latency-p99", EvaluateLowSampleCountPercentile="ignore"),
        "example-api-latency-p99: EvaluateLowSampleCountPercentile 'ignore' is not modelled",
    ),
    "wall clock window in a time zone": (
        _set("MetricAlarms", "function-throttles",
             EvaluationWindow={"WallClockWindow": {"Timezone": "Europe/Paris"}}),
        "example-function-throttles: a wall clock window in Europe/Paris",
    ),
    "nested metric math": (_nested_expression, "example-api-5xx-rate: the engine models metric math as one"),
    "a math function the engine lacks": (
        lambda r: _metric(r, "api-5xx-rate")["Metrics"][-1].__setitem__("Expression", "RATE(errors)"),
        r"example-api-5xx-rate: unsupported function RATE\(\)",
    ),
    "a description Terraform did not write": (
        _set("MetricAlarms", "function-throttles", AlarmDescription="Throttles."),
        "example-function-throttles: the description 'Throttles.' is not",
    ),
    "a name outside the prefix": (
        _set("MetricAlarms", "function-throttles", AlarmName="other-function-throttles"),
        "other-function-throttles: 'other-function-throttles' is not named example-<alarm>",
    ),
    "a rule the engine cannot read": (
        _set("CompositeAlarms", "api-availability-fast-burn",
             AlarmRule='AT_LEAST(2, ALARM, ("example-api-5xx-rate", "example-function-throttles"))'),
        "example-api-availability-fast-burn: cannot read the alarm rule at 'AT_LEAST",
    ),
    "a rule that ends early": (
        _set("CompositeAlarms", "api-availability-fast-burn", AlarmRule='ALARM("example-api-5xx-rate") AND'),
        "example-api-availability-fast-burn: the alarm rule .* does not parse",
    ),
    "a child that was not described": (
        _set("CompositeAlarms", "api-availability-fast-burn", AlarmRule='ALARM("example-gone")'),
        "example-api-availability-fast-burn: refers to example-gone, which DescribeAlarms did not return",
    ),
    "a child of another deployment": (
        _set("CompositeAlarms", "api-availability-fast-burn", AlarmRule='ALARM("other-api-5xx-rate")'),
        "example-api-availability-fast-burn: 'other-api-5xx-rate' is not named example-<alarm>",
    ),
    "a log alarm": (
        lambda r: r.__setitem__("LogAlarms", [{"AlarmName": "example-log-alarm"}]),
        "example-log-alarm: log alarms are not modelled",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_what_the_engine_cannot_represent_is_an_error_naming_the_alarm(response, case):
    change, message = UNSUPPORTED[case]
    change(response)

    with pytest.raises(UnsupportedAlarm, match=message):
        from_describe_alarms(response, PREFIX)


class _AwsLikeClient:
    """DescribeAlarms as the API reference documents it: without ``AlarmTypes`` only metric
    alarms, and at most ``page_size`` alarms of each type per page."""

    def __init__(self, response: Mapping[str, Any], page_size: int = 2) -> None:
        self.response, self.page_size = response, page_size
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, operation: str) -> _AwsLikeClient:
        assert operation == "describe_alarms"
        return self

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        types = kwargs.get("AlarmTypes") or ["MetricAlarm"]
        prefix = kwargs["AlarmNamePrefix"]
        lists = {
            key: [a for a in self.response[key] if a["AlarmName"].startswith(prefix)] if kind in types else []
            for key, kind in (("MetricAlarms", "MetricAlarm"), ("CompositeAlarms", "CompositeAlarm"))
        }
        longest = max(len(alarms) for alarms in lists.values())
        for start in range(0, longest, self.page_size):
            yield {key: alarms[start : start + self.page_size] for key, alarms in lists.items()}


def test_describe_alarms_asks_for_composites_and_merges_every_page(response):
    client = _AwsLikeClient(response)

    merged = describe_alarms(client, PREFIX)

    assert client.calls == [{"AlarmNamePrefix": f"{PREFIX}-", "AlarmTypes": list(ALARM_TYPES)}]
    assert merged["MetricAlarms"] == response["MetricAlarms"]
    assert merged["CompositeAlarms"] == response["CompositeAlarms"]
    a, b, c = ({"AlarmName": name} for name in "abc")
    assert merge_pages([{"MetricAlarms": [a]}, {"MetricAlarms": [b], "LogAlarms": [c]}]) == {
        "MetricAlarms": [a, b],
        "CompositeAlarms": [],
        "LogAlarms": [c],
    }
