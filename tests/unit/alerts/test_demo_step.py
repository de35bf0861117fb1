"""The alerts demo step against a moto server, with a fake ``send`` that publishes what the local
stack would publish per request (AWS/ApiGateway and AWS/Lambda datapoints at the simulated time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from local_platform.demo import alerts as step
from local_platform.demo.context import DemoContext, SimClock
from local_platform.names import LocalNames
from signals import metrics as M


def test_demo_step_fires_the_5xx_alarm_and_delivers_notifications(moto_url, aws_env, tmp_path):
    names = LocalNames(prefix="demo-alerts")
    clock = SimClock(datetime(2026, 1, 1, 10, 0, 7, tzinfo=UTC))
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto_url, region_name=names.region)
    boto3.client("sns", endpoint_url=moto_url, region_name=names.region).create_topic(
        Name=names.alarm_topic_name
    )
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
        set_s3_fault=lambda f: fault.__setitem__("s3", f), clock=clock,
    )  # fmt: skip

    step.run(ctx)

    assert fault["s3"] is None  # the fault is cleared
    assert sent.count(500) == 6 * step.REQUESTS_PER_MINUTE
    fired = ctx.summary["alarms_fired"]
    assert "api-5xx-rate" in fired and "api-incident" in fired
    assert "pipeline-incident" not in fired
    # every ALARM and the recovery to OK were delivered, each as a valid custom notification
    assert ctx.summary["notifications_delivered"] >= 2 * len(fired)
    chat_lines = [line for line in said if line.startswith("[chat #demo-alerts-api-5xx-rate]")]
    assert any("is ALARM" in line for line in chat_lines) and any("is OK" in line for line in chat_lines)
    assert any(line.startswith("alerts: fired") for line in said)
    delivered = json.loads((tmp_path / "alerts-notifications.json").read_text())
    assert len(delivered) == ctx.summary["notifications_delivered"]
