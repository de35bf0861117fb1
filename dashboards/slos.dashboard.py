"""SLOs: SLI, error budget remaining and burn rates, for each SLO of the alarm catalog.

The burn-rate panels use the windows and rates of ``alerts.slo.TIERS`` (the same tiers the alarms
are expanded from), so what pages and what this dashboard shows cannot drift apart. Availability
counts 5xx answers; latency counts requests slower than the SLO's threshold with CloudWatch's
percentile-rank statistic ``PR(:threshold)`` (the share of requests at or under it).
"""

from typing import Any

from alerts.catalog import SLOS
from alerts.model import SLO, AvailabilitySLO
from alerts.slo import TIERS
from dashboards import panels as p
from dashboards.model import Dashboard, MathQuery

owned = p.owned_alarms(p.SLO_UID)
board = p.Board(owned=owned[0], composites=owned[1])


def bad_ratio(slo: SLO, ref: str, period: int) -> list[Any]:
    """Queries ending in ``<ref>``: the share of bad requests per ``period`` seconds."""
    if isinstance(slo, AvailabilitySLO):
        return [
            p.metric(
                f"{ref}e", slo.errors, "Sum", period=str(period), hide=True, query_id=f"{ref.lower()}err"
            ),
            p.metric(
                f"{ref}r", slo.requests, "Sum", period=str(period), hide=True, query_id=f"{ref.lower()}req"
            ),
        ]
    return [
        p.metric(
            f"{ref}g",
            slo.latency,
            f"PR(:{slo.threshold_ms:g})",
            period=str(period),
            hide=True,
            query_id=f"{ref.lower()}good",
        ),
    ]


def bad_expr(slo: SLO, ref: str) -> str:
    if isinstance(slo, AvailabilitySLO):
        return f"FILL({ref.lower()}err, 0) / {ref.lower()}req"
    return f"1 - {ref.lower()}good / 100"


for slo in SLOS:
    window_seconds = slo.window_days * 86_400
    budget = slo.error_budget
    window = f"{slo.window_days}d"
    board.section(f"SLO {slo.name}: {slo.objective:.2%} over {slo.window_days} days")
    objective_steps: list[dict[str, Any]] = [
        {"color": "red", "value": None},
        {"color": "green", "value": slo.objective},
    ]
    budget_steps: list[dict[str, Any]] = [
        {"color": "red", "value": None},
        {"color": "orange", "value": 0},
        {"color": "green", "value": 0.25},
    ]
    burn_panels = []
    claims = []
    for tier in TIERS:
        long_name, short_name = f"{slo.name}-{tier.name}-long", f"{slo.name}-{tier.name}-short"
        tier_alarms = [p.alarm(long_name), p.alarm(short_name)]
        claims += tier_alarms
        long_window = tier.long_period * tier.long_evaluation_periods
        short_window = tier.short_period * tier.short_evaluation_periods
        burn_panels.append(
            p.timeseries(
                f"Burn rate, {tier.name} tier ({tier.burn_rate:g}x)",
                [
                    *bad_ratio(slo, "L", tier.long_period),
                    MathQuery(
                        refId="L",
                        id="long",
                        expression=f"({bad_expr(slo, 'L')}) / {budget:g}",
                        label=f"long window ({long_window // 3600} h)",
                        period=str(tier.long_period),
                    ),
                    *bad_ratio(slo, "S", tier.short_period),
                    MathQuery(
                        refId="S",
                        id="short",
                        expression=f"({bad_expr(slo, 'S')}) / {budget:g}",
                        label=f"short window ({short_window // 60} min)",
                        period=str(tier.short_period),
                    ),
                ],
                unit="short",
                alarms=tier_alarms,
                description=(
                    f"Budget burn rate (1 = the whole budget spent in exactly {slo.window_days} days). The "
                    f"{tier.name} tier fires when both windows burn faster than {tier.burn_rate:g}x "
                    f"(composite `{slo.name}-{tier.name}-burn`, {tier.severity})."
                ),
            )
        )
    # The window alarms compare an error ratio (availability) or a percentile (latency) with their
    # thresholds; in burn-rate units both conditions are "above the tier's rate".
    fixed = [
        (
            p.with_steps(
                panel, [{"color": "green", "value": None}, {"color": "red", "value": tier.burn_rate}]
            ),
            8,
        )
        for tier, panel in zip(TIERS, burn_panels, strict=True)
    ]

    board.add(
        (
            p.stat(
                f"SLI ({window})",
                [
                    *bad_ratio(slo, "W", window_seconds),
                    MathQuery(
                        refId="W",
                        id="sli",
                        expression=f"1 - ({bad_expr(slo, 'W')})",
                        label="SLI",
                        period=str(window_seconds),
                    ),
                ],
                unit="percentunit",
                decimals=3,
                steps=objective_steps,
                time_from=window,
                description=f"{slo.description} Objective {slo.objective:.2%}.",
            ),
            6,
        ),
        (
            p.stat(
                f"Error budget remaining ({window})",
                [
                    *bad_ratio(slo, "W", window_seconds),
                    MathQuery(
                        refId="W",
                        id="left",
                        expression=f"1 - ({bad_expr(slo, 'W')}) / {budget:g}",
                        label="budget left",
                        period=str(window_seconds),
                    ),
                ],
                unit="percentunit",
                decimals=1,
                steps=budget_steps,
                time_from=window,
                description=f"Share of the {budget:.2%} error budget not yet spent in the last {window}.",
            ),
            6,
        ),
        (
            p.with_steps(
                p.timeseries(
                    "SLI per hour",
                    [
                        *bad_ratio(slo, "H", 3600),
                        MathQuery(
                            refId="H",
                            id="hourly",
                            expression=f"1 - ({bad_expr(slo, 'H')})",
                            label="SLI",
                            period="3600",
                        ),
                    ],
                    unit="percentunit",
                    description=f"Hourly SLI against the objective ({slo.objective:.2%}).",
                ),
                objective_steps,
            ),
            12,
        ),
    )
    board.add(*fixed, claims=claims)

dashboard = Dashboard(
    uid=p.SLO_UID,
    title="SLOs",
    description="SLIs, error budgets and multiwindow burn rates of the API's SLOs (alerts/catalog.py).",
    tags=p.TAGS,
    panels=board.finish(),
    variables=p.API_VARIABLES,
    links=p.dashboard_links(),
    time_from="now-7d",
)
