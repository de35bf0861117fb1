"""Expand SLOs into multiwindow, multi-burn-rate alarms that fit CloudWatch's limits.

The SRE workbook pages when the error budget burns 14.4x over 1 h (checked over 5 min too) or 6x
over 6 h (checked over 30 min), and files a ticket at 1x over 3 days (checked over 6 h).

Every window is *one datapoint whose period is the window* (1 of 1): the error ratio of the whole
window, FILL(errors, 0) / requests with both sums over the window, or the window's percentile. So
the alarm fires on the window's true ratio - an uneven burn (3 h at 1x, then 3 h at 12x = 6.5x over
6 h) and a low-traffic burn, where few hours breach on their own, both page. CloudWatch allows it:
any multiple of 60 s is a valid period, and period x evaluation periods may reach 7 days for
periods of an hour or more (1 day below), so the 3-day budget window needs no shortening. With the
default sliding evaluation window CloudWatch re-evaluates the window every minute.

Each tier becomes two ``info`` alarms (long and short window) joined by an ``AND`` composite of
the tier's severity (``ticket`` for all three: paging is left to ``api-incident``, see ``TIERS``).
"""

from __future__ import annotations

from alerts.model import (
    SLO,
    AvailabilitySLO,
    BurnRateTier,
    CompositeAlarm,
    MathAlarm,
    MetricAlarm,
    MetricStat,
)

# A tier's severity is its composite's. The workbook pages on the fast and slow tiers; here they page
# through `api-incident` (an OR over them and the API's other symptoms), so that one incident pages
# once: the tier composites themselves are tickets in their own chat threads.
HOUR = 3600
TIERS: tuple[BurnRateTier, ...] = (
    BurnRateTier("fast", 14.4, long_period=HOUR, long_evaluation_periods=1, short_period=300,
                 short_evaluation_periods=1, severity="ticket"),
    BurnRateTier("slow", 6.0, long_period=6 * HOUR, long_evaluation_periods=1, short_period=1800,
                 short_evaluation_periods=1, severity="ticket"),
    BurnRateTier("budget", 1.0, long_period=72 * HOUR, long_evaluation_periods=1, short_period=6 * HOUR,
                 short_evaluation_periods=1, severity="ticket"),
)  # fmt: skip


def percentile_for_burn(objective: float, burn_rate: float) -> str:
    """The latency percentile that exceeds the threshold exactly when the slow share > b x budget."""
    slow_share = burn_rate * (1.0 - objective)
    if not 0 < slow_share < 1:
        raise ValueError(f"burn rate {burn_rate} is impossible for objective {objective}")
    percentile = round(100.0 * (1.0 - slow_share), 2)
    return f"p{percentile:g}"


def _window_alarm(slo: SLO, tier: BurnRateTier, which: str) -> MetricAlarm | MathAlarm:
    period = tier.long_period if which == "long" else tier.short_period
    periods = tier.long_evaluation_periods if which == "long" else tier.short_evaluation_periods
    name = f"{slo.name}-{tier.name}-{which}"
    window = f"{period * periods // 60} min"
    if isinstance(slo, AvailabilitySLO):
        return MathAlarm(
            name=name,
            expression="FILL(errors, 0) / requests",
            metrics=(
                MetricStat("errors", slo.errors, "Sum", period),
                MetricStat("requests", slo.requests, "Sum", period),
            ),
            label=f"{slo.name} error ratio",
            period=period,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison="GreaterThanThreshold",
            threshold=round(tier.burn_rate * slo.error_budget, 6),
            treat_missing_data="notBreaching",
            severity="info",
            description=(
                f"{slo.name}: error ratio burns the {slo.objective:.3%} budget {tier.burn_rate:g}x "
                f"over the {which} window ({window}); part of the {tier.name} burn-rate tier."
            ),
            runbook=slo.runbook,
        )
    return MetricAlarm(
        name=name,
        namespace=slo.latency.namespace,
        metric_name=slo.latency.metric_name,
        dimensions=slo.latency.dimensions,
        statistic=percentile_for_burn(slo.objective, tier.burn_rate),
        period=period,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        comparison="GreaterThanThreshold",
        threshold=slo.threshold_ms,
        treat_missing_data="notBreaching",
        severity="info",
        description=(
            f"{slo.name}: more than {tier.burn_rate * slo.error_budget:.2%} of requests slower than "
            f"{slo.threshold_ms:g} ms over the {which} window ({window}); {tier.name} burn-rate tier."
        ),
        runbook=slo.runbook,
    )


def expand(slo: SLO) -> tuple[tuple[MetricAlarm | MathAlarm, ...], tuple[CompositeAlarm, ...]]:
    """The window alarms and the per-tier ``AND`` composites of one SLO."""
    alarms: list[MetricAlarm | MathAlarm] = []
    composites: list[CompositeAlarm] = []
    for tier in TIERS:
        long_alarm, short_alarm = _window_alarm(slo, tier, "long"), _window_alarm(slo, tier, "short")
        alarms += [long_alarm, short_alarm]
        composites.append(
            CompositeAlarm(
                name=f"{slo.name}-{tier.name}-burn",
                rule=f"ALARM({long_alarm.name}) AND ALARM({short_alarm.name})",
                severity=tier.severity,
                description=(
                    f"{slo.name} ({slo.objective:.3%} over {slo.window_days} days) is burning its error "
                    f"budget at {tier.burn_rate:g}x or more in both windows."
                ),
                runbook=slo.runbook,
            )
        )
    return tuple(alarms), tuple(composites)
