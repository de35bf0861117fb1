"""The alarm catalog: every alarm, SLO, log metric filter and composite of the platform.

One source of truth: ``obsctl alerts render`` turns it into Terraform JSON and Grafana rules, the
dashboards draw its thresholds, the backtester replays it. Names of metrics, namespaces and
dimensions come from ``signals``; deployment-specific dimension values are ``Var`` placeholders.

Paging policy ("one incident pages once"): only the two incident composites have severity
``page``. Every other alarm is a ``ticket`` or ``info`` message in the alarm's chat thread. The API
incident is ``OR`` over the API's symptoms, so a 5xx burst that also burns the SLO pages once; the
pipeline incident is additionally suppressed (``actions_suppressor``) while the API incident is in
ALARM, because a broken API floods the pipeline with error logs and that is the same incident.
"""

from __future__ import annotations

from typing import Final

from alerts.model import (
    SLO,
    AnyMetricAlarm,
    AvailabilitySLO,
    CompositeAlarm,
    Dimensions,
    LatencySLO,
    LogMetricFilter,
    MathAlarm,
    MetricAlarm,
    MetricRef,
    MetricStat,
    Var,
    check_catalog_name,
)
from alerts.slo import expand
from signals import logs as fields
from signals import metrics as M
from signals import services as S

RUNBOOK: Final = "alerts/RUNBOOK.md"

# --- Dimension sets ----------------------------------------------------------------------------
FUNCTION_DIMS: Final[Dimensions] = ((M.LAMBDA_DIM_FUNCTION, Var.FUNCTION_NAME),)
SHIPPER_DIMS: Final[Dimensions] = ((M.LAMBDA_DIM_FUNCTION, Var.SHIPPER_FUNCTION_NAME),)
API_DIMS: Final[Dimensions] = ((M.APIGW_DIM_API_ID, Var.API_ID), (M.APIGW_DIM_STAGE, Var.API_STAGE))
API_SERVICE_DIMS: Final[Dimensions] = ((M.DIM_SERVICE, S.API_SERVICE),)
SHIPPER_SERVICE_DIMS: Final[Dimensions] = ((M.DIM_SERVICE, S.SHIPPER_SERVICE),)
LAMBDA_DESTINATION: Final = "Lambda"
"""``DestinationType`` of a subscription filter whose destination is a Lambda function."""


def _delivery_dims(log_group: Var, subscription_filter: Var) -> Dimensions:
    return (
        (M.LOGS_DIM_LOG_GROUP, log_group),
        (M.LOGS_DIM_DESTINATION, LAMBDA_DESTINATION),
        (M.LOGS_DIM_FILTER, subscription_filter),
    )


API_REQUESTS: Final = MetricRef(M.APIGW_NAMESPACE, M.APIGW_COUNT, API_DIMS)
API_5XX: Final = MetricRef(M.APIGW_NAMESPACE, M.APIGW_5XX, API_DIMS)
API_LATENCY: Final = MetricRef(M.APIGW_NAMESPACE, M.APIGW_LATENCY, API_DIMS)


def _metric(
    name: str,
    metric: MetricRef,
    *,
    statistic: str,
    period: int,
    n: int,
    m: int,
    threshold: float,
    missing: str = "notBreaching",
    severity: str = "ticket",
    comparison: str = "GreaterThanThreshold",
    description: str,
    runbook: str,
) -> MetricAlarm:
    return MetricAlarm(
        name=name,
        namespace=metric.namespace,
        metric_name=metric.metric_name,
        dimensions=metric.dimensions,
        statistic=statistic,
        period=period,
        evaluation_periods=n,
        datapoints_to_alarm=m,
        comparison=comparison,  # type: ignore[arg-type]
        threshold=threshold,
        treat_missing_data=missing,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        description=description,
        runbook=runbook,
    )


