"""The typed vocabulary of the alarm catalog: metric alarms, metric-math alarms, SLOs, log metric
filters and composite alarms, spelled the way CloudWatch's ``PutMetricAlarm`` spells them.

Dimension values that depend on a deployment (function name, API id, log group names) are ``Var``
placeholders: the Terraform render turns them into module variables, the local demo and the
backtester bind them to concrete names. Everything is a frozen dataclass so the catalog is a
constant that renderers, dashboards and tests can import without side effects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Comparison = Literal[
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
COMPARISONS: tuple[Comparison, ...] = (
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TreatMissingData = Literal["missing", "ignore", "breaching", "notBreaching"]
TREAT_MISSING_DATA: tuple[TreatMissingData, ...] = ("missing", "ignore", "breaching", "notBreaching")
Severity = Literal["page", "ticket", "info"]
SEVERITIES: tuple[Severity, ...] = ("page", "ticket", "info")
State = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]

SIMPLE_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")

MAX_EVALUATION_RANGE_SECONDS = 86_400
"""CloudWatch (PutMetricAlarm): evaluation periods x period may not exceed one day for periods under
an hour..."""
MAX_EVALUATION_RANGE_SECONDS_HOURLY = 7 * 86_400
"""...and seven days for periods of an hour or more."""
HIGH_RESOLUTION_PERIODS = (10, 20, 30)
"""Valid periods: 10, 20, 30 or any multiple of 60 seconds."""
WALL_CLOCK_PERIODS = (60, 300, 3600, 86_400, 604_800)
"""Periods that support a wall clock evaluation window (user guide, "Create a metric alarm that
uses a wall clock evaluation window"); never high-resolution ones."""
EvaluationWindow = Literal["SlidingWindow", "WallClockWindow"]
EVALUATION_WINDOWS: tuple[EvaluationWindow, ...] = ("SlidingWindow", "WallClockWindow")
_CATALOG_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,80}")


class Var(StrEnum):
    """A deployment-specific value; the member value is the Terraform module variable's name."""

    FUNCTION_NAME = "function_name"
    SHIPPER_FUNCTION_NAME = "shipper_function_name"
    API_ID = "api_id"
    API_STAGE = "api_stage"
    FUNCTION_LOG_GROUP = "function_log_group_name"
    ACCESS_LOG_GROUP = "access_log_group_name"
    SHIPPER_LOG_GROUP = "shipper_log_group_name"
    FUNCTION_SUBSCRIPTION_FILTER = "function_subscription_filter_name"
    ACCESS_SUBSCRIPTION_FILTER = "access_subscription_filter_name"

    @property
    def terraform(self) -> str:
        return f"${{var.{self.value}}}"

    @property
    def grafana_env(self) -> str:
        """Environment variable Grafana's file provisioning expands (``$OBS_FUNCTION_NAME``)."""
        return f"OBS_{self.value.upper()}"


DimensionValue = str | Var
Dimensions = tuple[tuple[str, DimensionValue], ...]
Bindings = Mapping[Var, str]


def is_percentile(statistic: str) -> bool:
    return bool(_PERCENTILE.match(statistic))


def validate_statistic(statistic: str) -> str:
    if statistic in SIMPLE_STATISTICS or is_percentile(statistic):
        return statistic
    raise ValueError(
        f"unknown statistic {statistic!r}: use one of {', '.join(SIMPLE_STATISTICS)} or pNN (e.g. p99, p99.9)"
    )


def resolve(value: DimensionValue, bindings: Bindings) -> str:
    if isinstance(value, Var):
        try:
            return bindings[value]
        except KeyError:
            raise ValueError(f"no binding for dimension variable {value.value!r}") from None
    return value


@dataclass(frozen=True)
class MetricRef:
    """One CloudWatch metric: namespace, name and the full dimension set."""

    namespace: str
    metric_name: str
    dimensions: Dimensions = ()

    def resolved_dimensions(self, bindings: Bindings) -> dict[str, str]:
        return {name: resolve(value, bindings) for name, value in self.dimensions}


@dataclass(frozen=True)
class MetricStat:
    """A metric with a statistic and period: one input (``id``) of a metric-math alarm."""

    id: str
    metric: MetricRef
    statistic: str
    period: int

    def __post_init__(self) -> None:
        validate_statistic(self.statistic)


def check_alarm_name(name: str) -> str:
    """Any name ``PutMetricAlarm`` accepts: 1 to 255 characters, no control characters."""
    if not 1 <= len(name) <= 255 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"alarm name {name!r}: CloudWatch wants 1 to 255 printable characters")
    return name


def check_catalog_name(name: str) -> str:
    """The catalog's own convention (names become Terraform keys, URLs and chat thread ids)."""
    if not _CATALOG_NAME.fullmatch(name):
        raise ValueError(f"alarm name {name!r}: catalog names use lowercase letters, digits and '-'")
    return name


def _check_common(
    name: str,
    period: int,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    runbook: str,
    evaluation_window: str = "SlidingWindow",
) -> None:
    check_alarm_name(name)
    if period not in HIGH_RESOLUTION_PERIODS and (period <= 0 or period % 60):
        raise ValueError(f"{name}: period {period} must be 10, 20, 30 or a multiple of 60 seconds")
    if evaluation_periods < 1 or not 1 <= datapoints_to_alarm <= evaluation_periods:
        raise ValueError(
            f"{name}: need 1 <= datapoints_to_alarm ({datapoints_to_alarm}) <= "
            f"evaluation_periods ({evaluation_periods})"
        )
    if period < 3600 and period * evaluation_periods > MAX_EVALUATION_RANGE_SECONDS:
        raise ValueError(
            f"{name}: period x evaluation_periods exceeds CloudWatch's one-day limit (period < 1 h)"
        )
    if period * evaluation_periods > MAX_EVALUATION_RANGE_SECONDS_HOURLY:
        raise ValueError(f"{name}: period x evaluation_periods exceeds CloudWatch's seven-day limit")
    if evaluation_window not in EVALUATION_WINDOWS:
        raise ValueError(f"{name}: evaluation_window must be one of {', '.join(EVALUATION_WINDOWS)}")
    if evaluation_window == "WallClockWindow" and period not in WALL_CLOCK_PERIODS:
        raise ValueError(f"{name}: a wall clock window needs a period of 1 min, 5 min, 1 h, 1 day or 1 week")
    if not runbook.startswith("#") and "/" not in runbook:
        raise ValueError(f"{name}: runbook must be a path under runbook_base_url (got {runbook!r})")


