"""Contract tests: the dashboards only read what exists.

- every CloudWatch metric and dimension set a panel, annotation or variable uses is one AWS publishes
  for these services, or one our code emits: the EMF is taken from what the real handlers print
  (the function against moto's S3 and against an S3 that throttles; the shipper against a local
  ``_bulk`` endpoint), not from a list typed into this test;
- every OpenSearch field a panel uses is mapped by the shipper's index templates, with a type that
  suits how the panel uses it (numbers for max/percentiles, no ``text`` for terms);
- every alarm of the catalog appears on some dashboard, with its threshold drawn in the alarm's unit.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from dashboards import inventory, panels, render
from signals import config as env
from signals import metrics as M

EVENTS = Path(__file__).resolve().parents[2] / "events"
REGION: Final = "eu-west-1"
BUCKET = "dashboards-contract-bucket"

# Dimension sets AWS publishes, per namespace (AWS docs: "Lambda function metrics / dimensions",
# "CloudWatch metrics for HTTP APIs", "Monitoring with CloudWatch metrics" for CloudWatch Logs).
PUBLISHED_DIMENSION_SETS: dict[str, tuple[frozenset[str], ...]] = {
    M.LAMBDA_NAMESPACE: (
        frozenset(),
        frozenset({M.LAMBDA_DIM_FUNCTION}),
        frozenset({M.LAMBDA_DIM_FUNCTION, "Resource"}),
        frozenset({M.LAMBDA_DIM_FUNCTION, "ExecutedVersion"}),
    ),
    M.APIGW_NAMESPACE: (
        frozenset({M.APIGW_DIM_API_ID}),
        frozenset({M.APIGW_DIM_API_ID, M.APIGW_DIM_STAGE}),
        frozenset({M.APIGW_DIM_API_ID, M.APIGW_DIM_METHOD, M.APIGW_DIM_RESOURCE, M.APIGW_DIM_STAGE}),
    ),
    M.LOGS_NAMESPACE: (frozenset({M.LOGS_DIM_LOG_GROUP, M.LOGS_DIM_DESTINATION, M.LOGS_DIM_FILTER}),),
}


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = "5a4e0bd8-7c0e-4c1e-9a53-3b5f1c2d9e11"
    memory_limit_in_mb: int = 256

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def emf_metrics(stdout: str) -> set[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimension set) of every EMF record printed on stdout."""
    found: set[tuple[str, str, frozenset[str]]] = set()
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], frozenset(dimension_set)))
    return found


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


