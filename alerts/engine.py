"""The backtester's engine: evaluates catalog alarms on recorded metrics the way CloudWatch does.

Model (each point from the CloudWatch user guide, "Using Amazon CloudWatch alarms"):

- Raw points are aggregated into period-aligned datapoints with the alarm's statistic; a period
  without points is *missing*. Percentiles use the nearest-rank method on the raw values.
- The alarm starts in ``INSUFFICIENT_DATA`` and is evaluated at the end of every period over the
  *evaluation range*: the ``evaluation_periods + 2`` most recent periods (the documentation's
  examples retrieve 5 datapoints for 3 evaluation periods).
- ``M out of N``: N datapoints are evaluated, ALARM when at least M breach.
- Missing data, exactly as the documentation's tables: with at least N real datapoints in the range
  the most recent N real ones are evaluated and the treatment is not used. With fewer, the real
  ones are always used and the rest is filled: ``breaching``/``notBreaching`` fill with breaching /
  good datapoints; ``missing``/``ignore`` never count a missing datapoint, so any real good
  datapoint makes the alarm OK, at least M real breaching ones make it ALARM, and otherwise
  ``ignore`` keeps the current state while ``missing`` goes to INSUFFICIENT_DATA - or to ALARM by
  the guide's rule for "avoiding premature transitions to alarm state" (below).
- Premature transitions, the sentence followed: ALARM "when the oldest available breaching data
  point in the alarm's evaluation range is at least as old as the value of Datapoints to Alarm, and
  all other more recent data points are breaching or missing" - age counted in periods within the
  evaluation range, the most recent period being 1 old. Where the guide contradicts itself, its
  table wins: the row "0 - X - -" of the 2-of-3 table is OK, although its oldest breaching
  datapoint is 3 periods old and everything more recent is missing, so a real good datapoint
  anywhere among the evaluated ones makes the alarm OK (the sentence's "all other more recent"
  would give ALARM). The rule applies to ``missing`` only (``ignore`` retains: "X - - - -" of the
  3-of-3 table). For M = N this is the same as before; for M < N an alarm fires once its oldest
  breaching datapoint is M periods old (2 of 3 over "- - - X -" is ALARM, not INSUFFICIENT_DATA).
- The reason text never claims more than it lists: it gives the exact number of breaching
  datapoints, the values evaluated, how many were missing and what the treatment made of them
  (treated as breaching / not breaching, or not counted), and, for the rule above, how old the
  oldest breaching datapoint is (tests/unit/alerts/test_alerts_missing_data.py).
- Metric math is evaluated per timestamp on the aggregated inputs (see ``alerts.mathexpr``).
- Composite alarms are re-evaluated whenever a child changes state; ``ALARM(x)`` is true only
  while x is in ALARM. An actions suppressor mutes a composite's actions while it is in ALARM, when
  it reaches ALARM at any moment of the wait period after the composite goes to ALARM, and during
  the extension period after it recovers (intervals, not instants: ``mark_suppressed``).
- Evaluation windows: ``evaluate_alarm`` is the wall clock window (period-aligned datapoints,
  evaluated as each period ends); ``evaluate_alarm_window`` follows the alarm's
  ``evaluation_window``, sliding by default (see "Evaluation windows" below).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.mathexpr import evaluate as evaluate_math
from alerts.mathexpr import parse
from alerts.model import (
    AnyMetricAlarm,
    CompositeAlarm,
    MathAlarm,
    MetricAlarm,
    MetricRef,
    State,
    is_percentile,
)

Point = tuple[float, float | None]
"""(epoch seconds, value); ``None`` records a period with no data."""
RawData = Mapping[MetricRef, Sequence[Point]]
Datapoints = dict[int, float]
"""Aggregated datapoints keyed by the epoch second their period starts."""

INSUFFICIENT: State = "INSUFFICIENT_DATA"
EXTRA_RANGE_PERIODS = 2

_PHRASES = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


@dataclass(frozen=True)
class Transition:
    timestamp: int
    state: State
    reason: str
    actions_suppressed: bool = False

    def to_json(self) -> dict[str, object]:
        return {"timestamp": iso(self.timestamp), "state": self.state, "reason": self.reason}


@dataclass
class Result:
    name: str
    transitions: list[Transition] = field(default_factory=list)
    datapoints: Datapoints = field(default_factory=dict)
    evaluated_until: int = 0

    @property
    def final_state(self) -> State:
        return self.transitions[-1].state if self.transitions else INSUFFICIENT

    def state_at(self, timestamp: float) -> State:
        state: State = INSUFFICIENT
        for transition in self.transitions:
            if transition.timestamp > timestamp:
                break
            state = transition.state
        return state

    def alarm_times(self) -> list[int]:
        return [t.timestamp for t in self.transitions if t.state == "ALARM"]

    def to_json(self) -> dict[str, object]:
        return {"transitions": [t.to_json() for t in self.transitions], "final_state": self.final_state}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Aggregation -------------------------------------------------------------------------------
def statistic_value(values: Sequence[float], statistic: str) -> float:
    if statistic == "SampleCount":
        return float(len(values))
    if statistic == "Sum":
        return math.fsum(values)
    if statistic == "Average":
        return math.fsum(values) / len(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if is_percentile(statistic):
        ordered = sorted(values)
        rank = math.ceil(float(statistic[1:]) / 100.0 * len(ordered))
        return ordered[max(rank, 1) - 1]
    raise ValueError(f"unknown statistic {statistic!r}")


def aggregate(points: Iterable[Point], statistic: str, period: int) -> Datapoints:
    buckets: dict[int, list[float]] = {}
    for timestamp, value in points:
        if value is None:
            continue
        if not math.isfinite(value):
            raise ValueError(f"value at {iso(timestamp)} is not a finite number")
        buckets.setdefault(int(timestamp // period) * period, []).append(value)
    return {start: statistic_value(values, statistic) for start, values in sorted(buckets.items())}


def alarm_datapoints(alarm: AnyMetricAlarm, raw: RawData) -> Datapoints:
    """The datapoints (metric or math result) the alarm compares with its threshold."""
    if isinstance(alarm, MetricAlarm):
        return aggregate(raw.get(alarm.metric, ()), alarm.statistic, alarm.period)
    inputs = {
        stat.id: aggregate(raw.get(stat.metric, ()), stat.statistic, stat.period) for stat in alarm.metrics
    }
    return math_datapoints(alarm, inputs)


def math_datapoints(alarm: MathAlarm, inputs: Mapping[str, Mapping[int, float]]) -> Datapoints:
    timestamps = sorted({ts for series in inputs.values() for ts in series})
    return evaluate_math(parse(alarm.expression), inputs, timestamps)


# --- Evaluation --------------------------------------------------------------------------------
def breaches(comparison: str, threshold: float) -> Callable[[float], bool]:
    if comparison == "GreaterThanThreshold":
        return lambda v: v > threshold
    if comparison == "GreaterThanOrEqualToThreshold":
        return lambda v: v >= threshold
    if comparison == "LessThanThreshold":
        return lambda v: v < threshold
    if comparison == "LessThanOrEqualToThreshold":
        return lambda v: v <= threshold
    raise ValueError(f"unknown comparison {comparison!r}")


def evaluate_range(
    window: Sequence[float | None],
    *,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing_data: str,
    is_breaching: Callable[[float], bool],
    current: State,
) -> State:
    """One evaluation over the evaluation range (oldest first), as CloudWatch documents it."""
    n, m = evaluation_periods, datapoints_to_alarm
    existing = [(i, v) for i, v in enumerate(window) if v is not None]
    if len(existing) >= n:
        breaching = sum(is_breaching(v) for _, v in existing[-n:])
        return "ALARM" if breaching >= m else "OK"
    breaching = sum(is_breaching(v) for _, v in existing)
    if treat_missing_data in ("breaching", "notBreaching"):
        if treat_missing_data == "breaching":
            breaching += n - len(existing)
        return "ALARM" if breaching >= m else "OK"
    if treat_missing_data not in ("missing", "ignore"):
        raise ValueError(f"unknown treat_missing_data {treat_missing_data!r}")
    if not existing:
        return INSUFFICIENT if treat_missing_data == "missing" else current
    if breaching >= m:
        return "ALARM"
    if breaching < len(existing):
        return "OK"
    if treat_missing_data == "ignore":
        return current
    return "ALARM" if len(window) - existing[0][0] >= m else INSUFFICIENT  # premature transitions


_MISSING_TREATED = {
    "breaching": "treated as breaching",
    "notBreaching": "treated as not breaching",
    "ignore": "not counted (ignore)",
    "missing": "not counted (missing)",
}


def _reason(alarm: AnyMetricAlarm, window: Sequence[tuple[int, float | None]], state: State) -> str:
    """Say what was evaluated: never more datapoints than were listed, and how missing ones counted.

    With at least N real datapoints in the range the last N real ones are evaluated. With fewer, the
    N evaluated datapoints are the real ones plus the most recent missing periods, and the text
    names how many were missing and what the treatment made of them.
    """
    n, m = alarm.evaluation_periods, alarm.datapoints_to_alarm
    real = [(ts, v) for ts, v in window if v is not None][-n:]
    shown = ", ".join(f"{v:g} ({iso(ts)})" for ts, v in real) or "no datapoints"
    phrase = _PHRASES[alarm.comparison]
    treatment = alarm.treat_missing_data
    check = breaches(alarm.comparison, alarm.threshold)
    breaching = sum(check(v) for _, v in real if v is not None)  # (None is filtered above)
    crossed = f"{breaching} of the last {n} datapoints {_was(breaching)} {phrase} the threshold"
    if len(real) >= n:
        return (
            f"Threshold Crossed: {crossed} ({alarm.threshold:g}) [{shown}], {m} needed for ALARM "
            f"(treat missing data: {treatment})."
        )
    missing = n - len(real)
    missing_text = f"{missing} of the last {n} datapoints {_was(missing)} missing"
    if state == INSUFFICIENT:
        return (
            f"Insufficient Data: {len(real)} datapoints received in the last {len(window)} periods "
            f"[{shown}], {breaching} {_was(breaching)} {phrase} the threshold ({alarm.threshold:g}); "
            f"{missing_text} and {_MISSING_TREATED[treatment]}, which is not enough to decide."
        )
    if treatment in ("breaching", "notBreaching"):
        counted = breaching + (missing if treatment == "breaching" else 0)
        verdict = f"so {counted} of {n} count as breaching ({m} needed)"
    elif state == "ALARM" and breaching < m:
        first_real = next(i for i, (_, v) in enumerate(window) if v is not None)
        age = len(window) - first_real
        verdict = (
            f"only {breaching} real ones breach ({m} needed), but the oldest breaching datapoint is "
            f"{age} periods old, at least the {m} datapoints to alarm, and none more recent is good, "
            "which CloudWatch treats as ALARM (see alerts/engine.py)"
        )
    elif state == "ALARM":
        verdict = f"the {breaching} real breaching ones reach the {m} needed"
    else:
        verdict = f"fewer than {m} breach and a real one is not {phrase} the threshold"
    return (
        f"Threshold Crossed: {crossed} ({alarm.threshold:g}) [{shown}]; {missing_text} and "
        f"{_MISSING_TREATED[treatment]}, {verdict} (treat missing data: {treatment})."
    )


def _was(count: int) -> str:
    return "was" if count == 1 else "were"


def evaluate_alarm(
    alarm: AnyMetricAlarm,
    datapoints: Mapping[int, float],
    start: float,
    end: float,
    *,
    initial_state: State = INSUFFICIENT,
) -> Result:
    """Evaluate at the end of every period in [start, end] and record each state change."""
    return _walk(
        alarm,
        Result(alarm.name, datapoints=dict(datapoints)),
        start,
        end,
        step=alarm.period,
        values_at=lambda starts: [datapoints.get(s) for s in starts],
        initial_state=initial_state,
    )


def _walk(
    alarm: AnyMetricAlarm,
    result: Result,
    start: float,
    end: float,
    *,
    step: int,
    values_at: Callable[[list[int]], list[float | None]],
    initial_state: State,
) -> Result:
    """Evaluate every ``step`` seconds in [start, end] over the window of period start times that
    ends there, recording each state change in ``result``."""
    period = alarm.period
    span = alarm.evaluation_periods + EXTRA_RANGE_PERIODS
    check = breaches(alarm.comparison, alarm.threshold)
    state = initial_state
    first = (int(start) // step + 1) * step
    for t in range(first, int(end) + 1, step):
        starts = [t - (span - i) * period for i in range(span)]
        window = list(zip(starts, values_at(starts), strict=True))
        new_state = evaluate_range(
            [v for _, v in window],
            evaluation_periods=alarm.evaluation_periods,
            datapoints_to_alarm=alarm.datapoints_to_alarm,
            treat_missing_data=alarm.treat_missing_data,
            is_breaching=check,
            current=state,
        )
        if new_state != state:
            result.transitions.append(Transition(t, new_state, _reason(alarm, window, new_state)))
            state = new_state
        result.evaluated_until = t
    return result


# --- Evaluation windows ------------------------------------------------------------------------
# The user guide ("Alarm evaluation window"): the evaluation window is Period x EvaluationPeriods.
# ``SlidingWindow`` (the default) "advances each time the alarm is evaluated, forming a rolling time
# window"; ``WallClockWindow`` aligns it to clock boundaries that match the period (UTC here: the
# optional time zone is not modelled). ``evaluate_alarm`` above is the wall clock window: datapoints
# aligned to period boundaries, evaluated as each period ends. A sliding window is modelled as an
# evaluation every minute (every period for high-resolution periods) whose datapoints are the periods
# that end at the evaluation time, so a breach is seen as soon as one window's worth of data crosses
# the threshold, wherever the clock boundaries fall.
SLIDING_STEP_SECONDS = 60


class _Series:
    """One metric's raw points with fast statistics over any [start, end) (prefix sums for the
    additive statistics, sorted slices for the others)."""

    def __init__(self, points: Iterable[Point], statistic: str) -> None:
        clean = sorted((float(t), v) for t, v in points if v is not None)
        for t, v in clean:
            if not math.isfinite(v):
                raise ValueError(f"value at {iso(t)} is not a finite number")
        self.times = [t for t, _ in clean]
        self.values = [v for _, v in clean]
        self.statistic = statistic
        self.prefix = [0.0]
        for v in self.values:
            self.prefix.append(self.prefix[-1] + v)
        self._lanes: dict[int, tuple[int, int, list[float]]] = {}

    def value(self, start: int, end: int, lane: int = 0) -> float | None:
        lo, hi = bisect_left(self.times, start), bisect_left(self.times, end)
        if lo == hi:
            return None
        if self.statistic == "Sum":
            return self.prefix[hi] - self.prefix[lo]
        if self.statistic == "SampleCount":
            return float(hi - lo)
        if self.statistic == "Average":
            return (self.prefix[hi] - self.prefix[lo]) / (hi - lo)
        if is_percentile(self.statistic):
            ordered = self._sorted(lane, lo, hi)
            rank = math.ceil(float(self.statistic[1:]) / 100.0 * len(ordered))
            return ordered[max(rank, 1) - 1]
        return statistic_value(self.values[lo:hi], self.statistic)

    def _sorted(self, lane: int, lo: int, hi: int) -> list[float]:
        """The values of [lo, hi) in order, kept per lane (one bucket position of a window that
        slides forward), so a long percentile window costs the points that enter and leave it."""
        old_lo, old_hi, ordered = self._lanes.get(lane, (lo, lo, []))
        if lo < old_lo or hi < old_hi or lo >= old_hi:
            old_lo, old_hi, ordered = lo, lo, []
        for index in range(old_lo, lo):
            del ordered[bisect_left(ordered, self.values[index])]
        for index in range(old_hi, hi):
            insort(ordered, self.values[index])
        self._lanes[lane] = (lo, hi, ordered)
        return ordered


def _sliding_values(alarm: AnyMetricAlarm, raw: RawData) -> Callable[[list[int]], list[float | None]]:
    """A function from period start times to the alarm's datapoint values (None: missing)."""
    if isinstance(alarm, MetricAlarm):
        series = _Series(raw.get(alarm.metric, ()), alarm.statistic)
        return lambda starts: [series.value(s, s + alarm.period, k) for k, s in enumerate(starts)]
    inputs = {stat.id: _Series(raw.get(stat.metric, ()), stat.statistic) for stat in alarm.metrics}
    tree = parse(alarm.expression)

    def values(starts: list[int]) -> list[float | None]:
        columns: dict[str, dict[int, float]] = {}
        for stat_id, series in inputs.items():
            column = {}
            for k, s in enumerate(starts):
                v = series.value(s, s + alarm.period, k)
                if v is not None:
                    column[s] = v
            columns[stat_id] = column
        result = evaluate_math(tree, columns, starts)
        return [result.get(s) for s in starts]

    return values