# --- Log metric filters ------------------------------------------------------------------------
LOG_METRIC_FILTERS: Final[tuple[LogMetricFilter, ...]] = (
    LogMetricFilter(
        name="function-error-lines",
        log_group=Var.FUNCTION_LOG_GROUP,
        pattern=f'{{ $.{fields.PT_LEVEL} = "ERROR" }}',
        metric_name=M.LOGMETRIC_APP_ERRORS,
        namespace=M.LOG_METRIC_NAMESPACE,
        description="Powertools JSON lines of level ERROR printed by the API function.",
    ),
    LogMetricFilter(
        name="function-task-timeouts",
        log_group=Var.FUNCTION_LOG_GROUP,
        pattern='"Task timed out"',
        metric_name=M.LOGMETRIC_TASK_TIMEOUTS,
        namespace=M.LOG_METRIC_NAMESPACE,
        description="Lambda's own 'Task timed out after N seconds' line for the API function.",
    ),
    LogMetricFilter(
        name="shipper-dead-letter-lines",
        log_group=Var.SHIPPER_LOG_GROUP,
        pattern=(
            f'{{ $.{fields.PT_LEVEL} = "ERROR" && '
            f'$.{fields.PT_MESSAGE} = "{fields.SHIPPER_DEAD_LETTER_MESSAGE}" }}'
        ),
        metric_name=M.LOGMETRIC_SHIPPER_DEAD_LETTERS,
        namespace=M.LOG_METRIC_NAMESPACE,
        description="The shipper's log line for each batch it writes to the dead-letter bucket.",
    ),
)


def _log_metric(metric_name: str) -> MetricRef:
    return MetricRef(M.LOG_METRIC_NAMESPACE, metric_name, ())


# --- Metric alarms -----------------------------------------------------------------------------
ALARMS: Final[tuple[MetricAlarm, ...]] = (
    _metric(
        "api-latency-p99", API_LATENCY, statistic="p99", period=300, n=3, m=3, threshold=2000,
        description="API p99 latency above 2 s for 15 minutes.", runbook=f"{RUNBOOK}#api-latency",
    ),
    _metric(
        "function-throttles", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_THROTTLES, FUNCTION_DIMS),
        statistic="Sum", period=60, n=5, m=3, threshold=0,
        description="The API function is being throttled (concurrency limit) in 3 of 5 minutes.",
        runbook=f"{RUNBOOK}#throttling",
    ),
    _metric(
        "s3-throttled", MetricRef(M.NAMESPACE, M.S3_THROTTLED, API_SERVICE_DIMS),
        statistic="Sum", period=300, n=2, m=2, threshold=5,
        description="S3 throttles ListObjectsV2 (requests answered 503) for 10 minutes.",
        runbook=f"{RUNBOOK}#throttling",
    ),
    _metric(
        "function-duration-p99", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_DURATION, FUNCTION_DIMS),
        statistic="p99", period=300, n=3, m=3, threshold=5000,
        description="The API function's p99 duration is above 5 s (timeout risk) for 15 minutes.",
        runbook=f"{RUNBOOK}#api-latency",
    ),
    _metric(
        "function-task-timeouts", _log_metric(M.LOGMETRIC_TASK_TIMEOUTS),
        statistic="Sum", period=300, n=1, m=1, threshold=0,
        description="The API function timed out ('Task timed out' in its log).",
        runbook=f"{RUNBOOK}#api-latency",
    ),
    _metric(
        "function-error-lines", _log_metric(M.LOGMETRIC_APP_ERRORS),
        statistic="Sum", period=300, n=3, m=2, threshold=25, severity="info",
        description="More than 25 ERROR log lines per 5 minutes from the API function.",
        runbook=f"{RUNBOOK}#api-errors",
    ),
    _metric(
        "shipper-errors", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ERRORS, SHIPPER_DIMS),
        statistic="Sum", period=300, n=2, m=2, threshold=0,
        description="The log shipper fails invocations (Lambda retries, then the on-failure destination).",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "shipper-async-event-age", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ASYNC_AGE, SHIPPER_DIMS),
        statistic="Maximum", period=300, n=2, m=2, threshold=600_000,
        description="Log events wait more than 10 minutes in the shipper's async queue.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "shipper-async-events-dropped", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ASYNC_DROPPED, SHIPPER_DIMS),
        statistic="Sum", period=300, n=1, m=1, threshold=0,
        description="Lambda dropped events for the shipper (age or retries exhausted): logs are lost.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "shipper-dead-letters", MetricRef(M.NAMESPACE, M.SHIPPER_DOCS_DEAD_LETTERED, SHIPPER_SERVICE_DIMS),
        statistic="Sum", period=300, n=1, m=1, threshold=0,
        description="The shipper wrote documents to the dead-letter bucket (EMF count).",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "shipper-dead-letter-lines", _log_metric(M.LOGMETRIC_SHIPPER_DEAD_LETTERS),
        statistic="Sum", period=300, n=1, m=1, threshold=0,
        description="The shipper logged a dead-letter write (log metric filter; works when EMF is lost).",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "function-logs-delivery-errors",
        MetricRef(M.LOGS_NAMESPACE, M.LOGS_DELIVERY_ERRORS,
                  _delivery_dims(Var.FUNCTION_LOG_GROUP, Var.FUNCTION_SUBSCRIPTION_FILTER)),
        statistic="Sum", period=300, n=2, m=2, threshold=0,
        description="CloudWatch Logs cannot deliver the function's log events to the shipper.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "access-logs-delivery-errors",
        MetricRef(M.LOGS_NAMESPACE, M.LOGS_DELIVERY_ERRORS,
                  _delivery_dims(Var.ACCESS_LOG_GROUP, Var.ACCESS_SUBSCRIPTION_FILTER)),
        statistic="Sum", period=300, n=2, m=2, threshold=0,
        description="CloudWatch Logs cannot deliver the API access log to the shipper.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "function-logs-delivery-throttling",
        MetricRef(M.LOGS_NAMESPACE, M.LOGS_DELIVERY_THROTTLING,
                  _delivery_dims(Var.FUNCTION_LOG_GROUP, Var.FUNCTION_SUBSCRIPTION_FILTER)),
        statistic="Sum", period=300, n=3, m=3, threshold=0,
        description="Delivery of the function's logs to the shipper is throttled for 15 minutes.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
    _metric(
        "access-logs-delivery-throttling",
        MetricRef(M.LOGS_NAMESPACE, M.LOGS_DELIVERY_THROTTLING,
                  _delivery_dims(Var.ACCESS_LOG_GROUP, Var.ACCESS_SUBSCRIPTION_FILTER)),
        statistic="Sum", period=300, n=3, m=3, threshold=0,
        description="Delivery of the API access log to the shipper is throttled for 15 minutes.",
        runbook=f"{RUNBOOK}#pipeline",
    ),
)  # fmt: skip

