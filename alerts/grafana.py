"""Render Grafana alerting provisioning JSON from the catalog: rules, an SNS contact point and a
message template whose output is a Chatbot custom notification.

The file uses Grafana's file-provisioning layout (``apiVersion``, ``groups``, ``contactPoints``,
``templates``); it has no ``policies``: every rule routes itself to the contact point with
``notification_settings`` (simplified routing), leaving the operator's policy tree alone.
Deployment values are ``${OBS_*}`` placeholders: Grafana's file provisioning expands environment
variables; the HTTP publisher (dashboards/) substitutes them with ``bind_placeholders`` before it
calls the API. The rules cover the catalog's direct metric and
metric-math alarms and one rule per SLO burn-rate tier (both windows in one condition); the incident
composites stay CloudWatch-only.

Grafana has no "M out of N": a rule fires after its condition held for ``for`` = (M - 1) periods,
i.e. M consecutive breaching evaluations, which is never noisier than the CloudWatch alarm.

Query shapes: every CloudWatch query has a lowercase ``id`` (CloudWatch's ``MetricDataQuery.Id``);
Grafana's alerting sends each data-source query alone, so ratios are server-side expressions over
per-query reductions, never a CloudWatch expression naming another query. Every rule is checked
against Grafana's typed models (tests/unit/alerts/test_alerts_grafana_models.py).

One owner per symptom: CloudWatch owns every catalog symptom in chat (the notifier Lambda posts to
the chat topic). The contact point here publishes to the *alarm* topic, which Chatbot does not read
(infra/modules/notifications/README.md), so a Grafana rule never posts the same symptom twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from alerts import catalog
from alerts.mathexpr import BinOp, Fill, Neg, Node, Num, Ref, parse
from alerts.model import (
    SLO,
    AnyMetricAlarm,
    AvailabilitySLO,
    BurnRateTier,
    Dimensions,
    MathAlarm,
    MetricAlarm,
    MetricRef,
    Var,
)
from alerts.notify import (
    DEEP_LINKS,
    EVENT_TYPE,
    SOURCE,
    TEXT_TYPE,
    VERSION,
    LinkContext,
    deep_links,
    thread_id,
)
from alerts.slo import TIERS, percentile_for_burn
from signals.services import GRAFANA_CLOUDWATCH_UID, PROJECT

FOLDER: Final = "Observability platform alerts"
GROUP: Final = f"{PROJECT}-alarms"
CONTACT_POINT: Final = f"{PROJECT}-chatbot-sns"
TEMPLATE: Final = "chatbot.custom"
# Simplified routing (GA from Grafana 11; the workspace module defaults to 12.4 and refuses older
# versions): each rule names its contact point in ``notification_settings`` (ProvisionedAlertRule ->
# AlertRuleNotificationSettings, ``receiver`` required, ``group_by`` must hold alertname and
# grafana_folder), so the rules reach SNS without touching the workspace's notification policy tree,
# which ``PUT /policies`` (or a provisioned ``policies`` entry) would replace as a whole.
NOTIFICATION_SETTINGS: Final = {"receiver": CONTACT_POINT, "group_by": ["alertname", "grafana_folder"]}
METRIC_ID: Final = "metric"
"""refId and CloudWatch ``Id`` of a single-metric rule's query."""
EXPRESSION_DATASOURCE: Final = {"type": "__expr__", "uid": "__expr__"}
TOPIC_PLACEHOLDER: Final = "${OBS_ALARM_TOPIC_ARN}"
REGION_PLACEHOLDER: Final = "${OBS_REGION}"
RUNBOOK_PLACEHOLDER: Final = "${OBS_RUNBOOK_BASE_URL}"
NAME_PREFIX_PLACEHOLDER: Final = "${OBS_NAME_PREFIX}"
OPENSEARCH_DASHBOARDS_PLACEHOLDER: Final = "${OBS_OPENSEARCH_DASHBOARDS_URL}"
PLACEHOLDERS: Final = tuple(
    sorted(
        {v.grafana_env for v in Var}
        | {"OBS_ALARM_TOPIC_ARN", "OBS_REGION", "OBS_RUNBOOK_BASE_URL", "OBS_NAME_PREFIX"}
        | {"OBS_OPENSEARCH_DASHBOARDS_URL"}
    )
)
# The links the notifier puts in a notification (via the routing table), built by the same functions
# with placeholders for the deployment values, so a Grafana alert and the CloudWatch alarm it mirrors
# link to the same places and share a chat thread (``threadId`` = the prefixed alarm name). The
# OpenSearch time range is the hour before the link is opened (the rule is rendered ahead of time).
LINKS: Final = LinkContext(
    region=REGION_PLACEHOLDER,
    name_prefix=NAME_PREFIX_PLACEHOLDER,
    runbook_base_url=RUNBOOK_PLACEHOLDER,
    opensearch_dashboards_url=OPENSEARCH_DASHBOARDS_PLACEHOLDER,
)
_NO_DATA = {"missing": "NoData", "notBreaching": "OK", "breaching": "Alerting", "ignore": "KeepLast"}
_EVALUATOR = {
    "GreaterThanThreshold": "gt",
    "GreaterThanOrEqualToThreshold": "gte",
    "LessThanThreshold": "lt",
    "LessThanOrEqualToThreshold": "lte",
}

