"""The alerts demo step against a moto server, with a fake ``send`` that publishes what the local
stack would publish per request (AWS/ApiGateway and AWS/Lambda datapoints at the simulated time).

The alarms the step evaluates are the ones the real Terraform created: infra/modules/alerting is
applied into the moto server once for the module, one instance per deployment prefix the tests use,
with the inputs infra/live gives it for the local names (tests/alerting_terraform.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests

from alerts import catalog
from local_platform import terraform as tf
from local_platform.demo import alerts as step
from local_platform.demo.context import DemoContext, SimClock
from local_platform.demo.traffic import DemoCheckFailed
from local_platform.names import LocalNames
from signals import metrics as M
from tests.alerting_terraform import apply_instances

APPLIED_PREFIXES = ("demo-alerts", "demo-links", "demo-none", "demo-a", "demo-b", "demo-drift")


def _names(prefix: str) -> LocalNames:
    return LocalNames(prefix=prefix, region=tf.EMULATOR_REGION)


def _module_inputs(names: LocalNames) -> dict[str, str]:
    """What infra/live passes the alerting module, for the local names."""
    return {
        "name_prefix": names.prefix,
        "alarm_topic_arn": names.alarm_topic_arn,
        "function_name": names.function_name,
        "shipper_function_name": names.shipper_function_name,
        "api_id": names.api_id,
        "api_stage": names.stage,
        "function_log_group_name": names.function_log_group,
        "access_log_group_name": names.access_log_group,
        "shipper_log_group_name": names.shipper_log_group,
        "function_subscription_filter_name": f"{names.prefix}-function-to-shipper",
        "access_subscription_filter_name": f"{names.prefix}-access-to-shipper",
        "runbook_base_url": step.RUNBOOK_BASE_URL,
    }


@pytest.fixture(scope="module")
def terraform_alarms(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The alarms of every prefix above, created in the moto server by the real Terraform."""
    instances = {prefix.replace("-", "_"): _module_inputs(_names(prefix)) for prefix in APPLIED_PREFIXES}
    apply_instances(moto_url, tmp_path_factory.mktemp("alerting"), instances, region=tf.EMULATOR_REGION)


def test_demo_step_fires_the_5xx_alarm_and_delivers_notifications(
    moto_url, aws_env, tmp_path, opensearch_url, terraform_alarms
):
    _run_and_check(
        moto_url, tmp_path, datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-alerts", opensearch_url
    )


def test_every_logs_link_of_the_demo_messages_answers_on_the_node(
    moto_url, aws_env, tmp_path, opensearch_url, terraform_alarms
):
    # Given the demo step's messages (no OpenSearch Dashboards runs locally)
    _run_and_check(
        moto_url, tmp_path, datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-links", opensearch_url
    )
    delivered = json.loads((tmp_path / "alerts-notifications.json").read_text())
    assert delivered
    for message in delivered:
        steps = dict(step.split(": ", 1) for step in message["content"]["nextSteps"])
        # Then each links to logs on the node itself, never to a Dashboards port nobody serves
        logs = steps["Matching logs in OpenSearch"]
        assert logs.startswith(f"{opensearch_url}/logs-") and "/_search?q=" in logs
        assert "/app/discover" not in json.dumps(message)
        # and the node answers the link (a query it cannot parse would be a 400)
        response = requests.get(logs, timeout=30)
        assert response.status_code == 200, (logs, response.text[:500])
        assert "hits" in response.json()


def test_the_step_refuses_to_run_without_a_node_for_its_links(moto_url, aws_env, tmp_path, terraform_alarms):
    with pytest.raises(DemoCheckFailed, match="OpenSearch node"):
        _run_and_check(moto_url, tmp_path, datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-none", None)


def test_the_step_refuses_to_run_when_terraform_created_no_alarms(
    moto_url, aws_env, tmp_path, opensearch_url
):
    # Given a deployment prefix with no alarms in CloudWatch (infra/live not applied)
    with pytest.raises(
        DemoCheckFailed, match=r"no alarms in CloudWatch named demo-unapplied-\*: was infra/live"
    ):
        _run_and_check(
            moto_url, tmp_path, datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-unapplied", opensearch_url
        )


def test_a_drift_in_the_created_alarm_changes_what_the_demo_fires(
    moto_url, aws_env, tmp_path, opensearch_url, terraform_alarms
):
    # Given the 5xx-rate alarm as Terraform created it, then changed in CloudWatch: threshold 100 %
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto_url, region_name=tf.EMULATOR_REGION)
    name = f"demo-drift-{step.INTENDED_ALARM}"
    (created,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=created["AlarmDescription"],
        Metrics=created["Metrics"],
        EvaluationPeriods=created["EvaluationPeriods"],
        DatapointsToAlarm=created["DatapointsToAlarm"],
        Threshold=100.0,
        ComparisonOperator=created["ComparisonOperator"],
        TreatMissingData=created["TreatMissingData"],
    )

    # Then the staged incident (100 % of requests answered 5xx is not above 100 %) no longer fires it:
    # the step evaluates what CloudWatch holds, not the catalog
    with pytest.raises(DemoCheckFailed, match=f"did not fire {step.INTENDED_ALARM}"):
        _run_and_check(
            moto_url, tmp_path, datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-drift", opensearch_url
        )


