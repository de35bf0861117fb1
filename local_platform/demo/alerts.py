"""Demo step: stage an incident, evaluate the alarms Terraform created on the emulated CloudWatch
metrics, and deliver each state change to a local chat webhook along the production path: an
EventBridge "CloudWatch Alarm State Change" event per transition -> the real notifier handler
(notifier/) in the local Lambda runtime -> the chat topic -> the chat webhook. What the demo prints is
what Slack gets.

The alarms are read from the emulator's CloudWatch (``DescribeAlarms``, metric and composite alarms
named ``<prefix>-*``, every page), as Terraform created them from the rendered catalog when it applied
infra/live, and turned into the engine's objects by ``alerts.described``: literal dimensions, severity
from the description Terraform wrote. So a drift between what the catalog renders and what Terraform
creates (a threshold, a dimension value, a rule) changes what this step fires; an alarm the engine
cannot represent stops it with the alarm's name. No alarms at all means infra/live was not applied.

The emulator has no alarm evaluation, so the backtester's engine evaluates them on the metrics the
local stack published (``GetMetricData``, period-aligned: wall clock windows). Percentile alarms are
skipped: the emulator's ``GetMetricData`` has no percentile statistics. Every transition becomes an
event, as CloudWatch sends every one to EventBridge; the notifier decides what posts (not the first
INSUFFICIENT_DATA -> OK, not ``info`` alarms, not suppressed composite actions).

The simulated clock first moves to the next hour boundary and only metrics from there on are
evaluated, so the story (alarms fired, messages sent) is the same on every run whatever the time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.described import DescribedAlarms, UnsupportedAlarm, describe_alarms, from_describe_alarms
from alerts.engine import INSUFFICIENT, Result, evaluate_alarm, evaluate_composites, math_datapoints
from alerts.model import AnyMetricAlarm, MathAlarm, MetricAlarm, MetricStat, is_percentile
from local_platform.chat import ChatReceiver
from local_platform.demo.context import DemoContext
from local_platform.demo.traffic import DemoCheckFailed
from local_platform.deployment import Platform, local_function
from local_platform.lambda_runtime import LocalFunction
from local_platform.names import LocalNames
from notifier.config import ENV_OPENSEARCH_DASHBOARDS_URL, ENV_OPENSEARCH_SEARCH_URL
from notifier.events import alarm_state_change

__all__ = [
    "BOUNDARY_SECONDS",
    "INTENDED_ALARM",
    "NOTIFIER_HANDLER",
    "PHASES",
    "REQUESTS_PER_MINUTE",
    "RUNBOOK_BASE_URL",
    "Change",
    "alarm_datapoints",
    "created_alarms",
    "evaluable",
    "fetch",
    "notifier",
    "run",
    "state_change_event",
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
BOUNDARY_SECONDS = 3600
"""The simulated clock starts the story on an hour boundary (a multiple of every alarm period)."""
NOTIFIER_HANDLER = "notifier.handler:handler"
RUNBOOK_BASE_URL = "https://github.com/example/obs-platform/blob/main"


def created_alarms(ctx: DemoContext) -> DescribedAlarms:
    """The deployment's alarms as the emulator's CloudWatch holds them (what Terraform created)."""
    prefix = ctx.names.prefix
    response = describe_alarms(ctx.client("cloudwatch"), prefix)
    try:
        alarms = from_describe_alarms(response, prefix)
    except UnsupportedAlarm as error:
        raise DemoCheckFailed(f"an alarm in CloudWatch cannot be evaluated locally: {error}") from error
    if not alarms:
        raise DemoCheckFailed(
            f"no alarms in CloudWatch named {prefix}-*: was infra/live applied into the emulator?"
        )
    return alarms


def evaluable(alarm: AnyMetricAlarm) -> bool:
    stats = [alarm.statistic] if isinstance(alarm, MetricAlarm) else [s.statistic for s in alarm.metrics]
    return not any(is_percentile(stat) for stat in stats)


def fetch(cloudwatch: Any, stat: MetricStat, start: datetime, end: datetime) -> dict[int, float]:
    """Period-aligned datapoints of one metric and statistic from (emulated) CloudWatch; the
    dimensions are the described alarm's literal values."""
    response = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": stat.metric.namespace,
                        "MetricName": stat.metric.metric_name,
                        "Dimensions": [
                            {"Name": k, "Value": v} for k, v in stat.metric.resolved_dimensions({}).items()
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
    cloudwatch: Any, alarm: AnyMetricAlarm, start: datetime, end: datetime
) -> dict[int, float]:
    if isinstance(alarm, MathAlarm):
        inputs = {stat.id: fetch(cloudwatch, stat, start, end) for stat in alarm.metrics}
        return math_datapoints(alarm, inputs)
    stat = MetricStat("m", alarm.metric, alarm.statistic, alarm.period)
    return fetch(cloudwatch, stat, start, end)