# One line of JSON: Chatbot receives exactly this as the SNS message. Annotations are checked to
# contain no characters that would need JSON escaping (tests/unit/alerts/test_render.py).
MESSAGE_TEMPLATE: Final = (
    '{{ define "' + TEMPLATE + '" }}'
    '{"version":"' + VERSION + '","source":"' + SOURCE + '",'
    '"content":{"textType":"' + TEXT_TYPE + '",'
    '"title":"{{ if eq .Status "firing" }}:rotating_light:{{ else }}:white_check_mark:{{ end }} '
    "[{{ .CommonLabels.severity }}] {{ .CommonLabels.alertname }} is "
    '{{ if eq .Status "firing" }}ALARM{{ else }}OK{{ end }}",'
    '"description":"{{ .CommonAnnotations.description }} Current value: {{ .CommonAnnotations.value }}. '
    'Threshold: {{ .CommonAnnotations.threshold }}.",'
    '"nextSteps":['
    + "".join(f'"{label}: {{{{ .CommonAnnotations.{key} }}}}",' for key, label in DEEP_LINKS)
    + '"Grafana: {{ .ExternalURL }}/alerting/list"],'
    '"keywords":["{{ .CommonLabels.severity }}","grafana"]},'
    '"metadata":{"threadId":"{{ .CommonAnnotations.thread_id }}",'
    '"summary":"{{ .CommonLabels.alertname }} is {{ .Status }}",'
    '"eventType":"' + EVENT_TYPE + '","relatedResources":[],'
    '"additionalContext":{"source":"grafana","severity":"{{ .CommonLabels.severity }}"}}}'
    "{{ end }}"
)


def _dimensions(dimensions: Dimensions) -> dict[str, str]:
    return {
        key: f"${{{value.grafana_env}}}" if isinstance(value, Var) else value for key, value in dimensions
    }


_CLOUDWATCH_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")


def _query(ref_id: str, metric: MetricRef, statistic: str, period: int) -> dict[str, Any]:
    """One CloudWatch metric query (builder mode). Grafana passes ``id`` through as the
    ``MetricDataQuery.Id``, which CloudWatch wants to start with a lowercase letter."""
    if not _CLOUDWATCH_ID.fullmatch(ref_id):
        raise ValueError(f"CloudWatch query id {ref_id!r} must start with a lowercase letter")
    return {
        "refId": ref_id,
        "id": ref_id,
        "datasource": {"type": "cloudwatch", "uid": GRAFANA_CLOUDWATCH_UID},
        "queryMode": "Metrics",
        "metricQueryType": 0,
        "metricEditorMode": 0,
        "namespace": metric.namespace,
        "metricName": metric.metric_name,
        "dimensions": _dimensions(metric.dimensions),
        "matchExact": True,
        "statistic": statistic,
        "period": str(period),
        "region": "default",
    }


def _data(ref_id: str, model: dict[str, Any], seconds: int, datasource_uid: str) -> dict[str, Any]:
    return {
        "refId": ref_id,
        "relativeTimeRange": {"from": seconds, "to": 0},
        "datasourceUid": datasource_uid,
        "model": model,
    }


def _expr(ref_id: str, model: dict[str, Any]) -> dict[str, Any]:
    """A server-side expression (reduce, math, threshold), evaluated by Grafana after the queries."""
    return _data(ref_id, {"refId": ref_id, "datasource": dict(EXPRESSION_DATASOURCE), **model}, 0, "__expr__")


