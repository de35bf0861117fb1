"""EMF extraction: the metrics CloudWatch makes of Embedded Metric Format log lines."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

__all__ = [
    "emf_metric_data",
]


def emf_metric_data(lines: list[str], timestamp: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The PutMetricData datums CloudWatch extracts from EMF log lines (``_aws.CloudWatchMetrics``)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for line in lines:
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for directive in doc.get("_aws", {}).get("CloudWatchMetrics", []):
            namespace = directive.get("Namespace")
            for dimension_set in directive.get("Dimensions", []):
                dims = [{"Name": d, "Value": str(doc[d])} for d in dimension_set if d in doc]
                for metric in directive.get("Metrics", []):
                    name = metric.get("Name")
                    values = doc.get(name)
                    for value in values if isinstance(values, list) else [values]:
                        if isinstance(value, int | float):
                            out.append(
                                (
                                    namespace,
                                    {
                                        "MetricName": name,
                                        "Dimensions": dims,
                                        "Value": float(value),
                                        "Unit": metric.get("Unit", "None"),
                                        "Timestamp": timestamp,
                                    },
                                )
                            )
    return out