@dataclass(frozen=True)
class Change:
    name: str
    timestamp: int
    old_state: str
    new_state: str
    reason: str
    actions_suppressed: bool = False


def state_changes(results: dict[str, Result]) -> list[Change]:
    """Every transition of every alarm, in time order (CloudWatch sends each to EventBridge)."""
    changes = []
    for name, result in results.items():
        previous = INSUFFICIENT
        for t in result.transitions:
            changes.append(Change(name, t.timestamp, previous, t.state, t.reason, t.actions_suppressed))
            previous = t.state
    return sorted(changes, key=lambda c: (c.timestamp, c.name))


def state_change_event(change: Change, names: LocalNames) -> dict[str, Any]:
    """The EventBridge event CloudWatch sends for ``change`` (built by the notifier's own
    ``notifier.events``, on AWS's documented samples)."""
    return alarm_state_change(
        f"{names.prefix}-{change.name}",
        new_state=change.new_state,
        old_state=change.old_state,
        reason=change.reason,
        at=datetime.fromtimestamp(change.timestamp, UTC),
        region=names.region,
        account_id=names.account_id,
        actions_suppressed_by="Alarm" if change.actions_suppressed else None,
    )


def notifier(ctx: DemoContext) -> LocalFunction:
    """The real notifier handler in the local Lambda runtime, as Terraform configured it (read back:
    handler, environment, memory, timeout, with an STS session of its role), its logs links pointed at
    the local node. Without the platform (a test of this step alone), configured like Terraform does."""
    if ctx.platform is not None:
        return _notifier_as_created(ctx, ctx.platform)
    names = ctx.names
    return LocalFunction(
        handler_path=NOTIFIER_HANDLER,
        function_name=names.notifier_function_name,
        log_group=f"/aws/lambda/{names.notifier_function_name}",
        region=names.region,
        account_id=names.account_id,
        environment={
            "CHAT_TOPIC_ARN": names.chat_topic_arn,
            "NAME_PREFIX": names.prefix,
            "RUNBOOK_BASE_URL": RUNBOOK_BASE_URL,
            **_logs_link_setting(ctx),
            "AWS_ACCESS_KEY_ID": ctx.access_key,
            "AWS_SECRET_ACCESS_KEY": ctx.secret_key,
            "AWS_ENDPOINT_URL_SNS": ctx.aws_endpoint,
        },
    )


def _notifier_as_created(ctx: DemoContext, platform: Platform) -> LocalFunction:
    # no OpenSearch Dashboards locally: the links go to the node's search API (_logs_link_setting)
    local = {**_logs_link_setting(ctx), "AWS_ENDPOINT_URL_SNS": ctx.aws_endpoint}
    return local_function(
        ctx.aws_endpoint, platform, platform.notifier, local, drop=frozenset({ENV_OPENSEARCH_DASHBOARDS_URL})
    )


def _logs_link_setting(ctx: DemoContext) -> dict[str, str]:
    """No OpenSearch Dashboards runs locally: the logs links are the demo node's own search API, so
    they answer there. Without a node (``--only alerts`` with no OPENSEARCH_URL) nothing would
    answer: refuse rather than print dead links."""
    if not ctx.opensearch_url:
        raise DemoCheckFailed("the alerts step needs the OpenSearch node for its notifications' logs links")
    return {ENV_OPENSEARCH_SEARCH_URL: ctx.opensearch_url}


