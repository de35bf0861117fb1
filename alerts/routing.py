"""The notifier's routing table: what the notifier Lambda (notifier/) needs to know about every
catalog alarm, rendered to ``notifier/routing.json`` by ``obsctl alerts render``.

The notifier imports nothing from alerts/ (a deployable unit carries ``signals`` and itself only),
so the table carries each alarm's severity, whether it posts at all, its description, the
condition in words, and its chat links built by ``alerts.notify`` with ``${OBS_*}`` placeholders
for the deployment values - the same links the Grafana rules carry - which the notifier binds from
its configuration.

One owner per symptom: every catalog alarm posts through the notifier (CloudWatch owns the
symptom). ``info`` alarms (the SLO window alarms, parts of composites) do not post.
"""

from __future__ import annotations

from typing import Any

from alerts import catalog
from alerts.grafana import LINKS
from alerts.model import AnyMetricAlarm, CompositeAlarm, MathAlarm
from alerts.notify import deep_links, next_steps, opensearch_query

_PHRASE = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}

VERSION = 1


def _condition(alarm: AnyMetricAlarm | CompositeAlarm) -> str:
    if isinstance(alarm, CompositeAlarm):
        return f"Rule: `{alarm.rule}`"
    what = alarm.label if isinstance(alarm, MathAlarm) else f"{alarm.metric_name} ({alarm.statistic})"
    return (
        f"Threshold: {what} {_PHRASE[alarm.comparison]} {alarm.threshold:g} for "
        f"{alarm.datapoints_to_alarm} of {alarm.evaluation_periods} periods of {alarm.period} s"
    )


def route(alarm: AnyMetricAlarm | CompositeAlarm) -> dict[str, Any]:
    index, query = opensearch_query(alarm.name)
    return {
        "severity": alarm.severity,
        "posts": alarm.severity != "info",
        "description": alarm.description,
        "condition": _condition(alarm),
        "next_steps": next_steps(deep_links(LINKS, alarm)),
        "opensearch": {"index": index, "query": query},
    }


def render_routing() -> dict[str, Any]:
    alarms = (*catalog.ALL_METRIC_ALARMS, *catalog.COMPOSITES)
    return {"version": VERSION, "alarms": {alarm.name: route(alarm) for alarm in alarms}}
