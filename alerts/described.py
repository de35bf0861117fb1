"""The alarms as CloudWatch stores them (``DescribeAlarms``), turned into the objects the engine evaluates.

The catalog is what we meant; ``DescribeAlarms`` is what Terraform created. Evaluating the described
alarms (the local demo does) makes any drift between the two visible: a changed threshold, a
dimension bound to the wrong value, a rule naming a missing alarm.

What :func:`from_describe_alarms` reads, and how:

* Names: ``<prefix>-<alarm>`` (``alerts/terraform.py``); the prefix is stripped, and an alarm or a
  rule child outside the prefix is an error.
* Severity, description and runbook: from the description Terraform wrote, ``[<severity>]
  <description> Runbook: <url>`` (the runbook is kept as the full URL). ``DescribeAlarms`` returns no
  tags (neither ``MetricAlarm`` nor ``CompositeAlarm`` has a ``Tags`` member in the API), so reading
  the ``severity`` tag would cost one ``ListTagsForResource`` per alarm; the render writes the same
  severity to both.
* Dimensions are literal values, sorted by name (CloudWatch treats them as a set and the provider
  sends a map); metric-math inputs are sorted by id (the provider's ``metric_query`` is a set).
* AWS defaults for omitted members: ``DatapointsToAlarm`` = ``EvaluationPeriods``,
  ``TreatMissingData`` = ``missing``, a sliding evaluation window, suppressor periods of 60 s.

Anything the engine cannot reproduce (an unknown statistic, anomaly detection, a unit filter, a
warm-up period, metric math beyond one expression over metrics, a rule it cannot read, a log alarm)
raises :class:`UnsupportedAlarm` naming the alarm: nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from alerts.engine import rule_value
from alerts.model import (
    COMPARISONS,
    SEVERITIES,
    TREAT_MISSING_DATA,
    AnyMetricAlarm,
    Comparison,
    CompositeAlarm,
    EvaluationWindow,
    MathAlarm,
    MetricAlarm,
    MetricRef,
    MetricStat,
    Severity,
    TreatMissingData,
    is_percentile,
)

__all__ = [
    "ALARM_TYPES",
    "DescribedAlarms",
    "UnsupportedAlarm",
    "describe_alarms",
    "from_describe_alarms",
    "merge_pages",
]

ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")
"""``DescribeAlarms`` returns metric alarms only unless ``AlarmTypes`` asks for composites too."""

_DESCRIPTION = re.compile(
    r"\[(?P<severity>[a-z]+)\] (?P<description>.*) Runbook: (?P<runbook>\S+)", re.DOTALL
)
_RULE_PART = re.compile(
    r"(?P<space>\s*)(?:(?P<kind>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?:\"(?P<quoted>[^\"]*)\"|(?P<bare>[^\s()\"]+))\s*\)"
    r"|(?P<word>(?:AND|OR|NOT|TRUE|FALSE)\b|\(|\)))"
)
_ENGINE_NAME = re.compile(r"[a-z0-9-]+")
_ARN_ALARM = re.compile(r"arn:aws[a-z-]*:cloudwatch:[^:]*:[^:]*:alarm:(?P<name>.+)")

# Members of a described metric alarm that change how CloudWatch evaluates it in ways the engine
# does not model: present (and not empty), they make the alarm unsupported.
_UNMODELLED = {
    "ThresholdMetricId": "anomaly detection (a threshold from a band) is not modelled",
    "EvaluationCriteria": "PromQL evaluation criteria are not modelled",
    "Unit": "a unit filter on the metric is not modelled",
    "WarmUpConfiguration": "a warm-up period is not modelled",
    "EvaluationInterval": "an evaluation interval other than the default is not modelled",
}
_UTC = (None, "", "UTC", "Etc/UTC", "+00:00", "UTC+00:00")


class UnsupportedAlarm(ValueError):
    """A described alarm the engine cannot represent; the message names the alarm and why."""


@dataclass(frozen=True)
class DescribedAlarms:
    """What ``DescribeAlarms`` returned, as engine objects named without the deployment prefix."""

    metric_alarms: tuple[AnyMetricAlarm, ...]
    composites: tuple[CompositeAlarm, ...]

    def __len__(self) -> int:
        return len(self.metric_alarms) + len(self.composites)

    def severity(self, name: str) -> Severity:
        for alarm in (*self.metric_alarms, *self.composites):
            if alarm.name == name:
                return alarm.severity
        raise KeyError(f"no described alarm named {name!r}")


def describe_alarms(cloudwatch: Any, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every metric and composite alarm named ``<prefix>-*``, all pages merged (a boto3 client)."""
    paginator = cloudwatch.get_paginator("describe_alarms")
    pages = paginator.paginate(AlarmNamePrefix=f"{prefix}-", AlarmTypes=list(ALARM_TYPES))
    return merge_pages(pages)


