"""Properties of the evaluation rule that must hold for every window, not just the documented rows."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.engine import evaluate_range

windows = st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.integers(min_value=1, max_value=n),
        st.lists(st.one_of(st.none(), st.sampled_from([0.0, 9.0])), min_size=n + 2, max_size=n + 2),
        st.sampled_from(["OK", "ALARM", "INSUFFICIENT_DATA"]),
    )
)
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


def _state(n, m, window, treatment, current):
    return evaluate_range(
        window, evaluation_periods=n, datapoints_to_alarm=m, treat_missing_data=treatment,
        is_breaching=lambda v: v > 5, current=current,
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(windows)
def test_treatment_is_irrelevant_with_enough_real_datapoints(case):
    n, m, window, current = case
    if sum(v is not None for v in window) >= n:
        assert len({_state(n, m, window, t, current) for t in TREATMENTS}) == 1


@settings(max_examples=300, deadline=None)
@given(windows)
def test_breaching_and_not_breaching_always_decide(case):
    n, m, window, current = case
    assert _state(n, m, window, "breaching", current) in ("OK", "ALARM")
    assert _state(n, m, window, "notBreaching", current) in ("OK", "ALARM")
    # treating missing data as breaching is never less alarming than treating it as good
    if _state(n, m, window, "notBreaching", current) == "ALARM":
        assert _state(n, m, window, "breaching", current) == "ALARM"


@settings(max_examples=300, deadline=None)
@given(windows)
def test_ignore_only_differs_from_missing_by_keeping_the_state(case):
    n, m, window, current = case
    missing, ignore = _state(n, m, window, "missing", current), _state(n, m, window, "ignore", current)
    assert missing == ignore or ignore == current