def _reduce(ref_id: str, source: str, reducer: str, *, fill: float | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = (
        {"mode": "dropNN"} if fill is None else {"mode": "replaceNN", "replaceWithValue": fill}
    )
    return _expr(ref_id, {"type": "reduce", "expression": source, "reducer": reducer, "settings": settings})


def _grafana_math(node: Node, reduced: Mapping[str, str]) -> str:
    """CloudWatch metric math (the catalog's subset) as a Grafana math expression over reductions.

    ``FILL(id, v)`` is not an operator here: the reduction of ``id`` replaces non-numbers with ``v``
    (``_math_fills``), which is the same for the last datapoint the alarm compares.
    """
    if isinstance(node, Num):
        return f"{node.number:g}"
    if isinstance(node, Ref):
        return f"${reduced[node.id]}"
    if isinstance(node, Fill):
        return _grafana_math(node.operand, reduced)
    if isinstance(node, Neg):
        return f"-({_grafana_math(node.operand, reduced)})"
    if isinstance(node, BinOp):
        return f"({_grafana_math(node.left, reduced)} {node.op} {_grafana_math(node.right, reduced)})"
    raise ValueError(f"cannot express {node!r} in Grafana math")


def _math_fills(node: Node) -> dict[str, float]:
    """The ids that appear inside ``FILL(id, value)``, with their fill value."""
    if isinstance(node, Fill) and isinstance(node.operand, Ref):
        return {node.operand.id: node.fill}
    if isinstance(node, Fill):
        raise ValueError("FILL over an expression has no Grafana equivalent: FILL a metric id")
    children = [getattr(node, name) for name in ("operand", "left", "right") if hasattr(node, name)]
    return {key: value for child in children for key, value in _math_fills(child).items()}


def _notification_settings() -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, list) else value for key, value in NOTIFICATION_SETTINGS.items()
    }


def rule(alarm: AnyMetricAlarm) -> dict[str, Any]:
    """One CloudWatch alarm as a Grafana rule on the same datapoints.

    Grafana's alerting sends each data-source query as its own request, so a metric-math alarm
    becomes one query per input metric, each reduced to its last datapoint, and a server-side
    ``math`` expression over the reductions (never a CloudWatch expression that names another
    query's id, which would be sent alone and fail).
    """
    lookback = alarm.period * (alarm.evaluation_periods + 2)
    data: list[dict[str, Any]] = []
    if isinstance(alarm, MetricAlarm):
        data.append(_data(METRIC_ID, _query(METRIC_ID, alarm.metric, alarm.statistic, alarm.period), lookback,
                          GRAFANA_CLOUDWATCH_UID))  # fmt: skip
        data.append(_reduce("R", METRIC_ID, "last"))
    else:
        tree = parse(alarm.expression)
        fills = _math_fills(tree)
        reduced = {stat.id: stat.id.upper() for stat in alarm.metrics}
        for stat in alarm.metrics:
            data.append(_data(stat.id, _query(stat.id, stat.metric, stat.statistic, stat.period), lookback,
                              GRAFANA_CLOUDWATCH_UID))  # fmt: skip
            data.append(_reduce(reduced[stat.id], stat.id, "last", fill=fills.get(stat.id)))
        data.append(_expr("R", {"type": "math", "expression": _grafana_math(tree, reduced)}))
    data.append(
        _expr("C", {"type": "threshold", "expression": "R",
                    "conditions": [{"evaluator": {"type": _EVALUATOR[alarm.comparison],
                                                  "params": [alarm.threshold]}}]})
    )  # fmt: skip
    what = alarm.label if isinstance(alarm, MathAlarm) else f"{alarm.metric_name} {alarm.statistic}"
    return {
        "uid": f"{PROJECT}-{alarm.name}"[:40],
        "title": alarm.name,
        "condition": "C",
        "data": data,
        "noDataState": _NO_DATA[alarm.treat_missing_data],
        "execErrState": "Error",
        "for": f"{alarm.period * (alarm.datapoints_to_alarm - 1)}s",
        "annotations": {
            "summary": f"{alarm.name} ({alarm.severity})",
            "description": alarm.description,
            "threshold": f"{what} {_EVALUATOR[alarm.comparison]} {alarm.threshold:g}",
            "value": "{{ humanize $values.R.Value }}",
            "thread_id": thread_id(LINKS, alarm.name),
            **deep_links(LINKS, alarm),
        },
        "labels": {"severity": alarm.severity, "alarm": alarm.name},
        "isPaused": False,
        "notification_settings": _notification_settings(),
    }


def _window_sum(ref_id: str, metric: MetricRef, window: int) -> list[dict[str, Any]]:
    """A query and its ``sum`` reduction: the metric's total over the last ``window`` seconds."""
    period = 60 if window <= 3600 else 300
    return [
        _data(ref_id.lower(), _query(ref_id.lower(), metric, "Sum", period), window, GRAFANA_CLOUDWATCH_UID),
        _reduce(ref_id, ref_id.lower(), "sum"),
    ]


