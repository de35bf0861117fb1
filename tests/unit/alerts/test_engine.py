"""Aggregation, metric math and composite evaluation of the backtester's engine."""

from __future__ import annotations

import dataclasses
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
     ({"period": 1800, "evaluation_periods": 49, "datapoints_to_alarm": 1}, "one-day"),
     ({"period": 3600, "evaluation_periods": 169, "datapoints_to_alarm": 1}, "seven-day"),
     ({"statistic": "Median"}, "unknown statistic"), ({"name": ""}, "1 to 255"),
     ({"name": "x" * 256}, "1 to 255"), ({"name": "tab\there"}, "printable"),
     ({"period": 20, "evaluation_window": "WallClockWindow"}, "wall clock window needs"),
     ({"evaluation_window": "Tumbling"}, "evaluation_window must be")],
)  # fmt: skip
def test_invalid_alarms_fail_with_a_clear_message(overrides, message):
    with pytest.raises(ValueError, match=message):
        _alarm(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [{"period": 20}, {"period": 10}, {"period": 3600, "evaluation_periods": 168, "datapoints_to_alarm": 1},
     {"name": "Prod API 5XX_rate.v2 (eu-west-1)"}, {"name": "x" * 255},
     {"period": 86_400, "evaluation_window": "WallClockWindow"}],
)  # fmt: skip
def test_what_putmetricalarm_accepts_is_accepted(overrides):
    # Periods 10/20/30/60n, 7 days for periods >= 1 h, any 1-255 character name (PutMetricAlarm)
    assert _alarm(**overrides).period == overrides.get("period", _alarm().period)


def test_rule_language():
    states: dict[str, State] = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}
    assert rule_value("ALARM(a) AND OK(b)", states)
    assert not rule_value("ALARM(a) AND ALARM(b)", states)
    assert rule_value("ALARM(b) OR INSUFFICIENT_DATA(c)", states)
    assert rule_value("NOT (ALARM(b) OR ALARM(c)) AND TRUE", states)
    with pytest.raises(ValueError, match="cannot read"):
        rule_value("ALARM(a) XOR ALARM(b)", states)


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("ALARM(a) ALARM(b)", "unexpected"),
        ("(ALARM(a) OR ALARM(b)", "unclosed"),
        ("ALARM(a) AND", "ends early"),
        ("ALARM(a))", "unexpected"),
    ],
)
def test_a_rule_that_does_not_parse_to_its_end_is_an_error(rule, error):
    # "ALARM(a) ALARM(b)" used to read as ALARM(a) and an unclosed "(" passed: a rule read in part
    # would be evaluated as something CloudWatch would have refused
    with pytest.raises(ValueError, match=error):
        rule_value(rule, {"a": "ALARM", "b": "OK"})


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


def _daily_backups(window: str):
    # The user guide's example ("Alarm evaluation window"): a daily backup alarm with a sliding
    # window can enter ALARM when two backups are more than 24 hours apart although each calendar
    # day had one; a wall clock window evaluates each day on its own and does not.
    return _alarm(name="Daily backup ran", statistic="Sum", period=86_400, evaluation_periods=1,
                  datapoints_to_alarm=1, comparison="LessThanThreshold", threshold=1,
                  treat_missing_data="breaching", evaluation_window=window)  # fmt: skip


def test_sliding_and_wall_clock_windows_differ_as_documented():
    from alerts.backtest import run

    day = 86_400
    # The backup job reports every hour: 1 when it backed up, 0 otherwise.
    backups = [(T0 + h * 3600, 1.0 if h in (1, 24 + 23) else 0.0) for h in range(2 * 24 + 1)]
    sliding, _ = run(_daily_backups("SlidingWindow"), backups)
    wall_clock, _ = run(_daily_backups("WallClockWindow"), backups)
    # Wall clock: day 1 and day 2 each had a backup -> OK at both midnights (day 3 has none: ALARM)
    assert [(t.timestamp - T0, t.state) for t in wall_clock.transitions] == [(day, "OK"), (3 * day, "ALARM")]
    # Sliding: 24 h after the day-1 backup the window holds no backup -> ALARM in the middle of day 2
    assert sliding.state_at(T0 + 3600 + 60) == "OK"
    first_alarm = next(t for t in sliding.alarm_times() if t > T0 + 3600) - T0
    assert day + 3600 <= first_alarm <= day + 3600 + 60
    assert sliding.state_at(T0 + day + 23 * 3600 + 60) == "OK"


def test_sliding_window_sees_a_burst_that_straddles_period_boundaries():
    from alerts.backtest import run

    # 5-minute sums, threshold 5: six errors from 00:03 to 00:07 split 4 + 2 across the 00:00 and
    # 00:05 periods, so no clock-aligned period breaches; a 5-minute window ending at 00:06 holds all 6.
    alarm = _alarm(period=300, evaluation_periods=1, datapoints_to_alarm=1)
    burst = [(T0 + 180 + 30 * i, 1.0) for i in range(6)] + [(T0 + 1800, 0.0)]
    sliding, _ = run(alarm, burst)
    wall_clock, _ = run(dataclasses.replace(alarm, evaluation_window="WallClockWindow"), burst)
    assert sliding.alarm_times() and not wall_clock.alarm_times()


def test_actions_suppressor_wait_and_extension_are_intervals():
    from alerts.engine import Result, Transition, mark_suppressed

    composite = CompositeAlarm(name="child-incident", rule="ALARM(x)", severity="page", description="d",
                               runbook="alerts/RUNBOOK.md#x", actions_suppressor="parent",
                               suppressor_wait_period=120, suppressor_extension_period=180)  # fmt: skip

    def suppressed(parent: list[tuple[int, State]], at: int) -> bool:
        results = {
            "parent": Result("parent", [Transition(T0 + t, s, "r") for t, s in parent]),
            "child-incident": Result("child-incident", [Transition(T0 + at, "ALARM", "r")]),
        }
        mark_suppressed(composite, results)
        return results["child-incident"].transitions[0].actions_suppressed

    # The suppressor is in ALARM only from +60 s to +90 s after the child's ALARM: inside the wait
    # period, though ALARM neither at the transition nor at the wait period's end.
    assert suppressed([(60, "ALARM"), (90, "OK")], at=0)
    # It was in ALARM briefly within the extension period before the transition (not at its start).
    assert suppressed([(-100, "ALARM"), (-90, "OK")], at=0)
    # Outside both intervals: not suppressed.
    assert not suppressed([(-300, "ALARM"), (-200, "OK"), (130, "ALARM")], at=0)
