"""CloudWatch Logs metric filters, applied locally (moto stores filters but never runs them).

The filters are the ones Terraform created (``DescribeMetricFilters``, read back by
local_platform.deployment; they are rendered from ``alerts.catalog.LOG_METRIC_FILTERS``) and the
matching is the alerts package's implementation of CloudWatch's filter-pattern syntax, so the alarms
on ``ObsPlatform/Logs`` metrics see locally what they would see in AWS: a datapoint per matching batch
of lines, none when nothing matched and the filter has no default value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

__all__ = ["MetricFilterUnsupported", "apply_metric_filters"]


class MetricFilterUnsupported(ValueError):
    """A created filter uses what the local matcher does not do (dimensions, a value from the event)."""


def apply_metric_filters(
    cloudwatch: Any,
    filters: Iterable[Mapping[str, Any]],
    log_group: str,
    lines: Iterable[str],
    timestamp: datetime,
) -> int:
    """Publish what the ``filters`` of ``log_group`` make of ``lines``; return the datapoints put."""
    from alerts.filterpattern import matches

    messages = list(lines)
    published = 0
    for log_filter in filters:
        if log_filter["logGroupName"] != log_group:
            continue
        pattern = log_filter.get("filterPattern", "")
        count = sum(1 for message in messages if matches(pattern, message))
        for transformation in log_filter["metricTransformations"]:
            name = f"{log_filter['filterName']}: {transformation['metricName']}"
            if transformation.get("dimensions"):
                raise MetricFilterUnsupported(f"{name}: metric filter dimensions are not applied locally")
            value_text = str(transformation["metricValue"])
            if value_text.startswith("$"):
                raise MetricFilterUnsupported(f"{name}: a metric value from the event ({value_text})")
            default = transformation.get("defaultValue")
            if count == 0 and default is None:
                continue
            value = count * float(value_text) if count else float(default)
            cloudwatch.put_metric_data(
                Namespace=transformation["metricNamespace"],
                MetricData=[
                    {
                        "MetricName": transformation["metricName"],
                        "Value": value,
                        "Unit": transformation.get("unit", "None"),
                        "Timestamp": timestamp,
                    }
                ],
            )
            published += 1
    return published
