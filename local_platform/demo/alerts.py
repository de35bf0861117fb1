"""Demo step: stage an incident, evaluate the catalog's alarms on the emulated CloudWatch metrics,
and deliver each state change to a local chat webhook through the SNS topic.

The emulator has no alarm evaluation, so the backtester's engine evaluates the catalog on the
metrics the local stack published (``GetMetricData``), exactly as it does for recorded series.
Percentile alarms are skipped here: the emulator's ``GetMetricData`` has no percentile statistics.
The initial INSUFFICIENT_DATA -> OK change of every alarm is not posted (CloudWatch would notify it;
a chat channel full of 30 "OK" messages hides the incident), and composite actions muted by their
actions suppressor are not posted, as CloudWatch would not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts import catalog
from alerts.engine import INSUFFICIENT, Result, evaluate_alarm, evaluate_composites, math_datapoints
from alerts.model import AnyMetricAlarm, Bindings, MathAlarm, MetricAlarm, MetricStat, Var, is_percentile
from alerts.notify import LinkContext, format_notification
from local_platform.chat import ChatReceiver
from local_platform.demo.context import DemoContext
from local_platform.demo.traffic import DemoCheckFailed
from local_platform.names import LocalNames

__all__ = [
    "INTENDED_ALARM",
    "PHASES",
    "REQUESTS_PER_MINUTE",
    "Change",
    "alarm_datapoints",
    "bindings",
    "evaluable",
    "fetch",
    "run",
    "state_changes",
]

REQUESTS_PER_MINUTE = 8
PHASES: tuple[tuple[str, int, str | None], ...] = (
    ("baseline", 3, None),
    ("incident", 6, "error"),
    ("recovery", 7, None),
)
"""(phase, simulated minutes, S3 fault)."""
INTENDED_ALARM = "api-5xx-rate"


def bindings(names: LocalNames) -> Bindings:
    return {
        Var.FUNCTION_NAME: names.function_name,
        Var.SHIPPER_FUNCTION_NAME: names.shipper_function_name,
        Var.API_ID: names.api_id,
        Var.API_STAGE: names.stage,
        Var.FUNCTION_LOG_GROUP: names.function_log_group,
        Var.ACCESS_LOG_GROUP: names.access_log_group,
        Var.SHIPPER_LOG_GROUP: names.shipper_log_group,
        Var.FUNCTION_SUBSCRIPTION_FILTER: f"{names.prefix}-function-to-shipper",
        Var.ACCESS_SUBSCRIPTION_FILTER: f"{names.prefix}-access-to-shipper",
    }


def evaluable(alarm: AnyMetricAlarm) -> bool:
    stats = [alarm.statistic] if isinstance(alarm, MetricAlarm) else [s.statistic for s in alarm.metrics]
    return not any(is_percentile(stat) for stat in stats)


def fetch(
    cloudwatch: Any, stat: MetricStat, bound: Bindings, start: datetime, end: datetime
) -> dict[int, float]:
    """Period-aligned datapoints of one metric and statistic from (emulated) CloudWatch."""
    response = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": stat.metric.namespace,
                        "MetricName": stat.metric.metric_name,
                        "Dimensions": [
                            {"Name": k, "Value": v} for k, v in stat.metric.resolved_dimensions(bound).items()
                        ],
                    },
                    "Period": stat.period,
                    "Stat": stat.statistic,
                },
            }
        ],
        StartTime=start,
        EndTime=end,
    )
    values: dict[int, float] = {}
    for result in response["MetricDataResults"]:
        for timestamp, value in zip(result["Timestamps"], result["Values"], strict=True):
            values[int(timestamp.timestamp())] = float(value)
    return values


def alarm_datapoints(
    cloudwatch: Any, alarm: AnyMetricAlarm, bound: Bindings, start: datetime, end: datetime
) -> dict[int, float]:
    if isinstance(alarm, MathAlarm):
        inputs = {stat.id: fetch(cloudwatch, stat, bound, start, end) for stat in alarm.metrics}
        return math_datapoints(alarm, inputs)
    stat = MetricStat("m", alarm.metric, alarm.statistic, alarm.period)
    return fetch(cloudwatch, stat, bound, start, end)


@dataclass(frozen=True)
class Change:
    name: str
    timestamp: int
    old_state: str
    new_state: str
    reason: str
    value: float | None


def state_changes(results: dict[str, Result], alarms: dict[str, Any]) -> list[Change]:
    changes = []
    for name, result in results.items():
        previous = INSUFFICIENT
        for transition in result.transitions:
            quiet_start = previous == INSUFFICIENT and transition.state == "OK"
            if not quiet_start and not transition.actions_suppressed:
                alarm = alarms[name]
                value = None
                if not hasattr(alarm, "rule"):
                    value = result.datapoints.get(transition.timestamp - alarm.period)
                changes.append(
                    Change(name, transition.timestamp, previous, transition.state, transition.reason, value)
                )
            previous = transition.state
    return sorted(changes, key=lambda c: (c.timestamp, c.name))


def _align(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(epoch, UTC)


def run(ctx: DemoContext) -> None:
    if ctx.send is None or ctx.clock is None or ctx.set_s3_fault is None:
        raise DemoCheckFailed("the alerts step needs the local stack (send, clock, set_s3_fault)")
    names = ctx.names
    sns = ctx.client("sns")
    with ChatReceiver(say=ctx.say) as receiver:
        subscription = sns.subscribe(
            TopicArn=names.alarm_topic_arn, Protocol="http", Endpoint=receiver.url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        try:
            _play_and_notify(ctx, sns, receiver)
        finally:
            sns.unsubscribe(SubscriptionArn=subscription)


def _play_and_notify(ctx: DemoContext, sns: Any, receiver: ChatReceiver) -> None:
    assert ctx.send is not None and ctx.clock is not None and ctx.set_s3_fault is not None
    names = ctx.names
    started = ctx.clock.now()
    incident_start = started
    try:
        for phase, minutes, fault in PHASES:
            ctx.set_s3_fault(fault)
            if phase == "incident":
                incident_start = ctx.clock.now()
            for _ in range(minutes):
                for _ in range(REQUESTS_PER_MINUTE):
                    ctx.send("GET", "/objects?limit=5")
                ctx.clock.advance(60)
            ctx.say(f"alerts: {phase} played for {minutes} simulated minutes (S3 fault: {fault or 'none'})")
    finally:
        ctx.set_s3_fault(None)
    end = ctx.clock.now()

    bound = bindings(names)
    cloudwatch = ctx.client("cloudwatch")
    window_start = _align(started - timedelta(minutes=10), 3600)
    alarms = [a for a in catalog.ALL_METRIC_ALARMS if evaluable(a)]
    results = {
        alarm.name: evaluate_alarm(
            alarm,
            alarm_datapoints(cloudwatch, alarm, bound, window_start, end + timedelta(minutes=1)),
            started.timestamp(),
            end.timestamp(),
        )
        for alarm in alarms
    }
    composites = list(catalog.COMPOSITES)
    composite_names = {c.name for c in composites}
    for composite in composites:
        for child in set(composite.children()) - composite_names:
            results.setdefault(child, Result(child))  # not evaluable locally: stays INSUFFICIENT_DATA
    evaluate_composites(composites, results, started.timestamp(), end.timestamp())

    by_name: dict[str, Any] = {a.name: a for a in (*alarms, *composites)}
    changes = [c for c in state_changes(results, by_name) if c.name in by_name]
    links = LinkContext(
        region=names.region,
        account_id=names.account_id,
        name_prefix=names.prefix,
        opensearch_search_url=ctx.opensearch_url,  # a bare node: no Dashboards to link to
    )
    for change in changes:
        message = format_notification(
            by_name[change.name],
            new_state=change.new_state,
            old_state=change.old_state,
            reason=change.reason,
            at=datetime.fromtimestamp(change.timestamp, UTC),
            links=links,
            value=change.value,
        )
        sns.publish(
            TopicArn=names.alarm_topic_arn,
            Message=json.dumps(message),
            Subject=f"{links.alarm_name(change.name)} {change.new_state}"[:100],
        )
    if not receiver.wait_for(len(changes), timeout=15):
        received = len(receiver.accepted) + len(receiver.rejected)
        raise DemoCheckFailed(f"the chat receiver got {received} of {len(changes)} messages")
    artefact = ctx.out_dir / "alerts-notifications.json"
    artefact.parent.mkdir(parents=True, exist_ok=True)
    artefact.write_text(json.dumps(receiver.accepted, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    fired = sorted({c.name for c in changes if c.new_state == "ALARM"})
    ctx.summary["alarms_fired"] = fired
    ctx.summary["notifications_delivered"] = len(receiver.accepted)
    if receiver.rejected:
        raise DemoCheckFailed(f"the chat receiver rejected notifications: {receiver.rejected}")
    if INTENDED_ALARM not in fired:
        raise DemoCheckFailed(f"the staged 5xx incident did not fire {INTENDED_ALARM} (fired: {fired})")
    delay = results[INTENDED_ALARM].alarm_times()[0] - incident_start.timestamp()
    ctx.say(
        f"alerts: fired {', '.join(fired)}; {INTENDED_ALARM} after {delay / 60:.0f} simulated minutes; "
        f"{len(receiver.accepted)} chat notifications delivered through SNS (copies in {artefact})"
    )