# --- Metric-math alarms ------------------------------------------------------------------------
METRIC_MATH_ALARMS: Final[tuple[MathAlarm, ...]] = (
    MathAlarm(
        name="api-5xx-rate",
        expression="100 * FILL(errors, 0) / requests",
        metrics=(MetricStat("errors", API_5XX, "Sum", 60), MetricStat("requests", API_REQUESTS, "Sum", 60)),
        label="API 5xx rate (%)",
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        comparison="GreaterThanThreshold",
        threshold=5,
        treat_missing_data="notBreaching",
        severity="ticket",
        description="More than 5% of API requests answered 5xx in 3 of the last 5 minutes.",
        runbook=f"{RUNBOOK}#api-errors",
    ),
    MathAlarm(
        name="function-error-rate",
        expression="100 * FILL(errors, 0) / invocations",
        metrics=(
            MetricStat("errors", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ERRORS, FUNCTION_DIMS), "Sum", 300),
            MetricStat(
                "invocations", MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_INVOCATIONS, FUNCTION_DIMS), "Sum", 300
            ),
        ),
        label="Function error rate (%)",
        period=300,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        comparison="GreaterThanThreshold",
        threshold=2,
        treat_missing_data="notBreaching",
        severity="ticket",
        description="More than 2% of the API function's invocations fail (unhandled errors, timeouts).",
        runbook=f"{RUNBOOK}#api-errors",
    ),
)

# --- SLOs --------------------------------------------------------------------------------------
SLOS: Final[tuple[SLO, ...]] = (
    AvailabilitySLO(
        name="api-availability",
        objective=0.999,
        window_days=30,
        errors=API_5XX,
        requests=API_REQUESTS,
        description="99.9% of API requests are not answered with a 5xx, over 30 days.",
        runbook=f"{RUNBOOK}#slo",
    ),
    LatencySLO(
        name="api-latency",
        objective=0.99,
        window_days=30,
        threshold_ms=1000,
        latency=API_LATENCY,
        description="99% of API requests are answered within 1 s, over 30 days.",
        runbook=f"{RUNBOOK}#slo",
    ),
)

