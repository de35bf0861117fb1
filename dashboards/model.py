"""Small attrs extensions to grafanalib 0.7.1 for the Grafana that Amazon Managed Grafana runs.

grafanalib 0.7.1 writes ``schemaVersion`` 12, CloudWatch targets without ``label`` or Metrics
Insights fields, data sources as plain names and no OpenSearch target at all. Rather than editing
the rendered JSON by hand, each gap is one small class here that grafanalib's encoder serialises
through ``to_json_data``. Field names follow Grafana's own query models:

- CloudWatch: ``public/app/plugins/datasource/cloudwatch/dataquery.cue`` (``CloudWatchMetricsQuery``
  with ``queryMode``, ``metricQueryType`` 0 = Search / 1 = Query (Metrics Insights),
  ``metricEditorMode`` 0 = Builder / 1 = Code, ``label``, ``sqlExpression``;
  ``CloudWatchAnnotationQuery`` with ``prefixMatching`` / ``alarmNamePrefix``).
- OpenSearch (plugin ``grafana-opensearch-datasource``): Lucene targets with ``metrics`` and
  ``bucketAggs`` like Grafana's Elasticsearch query model, plus ``queryType`` and ``luceneQueryType``.
"""

from __future__ import annotations

from typing import Any, Final

import attr
import grafanalib.core as g

from signals.services import GRAFANA_CLOUDWATCH_UID, GRAFANA_OPENSEARCH_UID

SCHEMA_VERSION: Final = 39
"""Dashboard schema of Grafana 10.4 / 11 (what Managed Grafana workspaces run)."""

CLOUDWATCH_TYPE: Final = "cloudwatch"
OPENSEARCH_TYPE: Final = "grafana-opensearch-datasource"


@attr.s(frozen=True, auto_attribs=True)
class DataSourceRef:
    """A ``{type, uid}`` data source reference (Grafana >= 8.3), instead of a data source name."""

    type: str
    uid: str

    def to_json_data(self) -> dict[str, str]:
        return {"type": self.type, "uid": self.uid}


CLOUDWATCH: Final = DataSourceRef(CLOUDWATCH_TYPE, GRAFANA_CLOUDWATCH_UID)
OPENSEARCH: Final = DataSourceRef(OPENSEARCH_TYPE, GRAFANA_OPENSEARCH_UID)

Dimensions = dict[str, str | list[str]]
ALL: Final = "$__all"
"""Grafana's value of a variable's "All" option."""


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class MetricQuery:
    """One CloudWatch metric (builder mode): namespace, metric name, dimensions, statistic."""

    refId: str
    namespace: str
    metricName: str
    dimensions: Dimensions
    statistic: str
    label: str = ""
    period: str = ""
    region: str = "$region"
    hide: bool = False
    id: str = ""
    datasource: DataSourceRef = CLOUDWATCH

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "dimensions": dict(self.dimensions),
            "expression": "",
            "hide": self.hide,
            "id": self.id or self.refId.lower(),
            "label": self.label,
            "matchExact": True,
            "metricEditorMode": 0,
            "metricName": self.metricName,
            "metricQueryType": 0,
            "namespace": self.namespace,
            "period": self.period,
            "queryMode": "Metrics",
            "refId": self.refId,
            "region": self.region,
            "sqlExpression": "",
            "statistic": self.statistic,
        }


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class MathQuery:
    """A CloudWatch metric math expression over the ``id`` of other queries (code mode)."""

    refId: str
    expression: str
    label: str = ""
    period: str = ""
    region: str = "$region"
    hide: bool = False
    id: str = ""
    datasource: DataSourceRef = CLOUDWATCH

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "dimensions": {},
            "expression": self.expression,
            "hide": self.hide,
            "id": self.id or self.refId.lower(),
            "label": self.label,
            "matchExact": True,
            "metricEditorMode": 1,
            "metricName": "",
            "metricQueryType": 0,
            "namespace": "",
            "period": self.period,
            "queryMode": "Metrics",
            "refId": self.refId,
            "region": self.region,
            "sqlExpression": "",
            "statistic": "Average",
        }


