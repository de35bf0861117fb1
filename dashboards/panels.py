"""Building blocks shared by the ``*.dashboard.py`` files: variables, queries, panels, alarms.

The dashboards draw what the alarm catalog (``alerts.catalog``) evaluates, with the same metric,
statistic, period, unit and threshold: a panel that shows an alarm's metric *claims* the alarm (its
threshold is drawn as a line, its name and runbook are in the panel description, its state changes
are annotations), and every alarm a dashboard owns but no hand-made panel claims gets a generated
panel in the dashboard's "Alarms" row. So a new alarm in the catalog shows up on a dashboard
without anyone editing one, and the contract tests can check that every alarm does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import attr
import grafanalib.core as g

from alerts.model import (
    AnyMetricAlarm,
    CompositeAlarm,
    Dimensions,
    MathAlarm,
    MetricAlarm,
    MetricRef,
    Var,
)
from dashboards.model import (
    CLOUDWATCH,
    AlarmAnnotation,
    MathQuery,
    MetricQuery,
    Variable,
    layout,
)
from signals import metrics as M
from signals.services import API_SERVICE, PROJECT, SHIPPER_SERVICE

ALARM_NAME_PREFIX: Final = PROJECT
"""Alarms are named ``<name_prefix>-<catalog name>``; the dashboards assume the default prefix."""

# Dashboard uids: stable, so links between dashboards survive renames of titles.
API_UID: Final = "obs-api-overview"
PIPELINE_UID: Final = "obs-log-pipeline"
LOGS_UID: Final = "obs-logs"
SLO_UID: Final = "obs-slos"
TAGS: Final = (PROJECT,)

# --- Template variables --------------------------------------------------------------------------
VAR_TEMPLATE: Final[dict[Var, str]] = {
    Var.FUNCTION_NAME: "$function",
    Var.SHIPPER_FUNCTION_NAME: "$shipper",
    Var.API_ID: "$api_id",
    Var.API_STAGE: "$stage",
    # Lambda's own naming convention for a function's log group.
    Var.FUNCTION_LOG_GROUP: "/aws/lambda/$function",
    Var.SHIPPER_LOG_GROUP: "/aws/lambda/$shipper",
    Var.ACCESS_LOG_GROUP: "$access_log_group",
    Var.FUNCTION_SUBSCRIPTION_FILTER: "$function_filter",
    Var.ACCESS_SUBSCRIPTION_FILTER: "$access_filter",
}
"""How each deployment-specific dimension of the catalog is bound on a dashboard."""


def _dimension_values(
    name: str,
    label: str,
    namespace: str,
    metric: str,
    key: str,
    default: str,
    filters: dict[str, str] | None = None,
    description: str = "",
) -> Variable:
    return Variable(
        name=name,
        label=label,
        type="query",
        datasource=CLOUDWATCH,
        default=default,
        description=description,
        query={
            "dimensionFilters": filters or {},
            "dimensionKey": key,
            "metricName": metric,
            "namespace": namespace,
            "queryType": "dimensionValues",
            "refId": f"var-{name}",
            "region": "$region",
        },
    )


REGION = Variable(
    name="region",
    label="Region",
    type="query",
    datasource=CLOUDWATCH,
    default="default",
    description="AWS region of the deployment (default: the data source's region).",
    query={"queryType": "regions", "refId": "var-region"},
)
API_ID = _dimension_values(
    "api_id",
    "API id",
    M.APIGW_NAMESPACE,
    M.APIGW_COUNT,
    M.APIGW_DIM_API_ID,
    "",
    description="The HTTP API (API Gateway v2) id.",
)
STAGE = _dimension_values(
    "stage",
    "Stage",
    M.APIGW_NAMESPACE,
    M.APIGW_COUNT,
    M.APIGW_DIM_STAGE,
    "$default",
    filters={M.APIGW_DIM_API_ID: "$api_id"},
)
FUNCTION = _dimension_values(
    "function",
    "Function",
    M.LAMBDA_NAMESPACE,
    M.LAMBDA_INVOCATIONS,
    M.LAMBDA_DIM_FUNCTION,
    f"{PROJECT}-{API_SERVICE}",
    description="The API's Lambda function.",
)
SHIPPER = _dimension_values(
    "shipper",
    "Shipper function",
    M.LAMBDA_NAMESPACE,
    M.LAMBDA_INVOCATIONS,
    M.LAMBDA_DIM_FUNCTION,
    f"{PROJECT}-{SHIPPER_SERVICE}",
    description="The log shipper's Lambda function.",
)
ACCESS_LOG_GROUP = _dimension_values(
    "access_log_group",
    "Access log group",
    M.LOGS_NAMESPACE,
    M.LOGS_DELIVERY_ERRORS,
    M.LOGS_DIM_LOG_GROUP,
    f"/aws/apigateway/{PROJECT}-http-api/access",
)
FUNCTION_FILTER = _dimension_values(
    "function_filter",
    "Function log subscription",
    M.LOGS_NAMESPACE,
    M.LOGS_DELIVERY_ERRORS,
    M.LOGS_DIM_FILTER,
    "",
    filters={M.LOGS_DIM_LOG_GROUP: "/aws/lambda/$function"},
)
ACCESS_FILTER = _dimension_values(
    "access_filter",
    "Access log subscription",
    M.LOGS_NAMESPACE,
    M.LOGS_DELIVERY_ERRORS,
    M.LOGS_DIM_FILTER,
    "",
    filters={M.LOGS_DIM_LOG_GROUP: "$access_log_group"},
)
API_VARIABLES: Final = (REGION, API_ID, STAGE, FUNCTION)
PIPELINE_VARIABLES: Final = (REGION, FUNCTION, SHIPPER, ACCESS_LOG_GROUP, FUNCTION_FILTER, ACCESS_FILTER)


def bind(dimensions: Dimensions) -> dict[str, str | list[str]]:
    """Catalog dimensions with ``Var`` placeholders -> CloudWatch query dimensions with variables."""
    return {name: VAR_TEMPLATE[value] if isinstance(value, Var) else value for name, value in dimensions}


# --- Units ---------------------------------------------------------------------------------------
_UNIT_BY_METRIC: Final[dict[str, str]] = {
    M.LAMBDA_DURATION: "ms",
    M.LAMBDA_ASYNC_AGE: "ms",
    M.APIGW_LATENCY: "ms",
    M.APIGW_INTEGRATION_LATENCY: "ms",
    M.S3_LATENCY: "ms",
    M.SHIPPER_INGEST_LAG: "ms",
    M.SHIPPER_BULK_BYTES: "bytes",
    M.APIGW_DATA_PROCESSED: "bytes",
}


def unit_of(alarm: AnyMetricAlarm) -> str:
    """Grafana unit of what the alarm compares with its threshold."""
    if isinstance(alarm, MetricAlarm):
        return _UNIT_BY_METRIC.get(alarm.metric_name, "short")
    if alarm.expression.replace(" ", "").startswith("100*"):
        return "percent"
    return "percentunit" if "/" in alarm.expression else "short"


# --- Links ---------------------------------------------------------------------------------------
def logs_link(function_variable: str) -> dict[str, Any]:
    """Data link from a metric panel to the logs dashboard: same time range, same function."""
    return {
        "targetBlank": False,
        "title": "Logs of this function in this time range",
        "url": f"/d/{LOGS_UID}/logs?${{__url_time_range}}&var-function=${{{function_variable}}}",
    }


def request_link(variable: str) -> dict[str, Any]:
    """Data link from a table cell (a request or trace id) to the logs of that request only."""
    return {
        "targetBlank": False,
        "title": f"All logs of this {variable.replace('_', ' ')}",
        "url": f"/d/{LOGS_UID}/logs?${{__url_time_range}}&var-{variable}=${{__value.raw}}",
    }


def dashboard_links() -> tuple[dict[str, Any], ...]:
    return (
        {
            "asDropdown": True,
            "icon": "external link",
            "includeVars": False,
            "keepTime": True,
            "tags": list(TAGS),
            "targetBlank": False,
            "title": "Observability platform",
            "type": "dashboards",
        },
    )


# --- Panels --------------------------------------------------------------------------------------
def _threshold_steps(alarms: Sequence[AnyMetricAlarm], scale: float = 1.0) -> list[dict[str, Any]]:
    if not alarms:
        return [{"color": "green", "value": None}]
    below = alarms[0].comparison.startswith("LessThan")
    values = sorted({alarm.threshold * scale for alarm in alarms})
    if below:  # e.g. an SLI under its objective: red below, green above
        return [{"color": "red", "value": None}] + [{"color": "green", "value": v} for v in values]
    colours = ["orange", "red"] if len(values) > 1 else ["red"]
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    for index, value in enumerate(values):
        steps.append({"color": colours[min(index, len(colours) - 1)], "value": value})
    return steps


def describe(text: str, alarms: Iterable[AnyMetricAlarm | CompositeAlarm]) -> str:
    lines = [text] if text else []
    for alarm in alarms:
        threshold = getattr(alarm, "threshold", None)
        detail = f" (threshold {threshold:g})" if threshold is not None else ""
        lines.append(
            f"- Alarm `{ALARM_NAME_PREFIX}-{alarm.name}` [{alarm.severity}]{detail}: {alarm.description} "
            f"Runbook: {alarm.runbook}"
        )
    return "\n".join(lines)


def timeseries(
    title: str,
    targets: Sequence[Any],
    *,
    unit: str,
    description: str = "",
    alarms: Sequence[AnyMetricAlarm] = (),
    threshold_scale: float = 1.0,
    links: Sequence[dict[str, Any]] = (),
    stacked: bool = False,
    bars: bool = False,
) -> g.TimeSeries:
    """A time series panel; ``alarms`` draw their thresholds as lines (scaled into the panel's unit)."""
    return g.TimeSeries(
        title=title,
        dataSource=targets[0].datasource if targets else CLOUDWATCH,
        targets=list(targets),
        description=describe(description, alarms),
        unit=unit,
        thresholds=_threshold_steps(alarms, threshold_scale),
        thresholdsStyleMode="line+area" if alarms else "off",
        drawStyle="bars" if bars else "line",
        fillOpacity=60 if bars else 10,
        stacking={"mode": "normal", "group": "A"} if stacked else {"mode": "none", "group": "A"},
        legendDisplayMode="table",
        legendCalcs=["mean", "max", "lastNotNull"],
        tooltipMode="multi",
        spanNulls=False,
        extraJson={"fieldConfig": {"defaults": {"links": list(links)}}},
    )


def stat(
    title: str,
    targets: Sequence[Any],
    *,
    unit: str,
    steps: list[dict[str, Any]],
    description: str = "",
    decimals: int | None = None,
    time_from: str | None = None,
) -> g.Stat:
    return g.Stat(
        title=title,
        dataSource=targets[0].datasource,
        targets=list(targets),
        description=description,
        format=unit,
        decimals=decimals,
        reduceCalc="lastNotNull",
        graphMode="none",
        timeFrom=time_from,
        extraJson={"fieldConfig": {"defaults": {"thresholds": {"mode": "absolute", "steps": steps}}}},
    )


def row(title: str) -> g.RowPanel:
    return g.RowPanel(title=title)


def text(title: str, content: str) -> g.Text:
    return g.Text(title=title, content=content, mode="markdown")


# --- Alarms as queries -----------------------------------------------------------------------------
def alarm_queries(alarm: AnyMetricAlarm, ref_prefix: str = "") -> list[Any]:
    """Exactly what CloudWatch evaluates for the alarm: its metric (or metric math), statistic, period."""
    if isinstance(alarm, MetricAlarm):
        return [
            MetricQuery(
                refId=f"{ref_prefix}A",
                namespace=alarm.namespace,
                metricName=alarm.metric_name,
                dimensions=bind(alarm.dimensions),
                statistic=alarm.statistic,
                period=str(alarm.period),
                label=f"{alarm.metric_name} {alarm.statistic}",
            )
        ]
    inputs: list[Any] = [
        MetricQuery(
            refId=f"{ref_prefix}{stat_.id}",
            id=stat_.id,
            namespace=stat_.metric.namespace,
            metricName=stat_.metric.metric_name,
            dimensions=bind(stat_.metric.dimensions),
            statistic=stat_.statistic,
            period=str(stat_.period),
            hide=True,
        )
        for stat_ in alarm.metrics
    ]
    return [
        *inputs,
        MathQuery(
            refId=f"{ref_prefix}E",
            id="e",
            expression=alarm.expression,
            label=alarm.label,
            period=str(alarm.period),
        ),
    ]


def metric(
    ref_id: str,
    ref: MetricRef,
    statistic: str,
    *,
    label: str = "",
    period: str = "",
    hide: bool = False,
    query_id: str = "",
) -> MetricQuery:
    return MetricQuery(
        refId=ref_id,
        id=query_id,
        namespace=ref.namespace,
        metricName=ref.metric_name,
        dimensions=bind(ref.dimensions),
        statistic=statistic,
        label=label,
        period=period,
        hide=hide,
    )


def annotations_for(alarms: Iterable[AnyMetricAlarm]) -> tuple[AlarmAnnotation, ...]:
    """One alarm-state annotation per metric alarm with a plain statistic (what Grafana can match)."""
    out = []
    for alarm in alarms:
        if isinstance(alarm, MetricAlarm) and not alarm.statistic.startswith("p"):
            out.append(
                AlarmAnnotation(
                    name=f"Alarm {alarm.name}",
                    alarmNamePrefix=f"{ALARM_NAME_PREFIX}-{alarm.name}",
                    namespace=alarm.namespace,
                    metricName=alarm.metric_name,
                    dimensions=bind(alarm.dimensions),
                    statistic=alarm.statistic,
                    period=alarm.period,
                    iconColor="red" if alarm.severity in ("page", "ticket") else "orange",
                )
            )
    return tuple(out)


@dataclass
class Board:
    """Collects the rows of one dashboard and which catalog alarms its panels claim."""

    owned: Sequence[AnyMetricAlarm]
    composites: Sequence[CompositeAlarm] = ()
    rows: list[list[tuple[g.Panel, int]]] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)

    def add(self, *panels: tuple[g.Panel, int], claims: Iterable[AnyMetricAlarm] = ()) -> None:
        self.rows.append(list(panels))
        self.claimed.update(alarm.name for alarm in claims)

    def section(self, title: str) -> None:
        self.rows.append([(row(title), 24)])

    def alarm_panel(self, alarm: AnyMetricAlarm) -> g.TimeSeries:
        return timeseries(
            f"Alarm {alarm.name}",
            alarm_queries(alarm),
            unit=unit_of(alarm),
            alarms=[alarm],
            description=(
                f"What CloudWatch evaluates: period {alarm.period}s, {alarm.datapoints_to_alarm} of "
                f"{alarm.evaluation_periods} datapoints {alarm.comparison} {alarm.threshold:g}, "
                f"missing data: {alarm.treat_missing_data}."
            ),
        )

    def finish(self) -> tuple[g.Panel, ...]:
        """The remaining (unclaimed) alarms and the composites, then the grid layout."""
        rest = [alarm for alarm in self.owned if alarm.name not in self.claimed]
        if rest or self.composites:
            self.section("Alarms")
        for start in range(0, len(rest), 3):
            self.add(
                *((self.alarm_panel(alarm), 8) for alarm in rest[start : start + 3]),
                claims=rest[start : start + 3],
            )
        if self.composites:
            lines = ["| Composite alarm | Severity | Rule | Runbook |", "|---|---|---|---|"]
            for composite in self.composites:
                suppressor = (
                    f" (suppressed while `{composite.actions_suppressor}` is in ALARM)"
                    if composite.actions_suppressor
                    else ""
                )
                lines.append(
                    f"| `{ALARM_NAME_PREFIX}-{composite.name}` | {composite.severity} | "
                    f"`{composite.rule}`{suppressor} | {composite.runbook} |"
                )
            self.add((text("Composite alarms (what pages)", "\n".join(lines)), 24))
        return layout(self.rows)


