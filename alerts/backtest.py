"""The backtester's Python API: replay one alarm over a recorded series and judge the result.

``backtest(alarm, series)`` returns the JSON document ``obsctl alerts backtest`` prints:
``{"alarm", "transitions": [{"timestamp", "state", "reason"}], "final_state", ...}`` plus
``false_alarms`` for a series marked normal or ``detection_delay_seconds`` for an incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from alerts.engine import (
    Datapoints,
    Point,
    RawData,
    Result,
    aggregate,
    detection_delay,
    evaluate_alarm_window,
    false_alarms,
)
from alerts.engine import math_datapoints as _math
from alerts.model import AnyMetricAlarm, MathAlarm, MetricAlarm, MetricRef

Expectation = Literal["normal", "incident"]


def series_datapoints(alarm: AnyMetricAlarm, series: Sequence[Point] | dict[str, list[Point]]) -> Datapoints:
    if isinstance(alarm, MetricAlarm):
        if isinstance(series, dict):
            if len(series) != 1:
                raise ValueError(f"{alarm.name} watches one metric: give one series, not {sorted(series)}")
            series = next(iter(series.values()))
        return aggregate(series, alarm.statistic, alarm.period)
    assert isinstance(alarm, MathAlarm)
    ids = [stat.id for stat in alarm.metrics]
    if not isinstance(series, dict) or sorted(series) != sorted(ids):
        raise ValueError(f"{alarm.name} is metric math over {ids}: give a JSON object with one series per id")
    inputs = {stat.id: aggregate(series[stat.id], stat.statistic, stat.period) for stat in alarm.metrics}
    return _math(alarm, inputs)


def _bounds(series: Sequence[Point] | dict[str, list[Point]], period: int) -> tuple[int, int]:
    points = [p for items in series.values() for p in items] if isinstance(series, dict) else list(series)
    if not points:
        raise ValueError("the series is empty")
    first, last = min(t for t, _ in points), max(t for t, _ in points)
    return int(first // period) * period, (int(last // period) + 1) * period


def _raw(alarm: AnyMetricAlarm, series: Sequence[Point] | dict[str, list[Point]]) -> RawData:
    if isinstance(alarm, MetricAlarm):
        return {alarm.metric: next(iter(series.values())) if isinstance(series, dict) else series}
    assert isinstance(series, dict)  # checked by series_datapoints
    raw: dict[MetricRef, Sequence[Point]] = {}
    for stat in alarm.metrics:
        if stat.metric in raw and raw[stat.metric] != series[stat.id]:
            raise ValueError(f"{alarm.name}: ids on the same metric need the same series")
        raw[stat.metric] = series[stat.id]
    return raw


def run(alarm: AnyMetricAlarm, series: Sequence[Point] | dict[str, list[Point]]) -> tuple[Result, Datapoints]:
    """Evaluate over the alarm's evaluation window (sliding unless the alarm says WallClockWindow)."""
    datapoints = series_datapoints(alarm, series)
    start, end = _bounds(series, alarm.period)
    return evaluate_alarm_window(alarm, _raw(alarm, series), start, end), datapoints


def backtest(
    alarm: AnyMetricAlarm,
    series: Sequence[Point] | dict[str, list[Point]],
    *,
    expect: Expectation | None = None,
    incident_start: float | None = None,
) -> dict[str, Any]:
    if expect == "incident" and incident_start is None:
        raise ValueError("an incident series needs the incident's start time")
    result, _ = run(alarm, series)
    document: dict[str, Any] = {"alarm": alarm.name, **result.to_json()}
    if expect == "normal":
        document["false_alarms"] = false_alarms(result)
    elif expect == "incident" and incident_start is not None:
        delay = detection_delay(result, incident_start)
        document["detected"] = delay is not None
        document["detection_delay_seconds"] = delay
        document["documented_detection_seconds"] = alarm.detection_seconds
    return document
