"""Render the catalog as Terraform JSON for ``infra/modules/alerting/catalog.tf.json``.

The file may reference only the alerting module's variables (the contract with infra/): names are
``${var.name_prefix}-<alarm>``, every alarm notifies ``var.alarm_topic_arn`` on ALARM and OK, and
runbook links start with ``var.runbook_base_url``. No providers, outputs or variables live here.
"""

from __future__ import annotations

import re
from typing import Any

from alerts import catalog
from alerts.model import (
    AnyMetricAlarm,
    CompositeAlarm,
    Dimensions,
    LogMetricFilter,
    MetricAlarm,
    Var,
    is_percentile,
)

TOPIC = "${var.alarm_topic_arn}"
ALLOWED_VARIABLES = frozenset({"name_prefix", "alarm_topic_arn", "runbook_base_url"} | {v.value for v in Var})
"""Every ``var.*`` the rendered file may use (declared by infra/modules/alerting/variables.tf)."""


def full_name(name: str) -> str:
    return f"${{var.name_prefix}}-{name}"


def resource_label(name: str) -> str:
    return name.replace("-", "_")


def _dimensions(dimensions: Dimensions) -> dict[str, str]:
    return {key: value.terraform if isinstance(value, Var) else value for key, value in dimensions}


def _description(description: str, severity: str, runbook: str) -> str:
    return f"[{severity}] {description} Runbook: ${{var.runbook_base_url}}/{runbook}"


def _common(alarm: AnyMetricAlarm | CompositeAlarm) -> dict[str, Any]:
    return {
        "alarm_name": full_name(alarm.name),
        "alarm_description": _description(alarm.description, alarm.severity, alarm.runbook),
        "actions_enabled": True,
        "alarm_actions": [TOPIC],
        "ok_actions": [TOPIC],
        "tags": {"severity": alarm.severity},
    }


def metric_alarm_resource(alarm: AnyMetricAlarm) -> dict[str, Any]:
    if alarm.evaluation_window != "SlidingWindow":
        # aws_cloudwatch_metric_alarm (provider 5.100) has no EvaluationWindow argument: an alarm
        # rendered without it would evaluate differently from what the backtester replayed.
        raise ValueError(f"{alarm.name}: the Terraform render cannot express {alarm.evaluation_window}")
    body = _common(alarm) | {
        "comparison_operator": alarm.comparison,
        "evaluation_periods": alarm.evaluation_periods,
        "datapoints_to_alarm": alarm.datapoints_to_alarm,
        "threshold": alarm.threshold,
        "treat_missing_data": alarm.treat_missing_data,
    }
    if isinstance(alarm, MetricAlarm):
        body |= {
            "namespace": alarm.namespace,
            "metric_name": alarm.metric_name,
            "period": alarm.period,
            "dimensions": _dimensions(alarm.dimensions),
        }
        if is_percentile(alarm.statistic):
            body["extended_statistic"] = alarm.statistic
            # The backtester evaluates percentiles whatever the sample count; so must CloudWatch.
            body["evaluate_low_sample_count_percentiles"] = "evaluate"
        else:
            body["statistic"] = alarm.statistic
        return body
    queries: list[dict[str, Any]] = [
        {"id": "result", "expression": alarm.expression, "label": alarm.label, "return_data": True}
    ]
    for stat in alarm.metrics:
        queries.append(
            {
                "id": stat.id,
                "return_data": False,
                "metric": [
                    {
                        "namespace": stat.metric.namespace,
                        "metric_name": stat.metric.metric_name,
                        "dimensions": _dimensions(stat.metric.dimensions),
                        "period": stat.period,
                        "stat": stat.statistic,
                    }
                ],
            }
        )
    return body | {"metric_query": queries}


def _quoted_rule(rule: str) -> str:
    return re.sub(
        r"(ALARM|OK|INSUFFICIENT_DATA)\(([a-z0-9-]+)\)",
        lambda m: f'{m.group(1)}("{full_name(m.group(2))}")',
        rule,
    )


def composite_resource(composite: CompositeAlarm) -> dict[str, Any]:
    body = _common(composite) | {
        "alarm_rule": _quoted_rule(composite.rule),
        # The rule names alarms by string, so Terraform needs the ordering spelled out.
        "depends_on": sorted(_reference(child) for child in composite.children()),
    }
    if composite.actions_suppressor:
        body["actions_suppressor"] = [
            {
                "alarm": full_name(composite.actions_suppressor),
                "wait_period": composite.suppressor_wait_period,
                "extension_period": composite.suppressor_extension_period,
            }
        ]
        body["depends_on"] = sorted({*body["depends_on"], _reference(composite.actions_suppressor)})
    return body


def _reference(name: str) -> str:
    kind = (
        "aws_cloudwatch_composite_alarm"
        if name in {c.name for c in catalog.COMPOSITES}
        else ("aws_cloudwatch_metric_alarm")
    )
    return f"{kind}.{resource_label(name)}"


def log_metric_filter_resource(metric_filter: LogMetricFilter) -> dict[str, Any]:
    transformation: dict[str, Any] = {
        "name": metric_filter.metric_name,
        "namespace": metric_filter.namespace,
        "value": metric_filter.metric_value,
    }
    if metric_filter.default_value is not None:
        transformation["default_value"] = str(metric_filter.default_value)
    return {
        "name": full_name(metric_filter.name),
        "log_group_name": metric_filter.log_group.terraform,
        "pattern": metric_filter.pattern,
        "metric_transformation": [transformation],
    }


def render_catalog() -> dict[str, Any]:
    return {
        "//": "Generated by `obsctl alerts render` from alerts/catalog.py - do not edit.",
        "resource": {
            "aws_cloudwatch_metric_alarm": {
                resource_label(a.name): metric_alarm_resource(a) for a in catalog.ALL_METRIC_ALARMS
            },
            "aws_cloudwatch_composite_alarm": {
                resource_label(c.name): composite_resource(c) for c in catalog.COMPOSITES
            },
            "aws_cloudwatch_log_metric_filter": {
                resource_label(f.name): log_metric_filter_resource(f) for f in catalog.LOG_METRIC_FILTERS
            },
        },
    }