def merge_pages(pages: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {"MetricAlarms": [], "CompositeAlarms": [], "LogAlarms": []}
    for page in pages:
        for key, alarms in merged.items():
            alarms.extend(page.get(key) or [])
    return merged


def from_describe_alarms(response: Mapping[str, Any], prefix: str) -> DescribedAlarms:
    """The alarms of a ``DescribeAlarms`` response (all pages merged) as the engine's objects."""
    log_alarms = [alarm.get("AlarmName", "?") for alarm in response.get("LogAlarms") or []]
    if log_alarms:
        raise UnsupportedAlarm(f"{', '.join(log_alarms)}: log alarms are not modelled by the engine")
    metric_alarms = sorted(
        (_metric_alarm(raw, prefix) for raw in response.get("MetricAlarms") or []), key=lambda a: a.name
    )
    composites = sorted(
        (_composite(raw, prefix) for raw in response.get("CompositeAlarms") or []), key=lambda c: c.name
    )
    known = {alarm.name for alarm in (*metric_alarms, *composites)}
    for composite in composites:
        referred = set(composite.children()) | (
            {composite.actions_suppressor} if composite.actions_suppressor else set()
        )
        missing = sorted(referred - known)
        if missing:
            raise UnsupportedAlarm(
                f"{prefix}-{composite.name}: refers to {', '.join(f'{prefix}-{m}' for m in missing)}, which "
                "DescribeAlarms did not return"
            )
    return DescribedAlarms(tuple(metric_alarms), tuple(composites))


# --- Pieces ------------------------------------------------------------------------------------


def _name(full: str, prefix: str, alarm: str) -> str:
    """``<prefix>-<name>`` (or its ARN) -> ``<name>``; ``alarm`` is whose description this is, for errors."""
    arn = _ARN_ALARM.fullmatch(full)
    name = arn.group("name") if arn else full
    if not name.startswith(f"{prefix}-") or name == f"{prefix}-":
        raise UnsupportedAlarm(f"{alarm}: {name!r} is not named {prefix}-<alarm>")
    return name.removeprefix(f"{prefix}-")


def _labels(raw: Mapping[str, Any]) -> tuple[Severity, str, str]:
    """(severity, description, runbook URL) from ``[severity] description Runbook: url``."""
    full = raw["AlarmName"]
    match = _DESCRIPTION.fullmatch(raw.get("AlarmDescription") or "")
    if match is None or match.group("severity") not in SEVERITIES:
        raise UnsupportedAlarm(
            f"{full}: the description {raw.get('AlarmDescription')!r} is not "
            f"'[{'|'.join(SEVERITIES)}] <text> Runbook: <url>' as alerts/terraform.py writes it"
        )
    return cast(Severity, match.group("severity")), match.group("description"), match.group("runbook")


def _member(raw: Mapping[str, Any], member: str) -> Any:
    if raw.get(member) is None:
        raise UnsupportedAlarm(f"{raw['AlarmName']}: DescribeAlarms returned no {member}")
    return raw[member]


def _dimensions(dimensions: Iterable[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((d["Name"], d["Value"]) for d in dimensions))


def _evaluation_window(raw: Mapping[str, Any]) -> EvaluationWindow:
    window = raw.get("EvaluationWindow") or {}
    if "WallClockWindow" in window:
        timezone = (window["WallClockWindow"] or {}).get("Timezone")
        if timezone not in _UTC:
            raise UnsupportedAlarm(
                f"{raw['AlarmName']}: a wall clock window in {timezone} is not modelled (UTC)"
            )
        return "WallClockWindow"
    if set(window) - {"SlidingWindow"}:
        raise UnsupportedAlarm(f"{raw['AlarmName']}: unknown evaluation window {window}")
    return "SlidingWindow"


def _common(raw: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The members every described metric alarm has, as ``MetricAlarm``/``MathAlarm`` arguments."""
    full = raw["AlarmName"]
    for member, why in _UNMODELLED.items():
        if raw.get(member) not in (None, "", {}):
            raise UnsupportedAlarm(f"{full}: {member} {raw[member]!r}: {why}")
    comparison = _member(raw, "ComparisonOperator")
    if comparison not in COMPARISONS:
        raise UnsupportedAlarm(
            f"{full}: comparison {comparison!r} is not modelled ({', '.join(COMPARISONS)})"
        )
    treat_missing = raw.get("TreatMissingData") or "missing"
    if treat_missing not in TREAT_MISSING_DATA:
        raise UnsupportedAlarm(f"{full}: unknown TreatMissingData {treat_missing!r}")
    evaluation_periods = int(_member(raw, "EvaluationPeriods"))
    severity, description, runbook = _labels(raw)
    return {
        "name": _name(full, prefix, full),
        "evaluation_periods": evaluation_periods,
        "datapoints_to_alarm": int(raw.get("DatapointsToAlarm") or evaluation_periods),
        "comparison": cast(Comparison, comparison),
        "threshold": float(_member(raw, "Threshold")),
        "treat_missing_data": cast(TreatMissingData, treat_missing),
        "severity": severity,
        "description": description,
        "runbook": runbook,
        "evaluation_window": _evaluation_window(raw),
    }


def _statistic(raw: Mapping[str, Any]) -> str:
    full = raw["AlarmName"]
    simple, extended = raw.get("Statistic"), raw.get("ExtendedStatistic")
    if bool(simple) == bool(extended):
        raise UnsupportedAlarm(f"{full}: needs exactly one of Statistic and ExtendedStatistic")
    return _low_sample_count_evaluated(raw, str(simple or extended))


def _low_sample_count_evaluated(raw: Mapping[str, Any], statistic: str) -> str:
    """The engine evaluates percentiles whatever the sample count (``evaluate``, as the render sets)."""
    if is_percentile(statistic) and raw.get("EvaluateLowSampleCountPercentile") not in (None, "", "evaluate"):
        raise UnsupportedAlarm(
            f"{raw['AlarmName']}: EvaluateLowSampleCountPercentile "
            f"{raw['EvaluateLowSampleCountPercentile']!r} is not modelled (percentiles are evaluated "
            "whatever the sample count)"
        )
    return statistic


def _metric_alarm(raw: Mapping[str, Any], prefix: str) -> AnyMetricAlarm:
    full = raw.get("AlarmName") or "(an alarm without a name)"
    try:
        if raw.get("Metrics"):
            return _math_alarm(raw, prefix)
        return MetricAlarm(
            **_common(raw, prefix),
            namespace=_member(raw, "Namespace"),
            metric_name=_member(raw, "MetricName"),
            dimensions=_dimensions(raw.get("Dimensions") or []),
            statistic=_statistic(raw),
            period=int(_member(raw, "Period")),
        )
    except UnsupportedAlarm:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise UnsupportedAlarm(f"{full}: {error}") from error


def _math_alarm(raw: Mapping[str, Any], prefix: str) -> MathAlarm:
    full = raw["AlarmName"]
    for member in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period"):
        if raw.get(member):
            raise UnsupportedAlarm(f"{full}: both Metrics and {member}")
    expressions = [q for q in raw["Metrics"] if q.get("Expression") is not None]
    inputs = [q for q in raw["Metrics"] if q.get("Expression") is None]
    if len(expressions) != 1 or expressions[0].get("ReturnData") is False:
        raise UnsupportedAlarm(
            f"{full}: the engine models metric math as one returned expression over metrics "
            f"(got {len(expressions)} expressions)"
        )
    if not inputs:
        raise UnsupportedAlarm(f"{full}: the expression has no metric inputs")
    stats = []
    for query in inputs:
        stat = query.get("MetricStat")
        if stat is None or query.get("ReturnData", True) or query.get("AccountId") or stat.get("Unit"):
            raise UnsupportedAlarm(
                f"{full}: input {query.get('Id')!r} must be a metric (MetricStat, ReturnData false, no "
                "AccountId or Unit)"
            )
        metric = stat["Metric"]
        reference = MetricRef(
            metric["Namespace"], metric["MetricName"], _dimensions(metric.get("Dimensions") or [])
        )
        statistic = _low_sample_count_evaluated(raw, stat["Stat"])
        stats.append(MetricStat(query["Id"], reference, statistic, int(stat["Period"])))
    stats.sort(key=lambda s: s.id)
    return MathAlarm(
        **_common(raw, prefix),
        expression=expressions[0]["Expression"],
        metrics=tuple(stats),
        label=expressions[0].get("Label") or "",
        period=stats[0].period,
    )


def _composite(raw: Mapping[str, Any], prefix: str) -> CompositeAlarm:
    full = raw.get("AlarmName") or "(an alarm without a name)"
    severity, description, runbook = _labels(raw)
    suppressor = raw.get("ActionsSuppressor")
    # The periods mean something only with a suppressor (AWS defaults them to 60 s then).
    suppression: dict[str, Any] = (
        {
            "actions_suppressor": _name(suppressor, prefix, full),
            "suppressor_wait_period": int(raw.get("ActionsSuppressorWaitPeriod") or 60),
            "suppressor_extension_period": int(raw.get("ActionsSuppressorExtensionPeriod") or 60),
        }
        if suppressor
        else {}
    )
    try:
        return CompositeAlarm(
            name=_name(full, prefix, full),
            rule=_rule(_member(raw, "AlarmRule"), prefix, full),
            severity=severity,
            description=description,
            runbook=runbook,
            **suppression,
        )
    except UnsupportedAlarm:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise UnsupportedAlarm(f"{full}: {error}") from error


def _rule(rule: str, prefix: str, full: str) -> str:
    """CloudWatch's rule (quoted or bare names or ARNs) in the engine's spelling: ``ALARM(name)``.

    Everything but the alarm references is kept as written; the result must parse in the engine.
    """
    parts: list[str] = []
    position = 0
    while position < len(rule.rstrip()):
        match = _RULE_PART.match(rule, position)
        if match is None:
            raise UnsupportedAlarm(
                f"{full}: cannot read the alarm rule at {rule[position:]!r} (the engine reads ALARM, OK, "
                "INSUFFICIENT_DATA, AND, OR, NOT, TRUE, FALSE and parentheses)"
            )
        if match.group("kind"):
            child = _name(match.group("quoted") or match.group("bare"), prefix, full)
            if not _ENGINE_NAME.fullmatch(child):
                raise UnsupportedAlarm(f"{full}: child {child!r}: the engine reads names of [a-z0-9-]")
            parts.append(f"{match.group('space')}{match.group('kind')}({child})")
        else:
            parts.append(match.group(0))
        position = match.end()
    converted = "".join(parts)
    try:
        rule_value(converted, {})
    except ValueError as error:
        raise UnsupportedAlarm(f"{full}: the alarm rule {rule!r} does not parse: {error}") from error
    return converted