def run(ctx: DemoContext) -> None:
    if ctx.send is None or ctx.clock is None or ctx.set_s3_fault is None:
        raise DemoCheckFailed("the alerts step needs the local stack (send, clock, set_s3_fault)")
    names = ctx.names
    created = created_alarms(ctx)  # before the story: without alarms there is nothing to show
    sns = ctx.client("sns")
    with ChatReceiver(say=ctx.say) as receiver:
        subscription = sns.subscribe(
            TopicArn=names.chat_topic_arn, Protocol="http", Endpoint=receiver.url, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        try:
            _play_and_notify(ctx, receiver, created)
        finally:
            sns.unsubscribe(SubscriptionArn=subscription)


def _play_and_notify(ctx: DemoContext, receiver: ChatReceiver, created: DescribedAlarms) -> None:
    assert ctx.send is not None and ctx.clock is not None and ctx.set_s3_fault is not None
    names = ctx.names
    now = int(ctx.clock.now().timestamp())
    ctx.clock.advance(-now % BOUNDARY_SECONDS)  # to the next hour boundary: the same story every run
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

    cloudwatch = ctx.client("cloudwatch")
    alarms = [a for a in created.metric_alarms if evaluable(a)]
    ctx.say(
        f"alerts: evaluating the alarms CloudWatch holds (DescribeAlarms): {len(alarms)} of "
        f"{len(created.metric_alarms)} metric alarms (percentiles need CloudWatch) and "
        f"{len(created.composites)} composites"
    )
    ctx.summary["alarms_evaluated"] = {
        "metric": len(alarms),
        "metric_skipped_percentile": len(created.metric_alarms) - len(alarms),
        "composite": len(created.composites),
    }
    results = {
        alarm.name: evaluate_alarm(
            alarm,
            alarm_datapoints(cloudwatch, alarm, started, end + timedelta(minutes=1)),
            started.timestamp(),
            end.timestamp(),
        )
        for alarm in alarms
    }
    composites = list(created.composites)
    composite_names = {c.name for c in composites}
    for composite in composites:
        for child in set(composite.children()) - composite_names:
            results.setdefault(child, Result(child))  # not evaluable locally: stays INSUFFICIENT_DATA
    evaluate_composites(composites, results, started.timestamp(), end.timestamp())

    by_severity = {name: created.severity(name) for name in results}
    function = notifier(ctx)
    published = 0
    for change in state_changes(results):
        invocation = function.invoke(state_change_event(change, names))
        if invocation.error is not None:
            raise DemoCheckFailed(f"the notifier failed on {change.name}: {invocation.error}")
        published += bool(invocation.result["published"])
    if not receiver.wait_for(published, timeout=15):
        received = len(receiver.accepted) + len(receiver.rejected)
        raise DemoCheckFailed(f"the chat receiver got {received} of the notifier's {published} messages")
    artefact = ctx.out_dir / "alerts-notifications.json"
    artefact.parent.mkdir(parents=True, exist_ok=True)
    artefact.write_text(json.dumps(receiver.accepted, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # info alarms (SLO windows) are parts of composites: they fire but never reach chat
    fired = sorted(
        name for name, result in results.items() if result.alarm_times() and by_severity[name] != "info"
    )
    ctx.summary["alarms_fired"] = fired
    ctx.summary["notifications_delivered"] = len(receiver.accepted)
    ctx.summary["notifications"] = [message["content"]["title"] for message in receiver.accepted]
    if receiver.rejected:
        raise DemoCheckFailed(f"the chat receiver rejected notifications: {receiver.rejected}")
    if INTENDED_ALARM not in fired:
        raise DemoCheckFailed(f"the staged 5xx incident did not fire {INTENDED_ALARM} (fired: {fired})")
    delay = results[INTENDED_ALARM].alarm_times()[0] - incident_start.timestamp()
    ctx.say(
        f"alerts: fired {', '.join(fired)}; {INTENDED_ALARM} after {delay / 60:.0f} simulated minutes; "
        f"{len(receiver.accepted)} chat notifications from the notifier Lambda through the chat topic "
        f"(copies in {artefact})"
    )
