"""The catalog: names from signals, the paging policy, SLO expansion and the public API."""

from __future__ import annotations

import pytest

from alerts import catalog
from alerts.model import CompositeAlarm, MathAlarm, MetricAlarm, Var
from alerts.slo import TIERS, percentile_for_burn
from signals import logs as fields
from signals import metrics as M

KNOWN_METRICS = {
    M.NAMESPACE: set(M.FUNCTION_METRICS) | set(M.SHIPPER_METRICS),
    M.LOG_METRIC_NAMESPACE: set(M.LOG_METRICS),
    **{namespace: set(names) for namespace, names in M.AWS_PUBLISHED.items()},
}


def _metrics():
    for alarm in catalog.ALL_METRIC_ALARMS:
        if isinstance(alarm, MetricAlarm):
            yield alarm.name, alarm.metric
        else:
            for stat in alarm.metrics:
                yield alarm.name, stat.metric


@pytest.mark.parametrize(
    ("alarm", "metric"), list(_metrics()), ids=lambda v: str(getattr(v, "metric_name", v))
)
def test_every_metric_is_one_signals_defines(alarm, metric):
    assert metric.metric_name in KNOWN_METRICS[metric.namespace], alarm


def test_names_are_unique_and_listed():
    names = catalog.all_alarm_names()
    assert len(names) == len(set(names))
    assert {a.name for a in catalog.ALARMS} | {c.name for c in catalog.COMPOSITES} <= set(names)
    assert catalog.get_alarm("api-5xx-rate").severity == "ticket"
    with pytest.raises(KeyError, match="no alarm named"):
        catalog.get_alarm("nope")


def test_each_burn_rate_composite_has_its_tiers_severity():
    for slo in catalog.SLOS:
        for tier in TIERS:
            composite = catalog.get_alarm(f"{slo.name}-{tier.name}-burn")
            assert composite.severity == tier.severity
    # and a tier that paged on its own would break "one incident pages once" (checked below too)
    assert {tier.severity for tier in TIERS} <= {"ticket", "info"}


def test_only_the_incident_composites_page():
    # one incident pages once: symptoms are tickets/info, the incident composites page
    assert set(catalog.paging_alarm_names()) == {catalog.API_INCIDENT, catalog.PIPELINE_INCIDENT}
    pipeline = catalog.get_alarm(catalog.PIPELINE_INCIDENT)
    assert isinstance(pipeline, CompositeAlarm)
    assert pipeline.actions_suppressor == catalog.API_INCIDENT


def test_issue_required_alarms_exist():
    names = set(catalog.all_alarm_names())
    assert {"api-5xx-rate", "function-error-rate", "shipper-dead-letters", "shipper-errors",
            "shipper-async-event-age", "function-logs-delivery-errors", "function-logs-delivery-throttling",
            "access-logs-delivery-errors", "access-logs-delivery-throttling"} <= names  # fmt: skip


def test_log_metric_filters_match_what_the_code_prints():
    patterns = {f.name: f for f in catalog.LOG_METRIC_FILTERS}
    assert patterns["function-error-lines"].pattern == f'{{ $.{fields.PT_LEVEL} = "ERROR" }}'
    assert patterns["function-task-timeouts"].pattern == '"Task timed out"'
    assert fields.SHIPPER_DEAD_LETTER_MESSAGE in patterns["shipper-dead-letter-lines"].pattern
    assert patterns["shipper-dead-letter-lines"].log_group is Var.SHIPPER_LOG_GROUP
    assert {f.metric_name for f in catalog.LOG_METRIC_FILTERS} == set(M.LOG_METRICS)
    assert all(f.namespace == M.LOG_METRIC_NAMESPACE for f in catalog.LOG_METRIC_FILTERS)


def test_slo_expansion_fits_cloudwatch_limits_and_burn_rates():
    availability = {a.name: a for a in catalog.SLO_ALARMS if a.name.startswith("api-availability")}
    fast_long = availability["api-availability-fast-long"]
    assert isinstance(fast_long, MathAlarm)
    assert fast_long.threshold == pytest.approx(14.4 * 0.001)
    assert (fast_long.period, fast_long.evaluation_periods) == (3600, 1)
    # Each window is one datapoint whose period is the window (the workbook's 1 h/5 min, 6 h/30 min,
    # 3 days/6 h), within PutMetricAlarm's 7-day range for periods of an hour or more.
    windows = {a.name.removeprefix("api-availability-").removeprefix("api-latency-"): a.period
               for a in catalog.SLO_ALARMS}  # fmt: skip
    assert windows == {"fast-long": 3600, "fast-short": 300, "slow-long": 6 * 3600, "slow-short": 1800,
                       "budget-long": 3 * 86_400, "budget-short": 6 * 3600}  # fmt: skip
    for alarm in catalog.SLO_ALARMS:
        assert (alarm.evaluation_periods, alarm.datapoints_to_alarm) == (1, 1)
        assert alarm.period * alarm.evaluation_periods <= 7 * 86_400
        assert alarm.severity == "info"
    latency = catalog.get_alarm("api-latency-fast-short")
    assert isinstance(latency, MetricAlarm)
    assert latency.statistic == "p85.6"
    assert len(catalog.SLO_COMPOSITES) == len(catalog.SLOS) * len(TIERS)


@pytest.mark.parametrize(
    ("objective", "burn", "expected"), [(0.99, 14.4, "p85.6"), (0.99, 6, "p94"), (0.99, 1, "p99")]
)
def test_latency_burn_rate_maps_to_a_percentile(objective, burn, expected):
    assert percentile_for_burn(objective, burn) == expected


def test_impossible_burn_rate_is_rejected():
    with pytest.raises(ValueError, match="impossible"):
        percentile_for_burn(0.9, 14.4)


def test_every_runbook_link_has_a_section():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "alerts" / "RUNBOOK.md").read_text()
    anchors = {line[3:].strip() for line in text.splitlines() if line.startswith("## ")}
    for alarm in (*catalog.ALL_METRIC_ALARMS, *catalog.COMPOSITES):
        path, _, anchor = alarm.runbook.partition("#")
        assert path == catalog.RUNBOOK and anchor in anchors, alarm.name