# --- Which dashboard owns which alarm -------------------------------------------------------------
_PIPELINE_VARS: Final = frozenset(
    {
        Var.SHIPPER_FUNCTION_NAME,
        Var.SHIPPER_LOG_GROUP,
        Var.FUNCTION_SUBSCRIPTION_FILTER,
        Var.ACCESS_SUBSCRIPTION_FILTER,
    }
)


def _refs(alarm: AnyMetricAlarm) -> list[MetricRef]:
    return [alarm.metric] if isinstance(alarm, MetricAlarm) else [s.metric for s in alarm.metrics]


def owner(alarm: AnyMetricAlarm | CompositeAlarm) -> str:
    """The uid of the dashboard that draws the alarm."""
    from alerts import catalog

    if isinstance(alarm, CompositeAlarm):
        first = catalog.get_alarm(alarm.children()[0])
        return owner(first)
    if alarm.name in {a.name for a in catalog.SLO_ALARMS}:
        return SLO_UID
    log_groups = {f.metric_name: f.log_group for f in catalog.LOG_METRIC_FILTERS}
    for ref in _refs(alarm):
        values = {value for _name, value in ref.dimensions}
        if values & _PIPELINE_VARS or (M.DIM_SERVICE, SHIPPER_SERVICE) in ref.dimensions:
            return PIPELINE_UID
        if (
            ref.namespace == M.LOG_METRIC_NAMESPACE
            and log_groups.get(ref.metric_name) == Var.SHIPPER_LOG_GROUP
        ):
            return PIPELINE_UID
    return API_UID


def owned_alarms(uid: str) -> tuple[list[AnyMetricAlarm], list[CompositeAlarm]]:
    from alerts import catalog

    alarms = [a for a in catalog.ALL_METRIC_ALARMS if owner(a) == uid]
    composites = [c for c in catalog.COMPOSITES if owner(c) == uid]
    return alarms, composites


def alarm(name: str) -> AnyMetricAlarm:
    """A metric or metric-math alarm of the catalog by name (KeyError names it when missing)."""
    from alerts import catalog

    found = catalog.get_alarm(name)
    if isinstance(found, CompositeAlarm):
        raise KeyError(f"{name} is a composite alarm, not a metric alarm")
    return found


def with_steps(panel: g.TimeSeries, steps: list[dict[str, Any]]) -> g.TimeSeries:
    """The panel with other threshold steps (drawn as lines), e.g. burn rates instead of raw thresholds."""
    return attr.evolve(panel, thresholds=steps, thresholdsStyleMode="line+area")


def math_alarm(name: str) -> MathAlarm:
    """A metric-math alarm of the catalog by name."""
    found = alarm(name)
    if not isinstance(found, MathAlarm):
        raise KeyError(f"{name} is not a metric-math alarm")
    return found