@pytest.fixture(scope="module")
def emitted(httpserver_module: Any) -> set[tuple[str, str, frozenset[str]]]:
    """The EMF metrics the two handlers really print, over the paths that emit each metric."""
    import boto3
    from moto import mock_aws

    monkeypatch = pytest.MonkeyPatch()
    found: set[tuple[str, str, frozenset[str]]] = set()
    import io
    import sys

    buffer = io.StringIO()
    real_stdout = sys.stdout
    try:
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "_X_AMZN_TRACE_ID"):
            monkeypatch.delenv(name, raising=False)
        for key, value in {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_LAMBDA_FUNCTION_NAME": "obs-platform-objects-api",
            env.ENV_BUCKET_NAME: BUCKET,
            env.ENV_TOKEN_SECRET: "contract-test-secret-0123456789abcdef",
            env.ENV_S3_MAX_ATTEMPTS: "1",
            env.ENV_ALLOWED_CALLERS: "arn:aws:iam::123456789012:user/sre-alice",  # the event's caller
        }.items():
            monkeypatch.setenv(key, value)
        sys.stdout = buffer
        from function import app

        list_event = _event("apigw_list_objects.json")
        bad_event = copy.deepcopy(list_event)
        bad_event["rawQueryString"] = "limit=abc"
        bad_event["queryStringParameters"] = {"limit": "abc"}
        stranger_event = copy.deepcopy(list_event)
        stranger_event["requestContext"]["authorizer"]["iam"]["userArn"] = "arn:aws:iam::123456789012:user/x"
        context = LambdaContext("obs-platform-objects-api")
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_object(Bucket=BUCKET, Key="a.txt", Body=b"a")
            app.reset_runtime()
            # A fresh execution environment, whatever ran before in this session: Powertools emits
            # ColdStart only on the first invocation.
            from aws_lambda_powertools.metrics.provider.cold_start import reset_cold_start_flag

            reset_cold_start_flag()
            assert app.handler(list_event, context)["statusCode"] == 200  # cold start + listing
            assert app.handler(bad_event, context)["statusCode"] == 400
            assert app.handler(stranger_event, context)["statusCode"] == 403
            s3.delete_object(Bucket=BUCKET, Key="a.txt")
            s3.delete_bucket(Bucket=BUCKET)
            assert app.handler(list_event, context)["statusCode"] == 500
        # An S3 that throttles every request: the function answers 503 and counts it.
        httpserver_module.expect_request("/" + BUCKET).respond_with_data(
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
            status=503,
            content_type="application/xml",
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", httpserver_module.url_for("/"))
        app.reset_runtime()
        assert app.handler(list_event, context)["statusCode"] == 503
        app.reset_runtime()
        monkeypatch.delenv("AWS_ENDPOINT_URL_S3")

        # The shipper, against a _bulk endpoint that indexes everything.
        def bulk(request: Any) -> Any:
            from werkzeug import Response

            lines = [line for line in request.get_data().splitlines() if line.strip()]
            items = [{"index": {"status": 201, "result": "created"}} for _ in lines[::2]]
            return Response(json.dumps({"took": 1, "errors": False, "items": items}), 200,
                            content_type="application/json")  # fmt: skip

        httpserver_module.expect_request("/_bulk", method="POST").respond_with_handler(bulk)
        monkeypatch.setenv(env.ENV_OPENSEARCH_ENDPOINT, httpserver_module.url_for("/").rstrip("/"))
        monkeypatch.setenv(env.ENV_OPENSEARCH_AUTH, "none")
        from log_pipeline import handler as shipper

        shipper.shipper.cache_clear()
        result = shipper.handler(
            _event("cloudwatch_subscription_event.json"), LambdaContext("obs-platform-log-shipper")
        )
        assert result is not None
    finally:
        sys.stdout = real_stdout
        monkeypatch.undo()
        httpserver_module.clear()
    found = emf_metrics(buffer.getvalue())
    assert found, "the handlers printed no EMF at all"
    return found


@pytest.fixture(scope="module")
def httpserver_module() -> Iterator[Any]:
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return render.models()


def test_every_metric_is_published_by_aws_or_emitted_by_our_code(
    models: dict[str, dict[str, Any]], emitted: set[tuple[str, str, frozenset[str]]]
) -> None:
    from alerts.catalog import LOG_METRIC_FILTERS

    filter_metrics = {(f.namespace, f.metric_name) for f in LOG_METRIC_FILTERS}
    problems = []
    checked = 0
    for model in models.values():
        for use in inventory.metric_uses(model):
            checked += 1
            key = (use.namespace, use.metric)
            if use.namespace in M.AWS_PUBLISHED:
                sets = PUBLISHED_DIMENSION_SETS[use.namespace]
                dims_ok = any(use.dimensions <= s if use.partial else use.dimensions == s for s in sets)
                if use.metric not in M.AWS_PUBLISHED[use.namespace] or not dims_ok:
                    problems.append(f"{use.where}: {key} {sorted(use.dimensions)} is not published by AWS")
            elif use.namespace == M.NAMESPACE:
                ours = [dims for ns, name, dims in emitted if (ns, name) == key]
                dims_ok = any(use.dimensions <= d if use.partial else use.dimensions == d for d in ours)
                if not dims_ok:
                    problems.append(
                        f"{use.where}: {key} {sorted(use.dimensions)} not in the EMF printed ({ours})"
                    )
            elif key in filter_metrics:
                if use.dimensions:
                    problems.append(f"{use.where}: metric filter metric {key} has no dimensions")
            else:
                problems.append(f"{use.where}: {key} comes from nowhere")
    assert checked > 50
    assert problems == []


def test_the_emf_the_handlers_print_covers_every_custom_metric_we_declare(
    emitted: set[tuple[str, str, frozenset[str]]],
) -> None:
    printed = {name for ns, name, _dims in emitted if ns == M.NAMESPACE}
    assert set(M.FUNCTION_METRICS) | set(M.SHIPPER_METRICS) <= printed


def _mapped_fields() -> dict[str, dict[str, Any]]:
    from log_pipeline.templates import index_templates

    fields: dict[str, dict[str, Any]] = {}

    def walk(properties: dict[str, Any], prefix: str) -> None:
        for name, mapping in properties.items():
            if "properties" in mapping:
                walk(mapping["properties"], f"{prefix}{name}.")
            else:
                fields[f"{prefix}{name}"] = mapping

    for template in index_templates().values():
        walk(template["template"]["mappings"]["properties"], "")
    return fields


def test_every_opensearch_field_is_mapped_by_the_index_templates(models: dict[str, dict[str, Any]]) -> None:
    mapped = _mapped_fields()
    used = inventory.opensearch_fields(models[panels.LOGS_UID])
    assert len(used) >= 10
    assert sorted(set(used) - set(mapped)) == []


def test_committed_index_templates_match_the_ones_the_dashboards_are_checked_against() -> None:
    from log_pipeline.templates import render_files as template_files

    root = Path(__file__).resolve().parents[3]
    for rel, content in template_files().items():
        committed = root / rel
        if committed.exists():
            assert committed.read_text() == content, f"{rel} is stale: run make render"


def test_aggregations_use_fields_of_a_suitable_type(models: dict[str, dict[str, Any]]) -> None:
    mapped = _mapped_fields()
    numeric = {"long", "integer", "double", "float", "short"}
    for panel, target in inventory.targets(models[panels.LOGS_UID]):
        for agg in target.get("metrics", []):
            if agg["type"] in {"max", "min", "avg", "sum", "percentiles"}:
                assert mapped[agg["field"]]["type"] in numeric, f"{panel['title']}: {agg['field']}"
        for agg in target.get("bucketAggs", []):
            if agg["type"] == "terms":
                assert mapped[agg["field"]]["type"] != "text", (
                    f"{panel['title']}: terms on text {agg['field']}"
                )
            if agg["type"] == "date_histogram":
                assert mapped[agg["field"]]["type"] == "date"


def _panels_naming(models: dict[str, dict[str, Any]], alarm_name: str) -> list[dict[str, Any]]:
    needle = f"`{panels.ALARM_NAME_PREFIX}-{alarm_name}`"
    return [
        panel
        for model in models.values()
        for panel in inventory.panels(model)
        if needle in (panel.get("description") or "") or needle in panel.get("options", {}).get("content", "")
    ]


def test_every_alarm_of_the_catalog_appears_on_a_dashboard(models: dict[str, dict[str, Any]]) -> None:
    from alerts.catalog import all_alarm_names

    names = all_alarm_names()
    assert len(names) > 20
    missing = [name for name in names if not _panels_naming(models, name)]
    assert missing == []


def test_alarm_thresholds_are_drawn_in_the_alarms_unit(models: dict[str, dict[str, Any]]) -> None:
    from alerts.catalog import ALARMS, METRIC_MATH_ALARMS, SLO_ALARMS

    slo_names = {a.name for a in SLO_ALARMS}
    for alarm in (*ALARMS, *METRIC_MATH_ALARMS, *SLO_ALARMS):
        drawn = [p for p in _panels_naming(models, alarm.name) if p["type"] == "timeseries"]
        assert drawn, alarm.name
        for panel in drawn:
            defaults = panel["fieldConfig"]["defaults"]
            steps = [s["value"] for s in defaults["thresholds"]["steps"] if s["value"] is not None]
            assert defaults["custom"]["thresholdsStyle"]["mode"] == "line+area", alarm.name
            if alarm.name in slo_names:
                # burn-rate panels: the window alarm fires above its tier's burn rate
                tier = alarm.name.removeprefix(alarm.name.split("-")[0] + "-").split("-")[1]
                from alerts.slo import TIERS

                assert [t.burn_rate for t in TIERS if t.name == tier] == steps, alarm.name
            else:
                assert alarm.threshold in steps, alarm.name
                assert defaults["unit"] == panels.unit_of(alarm), alarm.name


def test_alarm_state_annotations_name_real_alarms(models: dict[str, dict[str, Any]]) -> None:
    from alerts.catalog import ALARMS

    by_name = {f"{panels.ALARM_NAME_PREFIX}-{a.name}": a for a in ALARMS}
    annotations = [
        a
        for m in models.values()
        for a in m["annotations"]["list"]
        if a.get("target", {}).get("prefixMatching")
    ]
    assert len(annotations) >= 10
    for annotation in annotations:
        target = annotation["target"]
        alarm = by_name[target["alarmNamePrefix"]]
        # Grafana keeps an alarm only when namespace, metric, statistic and period all match.
        assert (target["namespace"], target["metricName"], target["statistic"], target["period"]) == (
            alarm.namespace,
            alarm.metric_name,
            alarm.statistic,
            str(alarm.period),
        )
        assert set(target["dimensions"]) == {name for name, _ in alarm.dimensions}