def _run_and_check(
    moto_url: str, tmp_path: Any, start: datetime, prefix: str, opensearch_url: str | None
) -> dict[str, Any]:
    names = _names(prefix)
    clock = SimClock(start)
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto_url, region_name=names.region)
    sns = boto3.client("sns", endpoint_url=moto_url, region_name=names.region)
    sns.create_topic(Name=names.alarm_topic_name)
    sns.create_topic(Name=names.chat_topic_name)
    fault: dict[str, str | None] = {"s3": None}
    sent: list[int] = []

    def send(method: str, path: str):
        status = 500 if fault["s3"] == "error" else 200
        now = clock.now()
        api: list[Any] = [
            {"Name": M.APIGW_DIM_API_ID, "Value": names.api_id},
            {"Name": M.APIGW_DIM_STAGE, "Value": names.stage},
        ]
        cloudwatch.put_metric_data(
            Namespace=M.APIGW_NAMESPACE,
            MetricData=[
                {"MetricName": M.APIGW_COUNT, "Dimensions": api, "Value": 1, "Timestamp": now},
                {"MetricName": M.APIGW_5XX, "Dimensions": api, "Value": int(status >= 500), "Timestamp": now},
                {"MetricName": M.APIGW_LATENCY, "Dimensions": api, "Value": 35, "Timestamp": now},
            ],
        )
        fn: list[Any] = [{"Name": M.LAMBDA_DIM_FUNCTION, "Value": names.function_name}]
        cloudwatch.put_metric_data(
            Namespace=M.LAMBDA_NAMESPACE,
            MetricData=[
                {"MetricName": M.LAMBDA_INVOCATIONS, "Dimensions": fn, "Value": 1, "Timestamp": now},
                {"MetricName": M.LAMBDA_ERRORS, "Dimensions": fn, "Value": 0, "Timestamp": now},
            ],
        )
        sent.append(status)
        return status, {}, f"req-{len(sent)}"

    said: list[str] = []
    ctx = DemoContext(
        aws_endpoint=moto_url, api_url="http://127.0.0.1:9", access_key="testing", secret_key="testing",
        names=names, out_dir=tmp_path, started_at=clock.now(), say=said.append, send=send,
        set_s3_fault=lambda f: fault.__setitem__("s3", f), clock=clock, opensearch_url=opensearch_url,
    )  # fmt: skip

    step.run(ctx)

    assert fault["s3"] is None  # the fault is cleared
    assert sent.count(500) == 6 * step.REQUESTS_PER_MINUTE
    fired = ctx.summary["alarms_fired"]
    assert "api-5xx-rate" in fired and "api-incident" in fired
    assert "pipeline-incident" not in fired
    # every ALARM and the recovery to OK were delivered, each as a valid custom notification
    assert ctx.summary["notifications_delivered"] >= 2 * len(fired)
    chat_lines = [line for line in said if line.startswith(f"[chat #{prefix}-api-5xx-rate]")]
    assert any("is ALARM" in line for line in chat_lines) and any("is OK" in line for line in chat_lines)
    assert any(line.startswith("alerts: fired") for line in said)
    delivered = json.loads((tmp_path / "alerts-notifications.json").read_text())
    assert len(delivered) == ctx.summary["notifications_delivered"]
    # what was delivered is the notifier's output: its titles, no info alarm, no initial OK
    assert ctx.summary["notifications"] == [m["content"]["title"] for m in delivered]
    threads = {m["metadata"]["threadId"].removeprefix(f"{prefix}-") for m in delivered}
    assert not {name for name in threads if catalog.get_alarm(name).severity == "info"}
    assert all(m["metadata"]["additionalContext"]["previousState"] != "INSUFFICIENT_DATA"
               or m["metadata"]["additionalContext"]["state"] != "OK" for m in delivered)  # fmt: skip
    return ctx.summary


def test_two_runs_at_different_wall_clock_times_tell_the_same_story(
    moto_url, aws_env, tmp_path, opensearch_url, terraform_alarms
):
    # Given the demo step started at two unrelated times of day (the simulated clock starts at "now")
    first = _run_and_check(
        moto_url, tmp_path / "a", datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC), "demo-a", opensearch_url
    )
    second = _run_and_check(
        moto_url, tmp_path / "b", datetime(2026, 3, 9, 17, 41, 53, tzinfo=UTC), "demo-b", opensearch_url
    )
    # Then the same alarms fire and the same messages are sent (up to the deployment prefix)
    assert first["alarms_fired"] == second["alarms_fired"]
    assert [t.replace("demo-a", "P") for t in first["notifications"]] == [
        t.replace("demo-b", "P") for t in second["notifications"]
    ]