@dataclass(frozen=True)
class MetricAlarm:
    """A CloudWatch metric alarm on one metric (``PutMetricAlarm`` with ``MetricName``)."""

    name: str
    namespace: str
    metric_name: str
    dimensions: Dimensions
    statistic: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: Comparison
    threshold: float
    treat_missing_data: TreatMissingData
    severity: Severity
    description: str
    runbook: str
    """Path appended to the runbook base URL (``docs/runbooks.md#api-5xx``)."""
    evaluation_window: EvaluationWindow = "SlidingWindow"
    """``PutMetricAlarm`` ``EvaluationWindow``: sliding (the default) or aligned to the wall clock."""

    def __post_init__(self) -> None:
        validate_statistic(self.statistic)
        _check_common(self.name, self.period, self.evaluation_periods, self.datapoints_to_alarm, self.runbook,
                      self.evaluation_window)  # fmt: skip

    @property
    def metric(self) -> MetricRef:
        return MetricRef(self.namespace, self.metric_name, self.dimensions)

    @property
    def detection_seconds(self) -> int:
        """Worst-case time from the start of a sustained breach to ALARM (M periods, plus one for
        the period in progress when the breach starts)."""
        return self.period * (self.datapoints_to_alarm + 1)


@dataclass(frozen=True)
class MathAlarm:
    """A CloudWatch alarm on a metric-math expression (``PutMetricAlarm`` with ``Metrics``)."""

    name: str
    expression: str
    """CloudWatch metric-math over the ``metrics`` ids: + - * /, parentheses, FILL(id, value)."""
    metrics: tuple[MetricStat, ...]
    label: str
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    comparison: Comparison
    threshold: float
    treat_missing_data: TreatMissingData
    severity: Severity
    description: str
    runbook: str
    evaluation_window: EvaluationWindow = "SlidingWindow"

    def __post_init__(self) -> None:
        _check_common(self.name, self.period, self.evaluation_periods, self.datapoints_to_alarm, self.runbook,
                      self.evaluation_window)  # fmt: skip
        for stat in self.metrics:
            if stat.period != self.period:
                raise ValueError(f"{self.name}: metric {stat.id} period differs from the alarm's period")
            if not re.fullmatch(r"[a-z][a-zA-Z0-9_]*", stat.id):
                raise ValueError(f"{self.name}: metric id {stat.id!r} must start with a lowercase letter")
        from alerts.mathexpr import parse  # validates the expression and its ids

        unknown = parse(self.expression).ids() - {stat.id for stat in self.metrics}
        if unknown:
            raise ValueError(f"{self.name}: expression uses unknown ids {sorted(unknown)}")

    @property
    def detection_seconds(self) -> int:
        return self.period * (self.datapoints_to_alarm + 1)


AnyMetricAlarm = MetricAlarm | MathAlarm


@dataclass(frozen=True)
class BurnRateTier:
    """One tier of the multiwindow, multi-burn-rate policy (Google SRE workbook, chapter 5)."""

    name: str
    burn_rate: float
    long_period: int
    long_evaluation_periods: int
    short_period: int
    short_evaluation_periods: int
    severity: Severity


@dataclass(frozen=True)
class AvailabilitySLO:
    """Good = requests not answered 5xx. SLI = 1 - errors/requests over the window."""

    name: str
    objective: float
    window_days: int
    errors: MetricRef
    requests: MetricRef
    description: str
    runbook: str

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective


@dataclass(frozen=True)
class LatencySLO:
    """Good = requests faster than ``threshold_ms``; the objective is the share of good requests.

    A burn rate ``b`` means a share ``b x (1 - objective)`` of slow requests, which is exactly
    "percentile ``100 x (1 - b x (1 - objective))`` of the latency is above the threshold", so each
    tier is a percentile alarm CloudWatch can evaluate (p85.6 for b = 14.4 at 99%).
    """

    name: str
    objective: float
    window_days: int
    threshold_ms: float
    latency: MetricRef
    description: str
    runbook: str

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective


SLO = AvailabilitySLO | LatencySLO


@dataclass(frozen=True)
class LogMetricFilter:
    """A CloudWatch Logs metric filter: each matching line adds ``metric_value`` to the metric."""

    name: str
    log_group: Var
    pattern: str
    metric_name: str
    namespace: str
    metric_value: str = "1"
    default_value: float | None = None
    description: str = ""


@dataclass(frozen=True)
class CompositeAlarm:
    """A composite alarm; ``rule`` uses catalog alarm names: ``ALARM(api-5xx-rate) OR ...``."""

    name: str
    rule: str
    severity: Severity
    description: str
    runbook: str
    actions_suppressor: str | None = None
    suppressor_wait_period: int = 120
    suppressor_extension_period: int = 180

    def children(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(re.findall(r"(?:ALARM|OK|INSUFFICIENT_DATA)\(([a-z0-9-]+)\)", self.rule)))