INSIGHTS_STATISTICS: Final = {
    "AVG": "Average", "COUNT": "SampleCount", "MAX": "Maximum", "MIN": "Minimum", "SUM": "Sum"
}  # fmt: skip
"""Metrics Insights aggregation functions and the CloudWatch statistic each one computes."""


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class InsightsQuery:
    """A CloudWatch Metrics Insights query (``metricQueryType`` 1, code mode).

    Built from parts rather than free SQL so the metric, schema and grouping stay checkable:
    ``SELECT <func>(<metric>) FROM SCHEMA("<namespace>", <schema keys>) GROUP BY <key> ...``.
    """

    refId: str
    namespace: str
    metricName: str
    schema: tuple[str, ...]
    func: str = "SUM"
    group_by: tuple[str, ...] = ()
    order_limit: int = 0
    label: str = ""
    region: str = "$region"
    hide: bool = False
    datasource: DataSourceRef = CLOUDWATCH

    @property
    def sql(self) -> str:
        # CloudWatch Metrics Insights, not SQL on a database; every part is one of our constants.
        keys = ", ".join(self.schema)
        text = f'SELECT {self.func}({self.metricName}) FROM SCHEMA("{self.namespace}", {keys})'  # noqa: S608
        if self.group_by:
            text += " GROUP BY " + ", ".join(self.group_by)
        if self.order_limit:
            text += f" ORDER BY {self.func}() DESC LIMIT {self.order_limit}"
        return text

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "hide": self.hide,
            "id": "",
            "label": self.label,
            "metricEditorMode": 1,
            "metricQueryType": 1,
            "queryMode": "Metrics",
            "refId": self.refId,
            "region": self.region,
            "sqlExpression": self.sql,
            # The plugin refuses a Metrics Insights query without a statistic; it is the SELECT's
            # aggregation under its CloudWatch name.
            "statistic": INSIGHTS_STATISTICS[self.func],
        }


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class AlarmAnnotation:
    """Alarm state changes of one CloudWatch alarm drawn on every time series panel.

    Grafana's CloudWatch annotation query with ``prefixMatching`` calls DescribeAlarms with the
    name prefix, then keeps the metric alarms whose namespace, metric, dimension names, statistic
    and period equal the query's; so each metric alarm gets one annotation with its own metric.
    """

    name: str
    alarmNamePrefix: str
    namespace: str
    metricName: str
    dimensions: Dimensions
    statistic: str
    period: int
    iconColor: str = "red"
    region: str = "$region"
    datasource: DataSourceRef = CLOUDWATCH

    def to_json_data(self) -> dict[str, Any]:
        return {
            "datasource": self.datasource,
            "enable": True,
            "iconColor": self.iconColor,
            "name": self.name,
            "target": {
                "actionPrefix": "",
                "alarmNamePrefix": self.alarmNamePrefix,
                "dimensions": dict(self.dimensions),
                "matchExact": True,
                "metricName": self.metricName,
                "namespace": self.namespace,
                "period": str(self.period),
                "prefixMatching": True,
                "queryMode": "Annotations",
                "refId": "Anno",
                "region": self.region,
                "statistic": self.statistic,
            },
        }


