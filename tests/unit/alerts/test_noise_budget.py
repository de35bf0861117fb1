"""Noise budget: the catalog is quiet on a normal week and catches each staged incident in time."""

from __future__ import annotations

import pytest

from alerts import catalog, samples
from alerts.engine import Result, detection_delay, evaluate_catalog
from alerts.model import CompositeAlarm

ALARMS = catalog.ALL_METRIC_ALARMS


@pytest.fixture(scope="module")
def normal_week() -> dict[str, Result]:
    data = samples.normal_week()
    return evaluate_catalog(
        ALARMS, catalog.COMPOSITES, data, samples.START, samples.START + samples.WEEK_MINUTES * 60
    )


def test_sample_generation_is_deterministic():
    assert samples.generate(120, seed=3) == samples.generate(120, seed=3)
    assert samples.generate(120, seed=3) != samples.generate(120, seed=4)


def test_normal_week_fires_no_paging_alarm(normal_week):
    fired = {name: len(r.alarm_times()) for name, r in normal_week.items() if r.alarm_times()}
    assert not set(fired) & set(catalog.paging_alarm_names()), fired


def test_normal_week_fires_no_ticket_either(normal_week):
    # Only single SLO windows (severity info) may blip: they page nobody without their partner window.
    noisy = {n for n, r in normal_week.items() if r.alarm_times() and catalog.get_alarm(n).severity != "info"}
    assert noisy == set()


def test_every_alarm_was_evaluated_on_the_week(normal_week):
    assert set(normal_week) == set(catalog.all_alarm_names())
    evaluated = [r for n, r in normal_week.items() if n in {a.name for a in ALARMS}]
    assert all(r.evaluated_until >= samples.START + samples.WEEK_MINUTES * 60 - 3600 for r in evaluated)


@pytest.mark.parametrize("incident", samples.INCIDENTS, ids=lambda i: i.name)
def test_incident_fires_the_intended_alarm_in_time_and_nothing_unrelated(incident):
    # Given six hours of traffic with the incident staged in the middle
    data = samples.incident_data(incident)
    # When the whole catalog is replayed
    results = evaluate_catalog(
        ALARMS, catalog.COMPOSITES, data, samples.START, samples.START + samples.INCIDENT_MINUTES * 60
    )
    # Then the intended alarm fires within its documented detection time
    intended = catalog.get_alarm(incident.intended)
    assert not isinstance(intended, CompositeAlarm)
    delay = detection_delay(results[incident.intended], incident.start)
    assert delay is not None, f"{incident.intended} missed {incident.name}"
    assert delay <= intended.detection_seconds
    # ... the incident pages exactly once
    pages = [n for n in catalog.paging_alarm_names() if results[n].alarm_times()]
    assert len(pages) == 1, pages
    assert sum(len(results[n].alarm_times()) for n in pages) == 1
    # ... and every alarm outside the incident's expected set stays quiet
    unexpected = {n for n, r in results.items() if r.alarm_times() and n not in incident.expected}
    assert unexpected == set()
