"""Aggregation, metric math and composite evaluation of the backtester's engine."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.engine import (
    Result,
    Transition,
    aggregate,
    detection_delay,
    evaluate_alarm,
    evaluate_composites,
    false_alarms,
    rule_value,
    statistic_value,
)
from alerts.mathexpr import ExpressionError, evaluate, parse
from alerts.model import CompositeAlarm, MathAlarm, MetricAlarm, MetricRef, MetricStat, State

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("statistic", "expected"),
    [("SampleCount", 10), ("Sum", 55), ("Average", 5.5), ("Minimum", 1), ("Maximum", 10),
     ("p50", 5), ("p90", 9), ("p99", 10), ("p10", 1), ("p85.6", 9)],
)  # fmt: skip
def test_statistics_use_nearest_rank_percentiles(statistic, expected):
    assert statistic_value([float(v) for v in range(10, 0, -1)], statistic) == expected


def test_aggregate_buckets_by_period_start_and_skips_no_data_points():
    points = [(T0 + 5, 1.0), (T0 + 59, 2.0), (T0 + 60, None), (T0 + 130, 4.0)]
    assert aggregate(points, "Sum", 60) == {T0: 3.0, T0 + 120: 4.0}


def test_aggregate_rejects_non_finite_values():
    with pytest.raises(ValueError, match="not a finite number"):
        aggregate([(T0, float("nan"))], "Sum", 60)


def test_math_follows_cloudwatch_semantics():
    node = parse("100 * FILL(errors, 0) / requests")
    series = {"errors": {0: 1.0}, "requests": {0: 4.0, 60: 5.0, 120: 0.0}}
    # missing errors are filled with 0, division by zero gives no value, no requests gives no value
    assert evaluate(node, series, [0, 60, 120, 180]) == {0: 25.0, 60: 0.0}
    assert parse("-(a - b) * 2").ids() == {"a", "b"}


@pytest.mark.parametrize("text", ["a +", "SUM(a)", "a $ b", "FILL(a, b)", "(a", "a b"])
def test_unsupported_expressions_are_rejected(text):
    with pytest.raises(ExpressionError):
        parse(text)


def _alarm(**overrides):
    fields: dict[str, Any] = dict(  # noqa: C408
        name="t",
        namespace="Test",
        metric_name="Errors",
        dimensions=(),
        statistic="Sum",
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        comparison="GreaterThanThreshold",
        threshold=5,
        treat_missing_data="notBreaching",
        severity="ticket",
        description="test",
        runbook="alerts/RUNBOOK.md#t",
    )
    fields.update(overrides)
    return MetricAlarm(**fields)


def test_alarm_starts_insufficient_and_records_each_transition_with_a_reason():
    # Given two breaching minutes out of three, then calm
    values = {T0 + i * 60: v for i, v in enumerate([0, 9, 9, 0, 0, 0, 0, 0])}
    # When replayed
    result = evaluate_alarm(_alarm(), values, T0, T0 + 8 * 60)
    # Then INSUFFICIENT_DATA -> OK at the first evaluation, ALARM once 2 of 3 breach, OK when not
    assert [(t.timestamp - T0, t.state) for t in result.transitions] == [
        (60, "OK"),
        (180, "ALARM"),
        (300, "OK"),
    ]
    assert "greater than the threshold (5)" in result.transitions[1].reason
    assert false_alarms(result) == 1
    assert detection_delay(result, T0 + 60) == 120
    assert detection_delay(result, T0 + 400) is None


def test_math_alarm_needs_known_ids():
    metric = MetricRef("AWS/ApiGateway", "5xx")
    with pytest.raises(ValueError, match="unknown ids"):
        MathAlarm(
            name="bad",
            expression="a / b",
            metrics=(MetricStat("a", metric, "Sum", 60),),
            label="x",
            period=60,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison="GreaterThanThreshold",
            threshold=1,
            treat_missing_data="missing",
            severity="info",
            description="x",
            runbook="alerts/RUNBOOK.md#x",
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"period": 45}, "period"), ({"datapoints_to_alarm": 4}, "datapoints_to_alarm"),
     ({"period": 3600, "evaluation_periods": 25, "datapoints_to_alarm": 1}, "one-day"),
     ({"statistic": "Median"}, "unknown statistic"), ({"name": "Bad Name"}, "lowercase")],
)  # fmt: skip
def test_invalid_alarms_fail_with_a_clear_message(overrides, message):
    with pytest.raises(ValueError, match=message):
        _alarm(**overrides)


def test_rule_language():
    states: dict[str, State] = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}
    assert rule_value("ALARM(a) AND OK(b)", states)
    assert not rule_value("ALARM(a) AND ALARM(b)", states)
    assert rule_value("ALARM(b) OR INSUFFICIENT_DATA(c)", states)
    assert rule_value("NOT (ALARM(b) OR ALARM(c)) AND TRUE", states)
    with pytest.raises(ValueError, match="cannot read"):
        rule_value("ALARM(a) XOR ALARM(b)", states)


def _result(name, *changes):
    return Result(name, transitions=[Transition(T0 + t, s, "test") for t, s in changes])


def test_composites_follow_children_and_suppressors_mute_actions():
    # Given a parent that fires at 120 s and a child composite suppressed by it
    results = {
        "x": _result("x", (60, "OK"), (120, "ALARM"), (600, "OK")),
        "y": _result("y", (60, "OK"), (180, "ALARM"), (300, "OK")),
    }
    parent = CompositeAlarm("parent", "ALARM(x)", "page", "p", "alerts/RUNBOOK.md#p")
    child = CompositeAlarm(
        "child", "ALARM(y)", "page", "c", "alerts/RUNBOOK.md#c", actions_suppressor="parent"
    )
    both = CompositeAlarm("both", "ALARM(x) AND ALARM(y)", "ticket", "b", "alerts/RUNBOOK.md#b")
    # When evaluated
    evaluate_composites([child, parent, both], results, T0, T0 + 900)
    # Then states follow the rules, and the child's actions are muted while the parent is in ALARM
    assert [(t.timestamp - T0, t.state) for t in results["both"].transitions] == [
        (0, "OK"), (180, "ALARM"), (300, "OK")
    ]  # fmt: skip
    assert [(t.state, t.actions_suppressed) for t in results["child"].transitions] == [
        ("OK", False), ("ALARM", True), ("OK", True)
    ]  # fmt: skip
    assert results["parent"].final_state == "OK"


def test_cyclic_composites_are_rejected():
    a = CompositeAlarm("a", "ALARM(b)", "ticket", "a", "alerts/RUNBOOK.md#a")
    b = CompositeAlarm("b", "ALARM(a)", "ticket", "b", "alerts/RUNBOOK.md#b")
    with pytest.raises(ValueError, match="cyclic"):
        evaluate_composites([a, b], {}, T0, T0 + 60)