def evaluate_alarm_window(
    alarm: AnyMetricAlarm, raw: RawData, start: float, end: float, *, initial_state: State = INSUFFICIENT
) -> Result:
    """Evaluate with the alarm's own evaluation window (sliding by default, or wall clock)."""
    if alarm.evaluation_window == "WallClockWindow":
        return evaluate_alarm(alarm, alarm_datapoints(alarm, raw), start, end, initial_state=initial_state)
    return _walk(
        alarm,
        Result(alarm.name, datapoints=alarm_datapoints(alarm, raw)),
        start,
        end,
        step=min(alarm.period, SLIDING_STEP_SECONDS),
        values_at=_sliding_values(alarm, raw),
        initial_state=initial_state,
    )


# --- Composites --------------------------------------------------------------------------------
_RULE_TOKEN = re.compile(r"\s*(ALARM|OK|INSUFFICIENT_DATA)\(([a-z0-9-]+)\)|\s*(AND|OR|NOT|TRUE|FALSE|\(|\))")


def rule_value(rule: str, states: Mapping[str, State]) -> bool:
    """Evaluate a composite alarm rule (ALARM/OK/INSUFFICIENT_DATA, AND, OR, NOT, parentheses); a
    rule that does not parse to its end is a ``ValueError``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(rule.rstrip()):
        match = _RULE_TOKEN.match(rule, pos)
        if not match:
            raise ValueError(f"cannot read alarm rule at {rule[pos:]!r}")
        kind, name, word = match.groups()
        tokens.append(("state", f"{kind}:{name}") if kind else ("word", word))
        pos = match.end()
    index = 0

    def primary() -> bool:
        nonlocal index
        kind, text = tokens[index]
        index += 1
        if kind == "state":
            wanted, name = text.split(":", 1)
            return states.get(name, INSUFFICIENT) == wanted
        if text == "NOT":
            return not primary()
        if text in ("TRUE", "FALSE"):
            return text == "TRUE"
        if text == "(":
            value = disjunction()
            if index >= len(tokens) or tokens[index] != ("word", ")"):
                raise ValueError(f"unclosed '(' in alarm rule {rule!r}")
            index += 1
            return value
        raise ValueError(f"unexpected {text!r} in alarm rule")

    def conjunction() -> bool:
        nonlocal index
        value = primary()
        while index < len(tokens) and tokens[index] == ("word", "AND"):
            index += 1
            value = primary() and value
        return value

    def disjunction() -> bool:
        nonlocal index
        value = conjunction()
        while index < len(tokens) and tokens[index] == ("word", "OR"):
            index += 1
            value = conjunction() or value
        return value

    try:
        value = disjunction()
    except IndexError:
        raise ValueError(f"alarm rule {rule!r} ends early") from None
    if index != len(tokens):
        raise ValueError(f"unexpected {tokens[index][1]!r} in alarm rule {rule!r}")
    return value


def evaluate_composites(
    composites: Sequence[CompositeAlarm], results: dict[str, Result], start: float, end: float
) -> dict[str, Result]:
    """Add one ``Result`` per composite (children first) to ``results``, then mark suppressed actions."""
    pending = list(composites)
    while pending:
        ready = [c for c in pending if all(child in results for child in c.children())]
        if not ready:
            raise ValueError(f"composite alarms with unknown or cyclic children: {[c.name for c in pending]}")
        for composite in ready:
            changes = {t.timestamp for child in composite.children() for t in results[child].transitions}
            times = sorted(changes | {int(start)})
            result = Result(composite.name)
            state: State = INSUFFICIENT
            for t in times:
                child_states = {child: results[child].state_at(t) for child in composite.children()}
                new_state: State = "ALARM" if rule_value(composite.rule, child_states) else "OK"
                if new_state != state:
                    firing = [c for c, s in child_states.items() if s == "ALARM"]
                    verdict = "TRUE" if new_state == "ALARM" else "FALSE"
                    reason = f"Alarm rule is {verdict}; in ALARM: {', '.join(firing) or 'none'}."
                    result.transitions.append(Transition(t, new_state, reason))
                    state = new_state
            result.evaluated_until = int(end)
            results[composite.name] = result
            pending.remove(composite)
    for composite in composites:
        if composite.actions_suppressor:
            mark_suppressed(composite, results)
    return results


def _alarm_during(result: Result, start: float, end: float) -> bool:
    """Whether ``result`` is in ALARM at any moment of [start, end]."""
    return result.state_at(start) == "ALARM" or any(
        start < t.timestamp <= end and t.state == "ALARM" for t in result.transitions
    )


def mark_suppressed(composite: CompositeAlarm, results: dict[str, Result]) -> None:
    """Wait and extension periods are intervals (user guide, "Composite alarm actions suppression"):
    an action is suppressed when the suppressor is in ALARM at any moment from ``extension`` seconds
    before the transition to the transition itself (it recovered too recently) or, for a transition
    to ALARM, at any moment of the ``wait`` seconds after it (it went to ALARM in time)."""
    suppressor = results[composite.actions_suppressor or ""]
    marked = []
    for transition in results[composite.name].transitions:
        t = transition.timestamp
        suppressed = _alarm_during(suppressor, t - composite.suppressor_extension_period, t)
        if transition.state == "ALARM":
            suppressed = suppressed or _alarm_during(suppressor, t, t + composite.suppressor_wait_period)
        marked.append(Transition(t, transition.state, transition.reason, suppressed))
    results[composite.name].transitions = marked


def evaluate_catalog(
    alarms: Sequence[AnyMetricAlarm],
    composites: Sequence[CompositeAlarm],
    raw: RawData,
    start: float,
    end: float,
) -> dict[str, Result]:
    results = {alarm.name: evaluate_alarm_window(alarm, raw, start, end) for alarm in alarms}
    return evaluate_composites(composites, results, start, end)


# --- Backtest verdicts -------------------------------------------------------------------------
def false_alarms(result: Result) -> int:
    """On a series known to be normal, every transition into ALARM is a false alarm."""
    return len(result.alarm_times())


def detection_delay(result: Result, incident_start: float) -> float | None:
    """Seconds from the incident's start to the first ALARM at or after it (None: not detected)."""
    after = [t for t in result.alarm_times() if t >= incident_start]
    return after[0] - incident_start if after else None
