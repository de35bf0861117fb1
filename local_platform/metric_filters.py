"""CloudWatch Logs metric filters, applied locally (moto stores filters but never runs them).

The filters are the catalog's (``alerts.catalog.LOG_METRIC_FILTERS``) and the matching is the
alerts package's implementation of CloudWatch's filter-pattern syntax, so the alarms on
``ObsPlatform/Logs`` metrics see locally what they would see in AWS: a datapoint per matching
batch of lines, none when nothing matched (the filters have no default value).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from alerts.model import Var

__all__ = ["apply_metric_filters"]


def apply_metric_filters(cloudwatch: Any, log_group: Var, lines: Iterable[str], timestamp: datetime) -> int:
    """Publish what the catalog's filters on ``log_group`` make of ``lines``; return datapoints put."""
    from alerts.catalog import LOG_METRIC_FILTERS
    from alerts.filterpattern import matches

    messages = list(lines)
    published = 0
    for log_filter in LOG_METRIC_FILTERS:
        if log_filter.log_group is not log_group:
            continue
        count = sum(1 for message in messages if matches(log_filter.pattern, message))
        if count == 0 and log_filter.default_value is None:
            continue
        value = count * float(log_filter.metric_value) if count else float(log_filter.default_value or 0)
        cloudwatch.put_metric_data(
            Namespace=log_filter.namespace,
            MetricData=[
                {"MetricName": log_filter.metric_name, "Value": value, "Unit": "None", "Timestamp": timestamp}
            ],
        )
        published += 1
    return published