_expanded = [expand(slo) for slo in SLOS]
SLO_ALARMS: Final[tuple[AnyMetricAlarm, ...]] = tuple(a for alarms, _ in _expanded for a in alarms)
"""The window alarms the SLOs expand into (severity ``info``: they only feed composites)."""
SLO_COMPOSITES: Final[tuple[CompositeAlarm, ...]] = tuple(c for _, comps in _expanded for c in comps)

API_INCIDENT: Final = "api-incident"
PIPELINE_INCIDENT: Final = "pipeline-incident"

# Percentiles at low sample counts: p99 over 5 minutes of a few dozen requests is the slowest one,
# so `api-latency-p99` (and `function-duration-p99`) stay tickets and never page. Latency pages only
# through the latency SLO's burn-rate tiers, whose windows (1 h and more, one datapoint each) hold
# enough requests for the percentile to mean what it says. (`EvaluateLowSampleCountPercentile`
# = ignore was not chosen: CloudWatch does not document the sample count it deems too low, so a
# backtest could not reproduce it.)
_API_SYMPTOMS = (
    "api-5xx-rate",
    "function-throttles",
    "function-error-rate",
    "api-availability-fast-burn",
    "api-availability-slow-burn",
    "api-latency-fast-burn",
    "api-latency-slow-burn",
)
_PIPELINE_SYMPTOMS = (
    "shipper-errors",
    "shipper-async-event-age",
    "shipper-async-events-dropped",
    "shipper-dead-letters",
    "shipper-dead-letter-lines",
    "function-logs-delivery-errors",
    "access-logs-delivery-errors",
)


def _any_of(names: tuple[str, ...]) -> str:
    return " OR ".join(f"ALARM({name})" for name in names)


COMPOSITES: Final[tuple[CompositeAlarm, ...]] = (
    *SLO_COMPOSITES,
    CompositeAlarm(
        name=API_INCIDENT,
        rule=_any_of(_API_SYMPTOMS),
        severity="page",
        description="The API is failing its users (errors, latency, throttling or SLO burn). Pages once.",
        runbook=f"{RUNBOOK}#api-incident",
    ),
    CompositeAlarm(
        name=PIPELINE_INCIDENT,
        rule=_any_of(_PIPELINE_SYMPTOMS),
        severity="page",
        description="Logs are not reaching OpenSearch (shipper failing, dead letters, delivery errors).",
        runbook=f"{RUNBOOK}#pipeline",
        actions_suppressor=API_INCIDENT,
    ),
)

ALL_METRIC_ALARMS: Final[tuple[AnyMetricAlarm, ...]] = (*ALARMS, *METRIC_MATH_ALARMS, *SLO_ALARMS)


def all_alarm_names() -> tuple[str, ...]:
    """Every alarm the catalog creates (metric, metric-math, SLO window and composite), in order."""
    return tuple(a.name for a in ALL_METRIC_ALARMS) + tuple(c.name for c in COMPOSITES)


def get_alarm(name: str) -> AnyMetricAlarm | CompositeAlarm:
    for alarm in (*ALL_METRIC_ALARMS, *COMPOSITES):
        if alarm.name == name:
            return alarm
    raise KeyError(f"no alarm named {name!r} in the catalog")


def paging_alarm_names() -> tuple[str, ...]:
    return tuple(a.name for a in (*ALL_METRIC_ALARMS, *COMPOSITES) if a.severity == "page")


def _validate() -> None:
    names = all_alarm_names()
    for name in names:
        check_catalog_name(name)
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate alarm names: {sorted(duplicates)}")
    known = set(names)
    for composite in COMPOSITES:
        missing = set(composite.children()) - known
        if missing:
            raise ValueError(f"{composite.name} refers to unknown alarms {sorted(missing)}")
        if composite.actions_suppressor and composite.actions_suppressor not in known:
            raise ValueError(f"{composite.name}: unknown actions suppressor {composite.actions_suppressor}")


_validate()
