"""SLO burn-rate alarms on burns that N-of-N hourly datapoints missed: uneven and low-traffic burns
page through the slow tier, a slow steady burn files the budget ticket, and the old shape (6 of 6
hourly datapoints) is shown to miss the same burns."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable

from alerts import catalog
from alerts.engine import RawData, Result, evaluate_alarm_window, evaluate_catalog
from alerts.model import MathAlarm

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
BUDGET = 0.001  # api-availability: 99.9%


def _traffic(hours: float, per_minute: int, burn: Callable[[float], float]) -> RawData:
    """Requests and 5xx per minute; errors placed deterministically so that the cumulative error
    count follows the burn rate exactly (``burn(hour)`` x budget x requests)."""
    requests, errors = [], []
    owed = 0.0
    for minute in range(int(hours * 60)):
        t = T0 + minute * 60
        owed += burn(minute / 60) * BUDGET * per_minute
        now = math.floor(owed)
        owed -= now
        requests.append((float(t), float(per_minute)))
        errors.append((float(t), float(now)))
    return {catalog.API_REQUESTS: requests, catalog.API_5XX: errors}


def _replay(data: RawData, hours: float) -> dict[str, Result]:
    return evaluate_catalog(catalog.ALL_METRIC_ALARMS, catalog.COMPOSITES, data, T0, T0 + hours * HOUR)


def _fired(results: dict[str, Result], name: str) -> list[int]:
    return results[name].alarm_times()


def _hourly_six_of_six() -> MathAlarm:
    """The slow tier's long window as it was: 6 hourly datapoints that must all breach."""
    long = catalog.get_alarm("api-availability-slow-long")
    assert isinstance(long, MathAlarm)
    metrics = tuple(dataclasses.replace(stat, period=HOUR) for stat in long.metrics)
    return dataclasses.replace(
        long, metrics=metrics, period=HOUR, evaluation_periods=6, datapoints_to_alarm=6
    )


def test_uneven_burn_pages_through_the_slow_tier():
    # Given 6 quiet hours, then 3 h at 1x and 3 h at 12x: 6.5x over 6 h, 12x over the last 30 min
    data = _traffic(14, 20, lambda h: 0.0 if h < 6 else 1.0 if h < 9 else 12.0 if h < 12 else 0.0)
    results = _replay(data, 14)
    # Then the slow tier (6x over 6 h and 30 min) fires before the burn ends, and the API incident pages
    slow = _fired(results, "api-availability-slow-burn")
    assert slow and T0 + 9 * HOUR < slow[0] <= T0 + 12 * HOUR
    assert _fired(results, catalog.API_INCIDENT)
    # ... while 12x never reaches the fast tier's 14.4x
    assert not _fired(results, "api-availability-fast-burn")
    # And the old shape, 6 of 6 hourly datapoints, never fires on the same burn (3 hours at 1x)
    old = evaluate_alarm_window(_hourly_six_of_six(), data, T0, T0 + 14 * HOUR)
    assert old.alarm_times() == []


def test_low_traffic_burn_pages_within_the_slow_tiers_window():
    # Given 2 requests a minute and a steady 7x burn (5 errors in 6 hours) after 6 quiet hours
    data = _traffic(18, 2, lambda h: 0.0 if h < 6 else 7.0)
    results = _replay(data, 18)
    # Then the slow tier pages within its 6-hour window of the burn's start
    slow = _fired(results, "api-availability-slow-burn")
    assert slow and slow[0] <= T0 + 12 * HOUR
    assert _fired(results, catalog.API_INCIDENT)


def _random_errors(hours: int, per_minute: int, burn: float, seed: int) -> RawData:
    rng = random.Random(seed)
    requests, errors = [], []
    for minute in range(hours * 60):
        t = float(T0 + minute * 60)
        rate = 0.0 if minute < 6 * 60 else burn * BUDGET
        requests.append((t, float(per_minute)))
        errors.append((t, float(sum(rng.random() < rate for _ in range(per_minute)))))
    return {catalog.API_REQUESTS: requests, catalog.API_5XX: errors}


def test_a_random_low_traffic_6x_burn_pages_far_more_often_than_six_hourly_breaches():
    # Given 20 low-traffic runs (2 requests a minute) with errors drawn at exactly 6x for 6 hours
    pages = old_pages = 0
    for seed in range(20):
        data = _random_errors(12, 2, 6.0, seed)
        results = _replay(data, 12)
        pages += bool(_fired(results, "api-availability-slow-burn"))
        old = evaluate_alarm_window(_hourly_six_of_six(), data, T0, T0 + 12 * HOUR)
        old_pages += bool(old.alarm_times())
    # Then the window's true ratio pages in most runs (it is above 6x about half of the time, by
    # chance), while 6 breaching hours in a row almost never happen (hours without any error)
    assert pages >= 10
    assert old_pages <= 3


def test_slow_steady_burn_files_the_budget_ticket_and_pages_nobody():
    # Given three days at 0.2x, then three days at 1.5x (the budget gone in 20 days instead of 30)
    data = _traffic(6 * 24, 20, lambda h: 0.2 if h < 72 else 1.5)
    results = _replay(data, 6 * 24)
    # Then the budget tier tickets when the 3-day ratio passes 1x: 0.2 (72 - x) + 1.5 x > 72 for
    # x > 44.3 hours into the burn (the 6-hour window is at 1.5x by then)
    budget = _fired(results, "api-availability-budget-burn")
    assert budget and T0 + (72 + 44) * HOUR <= budget[0] <= T0 + (72 + 45) * HOUR
    assert catalog.get_alarm("api-availability-budget-burn").severity == "ticket"
    # ... and nothing pages: 1.5x is far below the fast and slow tiers
    assert not _fired(results, catalog.API_INCIDENT)
    assert not _fired(results, "api-availability-slow-burn")
