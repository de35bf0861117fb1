"""The engine reproduces every row of the two tables in the CloudWatch user guide,
"Configuring how CloudWatch alarms treat missing data" (0 = good, X = breaching, - = missing;
5 datapoints retrieved for 3 evaluation periods)."""

from __future__ import annotations

import pytest

from alerts.engine import evaluate_alarm, evaluate_range
from alerts.model import MetricAlarm, MetricRef

RETAIN = "retain"
# (datapoints, MISSING, IGNORE, BREACHING, NOT BREACHING)
TABLE_3_OF_3 = [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - - - X", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
    ("X - - - -", "ALARM", RETAIN, "ALARM", "OK"),
]
TABLE_2_OF_3 = [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - - X", "INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"),
]
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
THRESHOLD = 10.0


def _values(row: str) -> list[float | None]:
    return [{"0": 1.0, "X": 20.0, "-": None}[c] for c in row.split()]


def _cases():
    for m, table in ((3, TABLE_3_OF_3), (2, TABLE_2_OF_3)):
        for row, *expected in table:
            for treatment, want in zip(TREATMENTS, expected, strict=True):
                yield pytest.param(m, row, treatment, want, id=f"{m}of3[{row}]-{treatment}")


@pytest.mark.parametrize(("m", "row", "treatment", "expected"), list(_cases()))
@pytest.mark.parametrize("current", ["OK", "ALARM", "INSUFFICIENT_DATA"])
def test_evaluation_range_matches_the_documented_table(m, row, treatment, expected, current):
    # Given the five most recent datapoints and the alarm's current state
    # When CloudWatch's rule is applied
    state = evaluate_range(
        _values(row),
        evaluation_periods=3,
        datapoints_to_alarm=m,
        treat_missing_data=treatment,
        is_breaching=lambda v: v > THRESHOLD,
        current=current,
    )
    # Then the state is the table's, "retain current state" keeping whatever it was
    assert state == (current if expected == RETAIN else expected)


def _alarm(m, treatment):
    return MetricAlarm(
        name="doc-example", namespace="Test", metric_name="Value", dimensions=(), statistic="Maximum",
        period=300, evaluation_periods=3, datapoints_to_alarm=m, comparison="GreaterThanThreshold",
        threshold=THRESHOLD, treat_missing_data=treatment, severity="info", description="doc table",
        runbook="alerts/RUNBOOK.md#test",
    )  # fmt: skip


@pytest.mark.parametrize(("m", "row", "treatment", "expected"), list(_cases()))
def test_full_evaluation_reaches_the_table_state_at_the_fifth_period(m, row, treatment, expected):
    # Given the row as the only five periods of a recorded series
    start = 1_700_000_100 // 300 * 300
    datapoints = {start + i * 300: v for i, v in enumerate(_values(row)) if v is not None}
    # When the alarm is replayed from INSUFFICIENT_DATA up to the end of the fifth period
    result = evaluate_alarm(_alarm(m, treatment), datapoints, start, start + 5 * 300)
    # Then its state after the last evaluation is the table's (retain = still INSUFFICIENT_DATA)
    assert result.state_at(start + 5 * 300) == ("INSUFFICIENT_DATA" if expected == RETAIN else expected)
    assert MetricRef("Test", "Value") == _alarm(m, treatment).metric