@attr.s(frozen=True, auto_attribs=True)
class Agg:
    """One OpenSearch metric or bucket aggregation (``metrics`` / ``bucketAggs`` entries)."""

    id: str
    type: str
    field: str = ""
    settings: dict[str, Any] = attr.Factory(dict)

    def to_json_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "settings": dict(self.settings)}
        if self.field:
            data["field"] = self.field
        return data


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class OpenSearchQuery:
    """A Lucene query of the OpenSearch data source plugin."""

    refId: str
    query: str
    metrics: tuple[Agg, ...]
    bucketAggs: tuple[Agg, ...] = ()
    alias: str = ""
    timeField: str = "@timestamp"
    hide: bool = False
    datasource: DataSourceRef = OPENSEARCH

    def to_json_data(self) -> dict[str, Any]:
        is_logs = any(m.type in {"logs", "raw_data"} for m in self.metrics)
        return {
            "alias": self.alias,
            "bucketAggs": list(self.bucketAggs),
            "datasource": self.datasource,
            "format": "table",
            "hide": self.hide,
            "luceneQueryType": "Logs" if is_logs else "Metric",
            "metrics": list(self.metrics),
            "query": self.query,
            "queryType": "lucene",
            "refId": self.refId,
            "timeField": self.timeField,
        }


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class Variable:
    """A dashboard template variable with a ``{type, uid}`` data source and a structured query.

    grafanalib's ``Template`` only knows string queries and data source names; the CloudWatch
    variable editor stores an object (``queryType`` regions / dimensionValues ...).
    """

    name: str
    label: str
    type: str
    query: Any
    default: str = ""
    datasource: DataSourceRef | None = None
    description: str = ""
    hide: int = 0
    includeAll: bool = False
    allValue: str | None = None
    options: tuple[str, ...] = ()

    def to_json_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "current": {"selected": bool(self.default), "text": self.default, "value": self.default},
            "description": self.description,
            "hide": self.hide,
            "label": self.label,
            "name": self.name,
            "query": self.query,
            "skipUrlSync": False,
            "type": self.type,
        }
        if self.type == "query":
            data.update(
                {
                    "datasource": self.datasource,
                    "definition": "",
                    "includeAll": self.includeAll,
                    "allValue": self.allValue,
                    "multi": False,
                    "options": [],
                    "refresh": 2,
                    "regex": "",
                    "sort": 1,
                }
            )
        elif self.type == "custom":
            data["options"] = [
                {"selected": value == self.default, "text": value, "value": value} for value in self.options
            ]
            if self.includeAll:
                # Grafana inserts a custom all value unformatted (no Lucene escaping of "*").
                data["options"].insert(0, {"selected": self.default == ALL, "text": "All", "value": ALL})
                if self.default == ALL:
                    data["current"] = {"selected": True, "text": ["All"], "value": [ALL]}
            data["multi"] = False
            data["includeAll"] = self.includeAll
            data["allValue"] = self.allValue
        else:
            data["options"] = (
                [{"selected": True, "text": self.default, "value": self.default}] if self.default else []
            )
        return data


@attr.s(frozen=True, auto_attribs=True, kw_only=True)
class Dashboard:
    """A whole dashboard at the current ``schemaVersion``, built from grafanalib panels.

    Only the top-level model is ours: panels remain grafanalib objects (``TimeSeries``, ``Stat``,
    ``Table``, ``Logs``, ``Text``), and their ids are set by ``auto_panel_ids`` in order, so they
    stay stable between renders.
    """

    uid: str
    title: str
    description: str
    tags: tuple[str, ...]
    panels: tuple[g.Panel, ...]
    variables: tuple[Variable, ...] = ()
    annotations: tuple[AlarmAnnotation, ...] = ()
    links: tuple[dict[str, Any], ...] = ()
    time_from: str = "now-3h"
    refresh: str = "1m"

    def to_json_data(self) -> dict[str, Any]:
        panels = _with_ids(self.panels)
        return {
            "annotations": {"list": [_BUILTIN_ANNOTATION, *self.annotations]},
            "description": self.description,
            "editable": False,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": list(self.links),
            "liveNow": False,
            "panels": panels,
            "refresh": self.refresh,
            "schemaVersion": SCHEMA_VERSION,
            "tags": list(self.tags),
            "templating": {"list": list(self.variables)},
            "time": {"from": self.time_from, "to": "now"},
            "timepicker": {},
            "timezone": "utc",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


_BUILTIN_ANNOTATION: Final[dict[str, Any]] = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}


def _with_ids(panels: tuple[g.Panel, ...]) -> list[g.Panel]:
    """Number panels 1..n in layout order: stable ids without hand-numbering."""
    return [attr.evolve(panel, id=index) for index, panel in enumerate(panels, start=1)]


def layout(rows: list[list[tuple[g.Panel, int]]], height: int = 8) -> tuple[g.Panel, ...]:
    """Place panels on the 24-column grid: each row is a list of (panel, width)."""
    placed: list[g.Panel] = []
    y = 0
    for row in rows:
        x = 0
        row_height = height
        for panel, width in row:
            if isinstance(panel, g.RowPanel):
                row_height = 1
            placed.append(attr.evolve(panel, gridPos=g.GridPos(h=row_height, w=width, x=x, y=y)))
            x += width
        if x > 24:
            raise ValueError(f"row at y={y} is {x} columns wide; the grid has 24")
        y += row_height
    return tuple(placed)
