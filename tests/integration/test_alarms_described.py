"""The catalog, rendered and created by the real Terraform, read back with DescribeAlarms, equals itself.

infra/modules/alerting/examples/complete is applied (Terraform 1.11, AWS provider 5.100.0 from the
mirror) into a fresh moto server; ``alerts.described`` turns what ``DescribeAlarms`` returns into the
engine's objects, and every one must equal the catalog's alarm with its ``Var`` placeholders bound to
the inputs Terraform passed the module: metric, dimensions, statistic, period, evaluation periods,
datapoints to alarm, comparison, threshold, missing data, window, math expression and inputs,
composite rules and suppressors, severity, description and runbook. A drift between what the catalog
renders and what Terraform creates fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
import requests

from alerts import catalog
from alerts.described import DescribedAlarms, describe_alarms, from_describe_alarms
from alerts.model import AnyMetricAlarm, Bindings, CompositeAlarm, MathAlarm, MetricRef, Var
from local_platform import terraform as tf
from tests.alerting_terraform import Applied, apply_example

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Created:
    applied: Applied
    response: dict[str, list[dict[str, Any]]]
    tags: dict[str, dict[str, str]]
    """Alarm ARN -> its tags (ListTagsForResource: DescribeAlarms carries none)."""

    @property
    def inputs(self) -> dict[str, str]:
        return self.applied.inputs["alerting"]

    @property
    def described(self) -> DescribedAlarms:
        return from_describe_alarms(self.response, self.inputs["name_prefix"])


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Created]:
    build = tmp_path_factory.mktemp("alerting")
    with tf.running_emulator() as emulator:
        # A fresh emulator: moto keeps its state per process, and other tests may have used it.
        requests.post(f"{emulator.endpoint}/moto-api/reset", timeout=10).raise_for_status()
        applied = apply_example(emulator.endpoint, build)
        cloudwatch = boto3.client(
            "cloudwatch",
            endpoint_url=emulator.endpoint,
            region_name=tf.EMULATOR_REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        response = describe_alarms(cloudwatch, applied.inputs["alerting"]["name_prefix"])
        tags = {
            alarm["AlarmArn"]: {
                tag["Key"]: tag["Value"]
                for tag in cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
            }
            for alarm in (*response["MetricAlarms"], *response["CompositeAlarms"])
        }
        yield Created(applied, response, tags)
    tf.BUILD_DIR.mkdir(parents=True, exist_ok=True)
    report = {"seconds": applied.seconds, "first_apply_error": applied.first_apply_error}
    (tf.BUILD_DIR / "alerting-apply-timings.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _bound_metric(metric: MetricRef, bindings: Bindings) -> MetricRef:
    return replace(metric, dimensions=tuple(sorted(metric.resolved_dimensions(bindings).items())))


def _bound(alarm: AnyMetricAlarm, bindings: Bindings, runbook_base_url: str) -> AnyMetricAlarm:
    """The catalog alarm as Terraform creates it for these inputs: literal dimensions (a set: sorted
    by name), inputs in id order (a set too), the runbook as the full URL the description carries."""
    runbook = f"{runbook_base_url}/{alarm.runbook}"
    if isinstance(alarm, MathAlarm):
        metrics = tuple(
            sorted(
                (replace(s, metric=_bound_metric(s.metric, bindings)) for s in alarm.metrics),
                key=lambda s: s.id,
            )
        )
        return replace(alarm, metrics=metrics, runbook=runbook)
    dimensions = _bound_metric(alarm.metric, bindings).dimensions
    return replace(alarm, dimensions=dimensions, runbook=runbook)


def test_every_metric_alarm_terraform_created_is_the_catalogs_bound_to_the_same_inputs(
    created: Created,
) -> None:
    inputs = created.inputs
    bindings = {var: inputs[var.value] for var in Var}
    expected = {a.name: _bound(a, bindings, inputs["runbook_base_url"]) for a in catalog.ALL_METRIC_ALARMS}

    described = {alarm.name: alarm for alarm in created.described.metric_alarms}

    assert described == expected


def test_every_composite_terraform_created_is_the_catalogs(created: Created) -> None:
    runbook_base_url = created.inputs["runbook_base_url"]
    expected = {c.name: replace(c, runbook=f"{runbook_base_url}/{c.runbook}") for c in catalog.COMPOSITES}

    described: dict[str, CompositeAlarm] = {c.name: c for c in created.described.composites}

    assert described == expected
    # the one suppressor of the catalog is there, with its periods
    assert described[catalog.PIPELINE_INCIDENT].actions_suppressor == catalog.API_INCIDENT


def test_the_severity_tag_terraform_wrote_agrees_with_the_description(created: Created) -> None:
    prefix = created.inputs["name_prefix"]
    described = created.described
    alarms = (*created.response["MetricAlarms"], *created.response["CompositeAlarms"])

    assert len(alarms) == len(described) == len(catalog.all_alarm_names())
    for alarm in alarms:
        name = alarm["AlarmName"].removeprefix(f"{prefix}-")
        assert created.tags[alarm["AlarmArn"]] == {"severity": described.severity(name)}, name


def test_the_example_applies_completely_and_quickly(created: Created) -> None:
    # every alarm, composite and log metric filter of the rendered file is in the state
    rendered = json.loads((tf.INFRA_DIR / "modules" / "alerting" / "catalog.tf.json").read_text())
    assert created.applied.resources == sum(len(kind) for kind in rendered["resource"].values())
    # measured on the 2-core machine: init 1 s, plan 5 s, apply 7 s
    assert sum(created.applied.seconds.values()) < 120, created.applied.seconds
