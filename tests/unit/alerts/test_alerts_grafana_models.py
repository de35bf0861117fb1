"""Every Grafana alert rule and dashboard against Grafana's own typed models (grafana-foundation-sdk)
and the CloudWatch plugin's query requirements; plus proof that the checks reject the shapes that
never evaluate."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alerts.grafana import PLACEHOLDERS, render_provisioning
from dashboards.publish import load_alerting
from dashboards.render import models
from tests.unit.alerts.grafana_models import dashboard_problems, rule_problems

ROOT = Path(__file__).resolve().parents[3]


def _api_rules() -> list[dict[str, Any]]:
    # What the publisher sends to POST /api/v1/provisioning/alert-rules (ProvisionedAlertRule).
    alerting = load_alerting(
        ROOT / "alerts/rendered/grafana-alert-rules.json", dict.fromkeys(PLACEHOLDERS, "x")
    )
    return [{**rule, "folderUID": "obs-folder"} for rule in alerting.rules]


def test_every_rule_conforms_to_grafanas_model_and_has_a_valid_query_shape():
    rules = _api_rules()
    assert len(rules) == len(render_provisioning()["groups"][0]["rules"]) > 20
    problems = [problem for rule in rules for problem in rule_problems(rule)]
    assert problems == []


@pytest.mark.parametrize("uid", sorted(models()))
def test_every_dashboard_conforms_to_grafanas_model(uid):
    assert dashboard_problems(models()[uid]) == []


def _rule(title: str) -> dict[str, Any]:
    return copy.deepcopy(next(r for r in _api_rules() if r["title"] == title))


def test_an_uppercase_cloudwatch_query_id_is_rejected():
    rule = _rule("shipper-errors")
    rule["data"][0]["model"]["id"] = "A"
    assert any("must start with a lowercase letter" in p for p in rule_problems(rule))


def test_a_cloudwatch_math_expression_across_queries_is_rejected():
    # The old shape: a CloudWatch expression naming the other queries' ids, sent on its own.
    rule = _rule("api-5xx-rate")
    rule["data"].append({**rule["data"][0], "refId": "result", "model": {
        **rule["data"][0]["model"], "refId": "result", "id": "result", "metricEditorMode": 1,
        "expression": "100 * FILL(errors, 0) / requests"}})  # fmt: skip
    assert any("CloudWatch math expression" in p for p in rule_problems(rule))


def test_unknown_fields_bad_literals_and_untyped_expressions_are_rejected():
    rule = _rule("shipper-errors")
    rule["noDataState"] = "Nothing"
    rule["data"][-1]["model"]["conditions"][0]["evaluator"]["type"] = "bigger"
    rule["data"][1]["model"]["span"] = 4
    rule["data"][1]["model"]["expression"] = "nope"
    problems = "\n".join(rule_problems(rule))
    assert "'Nothing' is not one of" in problems
    assert "'bigger' is not one of" in problems
    assert "span: not a field of Grafana's model" in problems
    assert "refers to unknown query 'nope'" in problems


def test_a_metrics_insights_query_without_statistic_is_rejected():
    model = copy.deepcopy(models()["obs-log-pipeline"])
    insights = [t for p in model["panels"] for t in p.get("targets", []) if t.get("metricQueryType") == 1]
    assert insights and all(t["statistic"] == "Sum" for t in insights)
    del insights[0]["statistic"]
    assert any("Metrics Insights query without statistic" in p for p in dashboard_problems(model))


def test_grafanalib_leftovers_are_gone_from_the_rendered_dashboards():
    for path in sorted((ROOT / "dashboards/rendered").glob("*.json")):
        text = json.loads(path.read_text())
        for panel in text["panels"]:
            assert not {"span", "minSpan", "height", "error"} & set(panel), (path.name, panel.get("title"))