def _window_percentile(ref_id: str, metric: MetricRef, statistic: str, window: int) -> list[dict[str, Any]]:
    return [
        _data(
            ref_id.lower(), _query(ref_id.lower(), metric, statistic, window), window, GRAFANA_CLOUDWATCH_UID
        ),
        _reduce(ref_id, ref_id.lower(), "last"),
    ]


def slo_rule(slo: SLO, tier: BurnRateTier) -> dict[str, Any]:
    """One burn-rate tier as a single Grafana rule: both windows over their true length.

    Grafana is not bound by CloudWatch's evaluation range, so the long window is one sum (or one
    percentile) over ``period x evaluation_periods`` rather than N datapoints that must all breach.
    """
    long_window = tier.long_period * tier.long_evaluation_periods
    short_window = tier.short_period * tier.short_evaluation_periods
    data: list[dict[str, Any]] = []
    if isinstance(slo, AvailabilitySLO):
        limit = round(tier.burn_rate * slo.error_budget, 6)
        for ref_id, metric, window in (
            ("EL", slo.errors, long_window),
            ("RL", slo.requests, long_window),
            ("ES", slo.errors, short_window),
            ("RS", slo.requests, short_window),
        ):
            data += _window_sum(ref_id, metric, window)
        data.append(_expr("L", {"type": "math", "expression": "$EL / $RL"}))
        condition = f"($EL / $RL > {limit:g}) && ($ES / $RS > {limit:g})"
        threshold = f"error ratio > {limit:g} over {long_window // 60} and {short_window // 60} min"
    else:
        statistic = percentile_for_burn(slo.objective, tier.burn_rate)
        data += _window_percentile("LL", slo.latency, statistic, long_window)
        data += _window_percentile("LS", slo.latency, statistic, short_window)
        data.append(_expr("L", {"type": "math", "expression": "$LL"}))
        condition = f"($LL > {slo.threshold_ms:g}) && ($LS > {slo.threshold_ms:g})"
        threshold = (
            f"{statistic} > {slo.threshold_ms:g} ms over {long_window // 60} and {short_window // 60} min"
        )
    data.append(_expr("M", {"type": "math", "expression": condition}))
    data.append(
        _expr("C", {"type": "threshold", "expression": "M",
                    "conditions": [{"evaluator": {"type": "gt", "params": [0]}}]})
    )  # fmt: skip
    name = f"{slo.name}-{tier.name}-burn"
    composite = catalog.get_alarm(name)
    return {
        "uid": f"{PROJECT}-{name}"[:40],
        "title": name,
        "condition": "C",
        "data": data,
        "noDataState": "OK",
        "execErrState": "Error",
        "for": "0s",
        "annotations": {
            "summary": f"{name} ({composite.severity})",
            "description": composite.description,
            "threshold": threshold,
            "value": "{{ humanize $values.L.Value }}",
            "thread_id": thread_id(LINKS, name),
            **deep_links(LINKS, composite),
        },
        "labels": {"severity": composite.severity, "alarm": name},
        "isPaused": False,
        "notification_settings": _notification_settings(),
    }


def render_provisioning() -> dict[str, Any]:
    alarms: list[AnyMetricAlarm] = [*catalog.ALARMS, *catalog.METRIC_MATH_ALARMS]
    slo_rules = [slo_rule(slo, tier) for slo in catalog.SLOS for tier in TIERS]
    return {
        "apiVersion": 1,
        "groups": [{"orgId": 1, "name": GROUP, "folder": FOLDER, "interval": "1m",
                    "rules": [*(rule(a) for a in alarms), *slo_rules]}],
        "contactPoints": [
            {
                "orgId": 1,
                "name": CONTACT_POINT,
                "receivers": [
                    {
                        "uid": f"{PROJECT}-sns",
                        "type": "sns",
                        "disableResolveMessage": False,
                        "settings": {
                            "topic_arn": TOPIC_PLACEHOLDER,
                            "sigv4": {"region": REGION_PLACEHOLDER},
                            "subject": "{{ .CommonLabels.alertname }} {{ .Status }}",
                            "message": '{{ template "' + TEMPLATE + '" . }}',
                        },
                    }
                ],
            }
        ],
        "templates": [{"orgId": 1, "name": TEMPLATE, "template": MESSAGE_TEMPLATE}],
    }  # fmt: skip


def bind_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace ``${OBS_*}`` placeholders; unknown or unbound ones are an error, not left behind."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for placeholder ${{{name}}}")
        return values[name]

    return re.sub(r"\$\{(OBS_[A-Z_]+)\}", substitute, text)
