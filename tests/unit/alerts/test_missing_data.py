"""The engine reproduces every row of the two tables in the CloudWatch user guide,
"Configuring how CloudWatch alarms treat missing data" (0 = good, X = breaching, - = missing;
5 datapoints retrieved for 3 evaluation periods)."""

from __future__ import annotations

import itertools
import re

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


# Windows the documentation's tables do not list (3 of 3). The rule followed (engine docstring):
# under `missing`, with fewer than N real datapoints, the alarm goes to ALARM when all real ones
# breach and the oldest breaching one is at least M periods old in the range (the guide's
# "avoiding premature transitions" sentence), else INSUFFICIENT_DATA; any real good datapoint makes
# it OK (the tables). `ignore` retains instead.
BEYOND_THE_TABLE = [
    ("- - X - X", "ALARM", RETAIN),  # evaluated X - X: oldest real and breaching
    ("- - X X -", "ALARM", RETAIN),  # evaluated X X -
    ("- - - X X", "INSUFFICIENT_DATA", RETAIN),  # evaluated - X X: oldest is missing
    ("- - X 0 -", "OK", "OK"),  # a real good datapoint
    ("- X - - X", "ALARM", RETAIN),  # evaluated X - X (the older missing periods are not evaluated)
]


# M < N (2 of 3): the guide's sentence - the oldest breaching datapoint at least M (2) periods old
# in the range, nothing good among the evaluated ones - not "N periods old".
BEYOND_THE_TABLE_2_OF_3 = [
    ("- - - X -", "ALARM", RETAIN),  # X is 2 periods old
    ("- - - - X", "INSUFFICIENT_DATA", RETAIN),  # 1 period old (the table's own row)
    ("- - X - -", "ALARM", RETAIN),  # 3 periods old
    ("- - 0 X -", "OK", "OK"),  # a real good datapoint
]


@pytest.mark.parametrize(("row", "missing", "ignore"), BEYOND_THE_TABLE_2_OF_3)
def test_two_of_three_alarms_when_the_oldest_breach_is_two_periods_old(row, missing, ignore):
    for treatment, expected in (("missing", missing), ("ignore", ignore)):
        state = evaluate_range(
            _values(row), evaluation_periods=3, datapoints_to_alarm=2, treat_missing_data=treatment,
            is_breaching=lambda v: v > THRESHOLD, current="OK",
        )  # fmt: skip
        assert state == ("OK" if expected == RETAIN else expected), treatment


@pytest.mark.parametrize(("row", "missing", "ignore"), BEYOND_THE_TABLE)
def test_windows_beyond_the_table_follow_the_documented_rule(row, missing, ignore):
    for treatment, expected in (("missing", missing), ("ignore", ignore)):
        state = evaluate_range(
            _values(row), evaluation_periods=3, datapoints_to_alarm=3, treat_missing_data=treatment,
            is_breaching=lambda v: v > THRESHOLD, current="OK",
        )  # fmt: skip
        assert state == ("OK" if expected == RETAIN else expected), treatment


def _replay(m, treatment, row):
    start = 1_700_000_100 // 300 * 300
    values = _values(row)
    datapoints = {start + i * 300: v for i, v in enumerate(values) if v is not None}
    return evaluate_alarm(_alarm(m, treatment), datapoints, start, start + len(values) * 300), start


def test_x_gap_x_x_alarms_on_two_real_breaching_datapoints_and_says_so():
    # Given 3 of 3, treat missing data `missing` and the series X, -, X, X
    result, start = _replay(3, "missing", "X - X X")
    # Then the alarm fires at the end of the third period (evaluated: X - X)
    assert [(t.timestamp - start, t.state) for t in result.transitions] == [(900, "ALARM")]
    reason = result.transitions[0].reason
    # And the reason claims the 2 breaching values it lists, and the 1 missing, not "3 of 3"
    assert reason.startswith("Threshold Crossed: 2 of the last 3 datapoints were greater than the threshold")
    assert reason.count("20 (") == 2
    assert "1 of the last 3 datapoints was missing and not counted (missing)" in reason
    assert "the oldest breaching datapoint is 3 periods old, at least the 3 datapoints to alarm" in reason


def test_missing_datapoints_treated_as_breaching_are_named_in_the_reason():
    result, _ = _replay(3, "breaching", "X - X X")
    first = result.transitions[0]
    assert first.state == "ALARM"
    assert "1 of the last 3 datapoints was greater than" in first.reason
    assert "2 of the last 3 datapoints were missing and treated as breaching" in first.reason


_CLAIM = re.compile(
    r"(\d+) of the last 3 datapoints (?:was|were) greater than the threshold \(10\) \[([^\]]*)\]"
)
_MISSING = re.compile(r"(\d+) of the last 3 datapoints (?:was|were) missing")


@pytest.mark.parametrize("treatment", TREATMENTS)
@pytest.mark.parametrize("m", [1, 2, 3])
def test_every_reason_counts_exactly_what_it_lists(m, treatment):
    # Every five-period series of good / breaching / missing datapoints, replayed
    for row in (" ".join(cells) for cells in itertools.product("0X-", repeat=5)):
        result, _ = _replay(m, treatment, row)
        for transition in result.transitions:
            if transition.state == "INSUFFICIENT_DATA":
                continue
            claim = _CLAIM.search(transition.reason)
            assert claim, transition.reason
            listed = [item for item in claim.group(2).split(", ") if item != "no datapoints"]
            assert int(claim.group(1)) == sum(item.startswith("20 ") for item in listed), transition.reason
            missing = _MISSING.search(transition.reason)
            assert len(listed) + (int(missing.group(1)) if missing else 0) == 3, transition.reason
