"""The notifier on AWS's documented EventBridge alarm events (tests/events/eventbridge_*.json)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest

from alerts import catalog
from alerts.notify import validate_notification
from alerts.render import NOTIFIER_ROUTING, render_files
from notifier.config import Config, ConfigError
from notifier.handler import handle
from notifier.message import EventError, Skipped, load_routing, notification

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "tests" / "events"
SCHEMA = json.loads((ROOT / "alerts" / "chatbot-notification.schema.json").read_text())
CONFIG = Config(
    chat_topic_arn="arn:aws:sns:us-east-1:123456789012:obs-chat",
    name_prefix="prod-obs",
    runbook_base_url="https://runbooks.example",
    opensearch_dashboards_url="https://os.example",
)


def _event(name: str = "ServerCpuTooHigh", old: str = "OK", new: str = "ALARM") -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "eventbridge_alarm_state_change.json").read_text())
    event["detail"]["alarmName"] = name
    event["resources"] = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"]
    event["detail"]["previousState"]["value"] = old
    event["detail"]["state"]["value"] = new
    return event


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.published.append(kwargs)
        return {"MessageId": f"m-{len(self.published)}"}


def test_routing_table_is_the_rendered_one_and_covers_the_catalog():
    assert (ROOT / NOTIFIER_ROUTING).read_text() == render_files()[NOTIFIER_ROUTING]
    table = load_routing()
    assert set(table) == set(catalog.all_alarm_names())
    silent = {n for n, r in table.items() if not r["posts"]}
    assert silent == {a.name for a in catalog.ALL_METRIC_ALARMS if a.severity == "info"}
    assert {a.name for a in catalog.SLO_ALARMS} <= silent


def test_a_ticket_becomes_a_custom_notification_with_runbook_links_and_thread():
    sns = FakeSns()
    result = handle(_event("prod-obs-api-5xx-rate"), CONFIG, load_routing(), sns)
    assert result["published"] is True
    (call,) = sns.published
    assert call["TopicArn"] == CONFIG.chat_topic_arn
    message = json.loads(call["Message"])
    jsonschema.validate(message, SCHEMA)
    validate_notification(message)
    assert message["metadata"]["threadId"] == "prod-obs-api-5xx-rate"
    assert message["content"]["title"] == ":rotating_light: [ticket] prod-obs-api-5xx-rate is ALARM"
    runbook, console, logs = message["content"]["nextSteps"]
    assert runbook == "Runbook: https://runbooks.example/alerts/RUNBOOK.md#api-errors"
    assert console.endswith("region=us-east-1#alarmsV2:alarm/prod-obs-api-5xx-rate")
    assert logs.startswith("Matching logs in OpenSearch: https://os.example/app/discover#/?")
    assert "${" not in call["Message"]
    # the event's own reason (CloudWatch's words) is carried into the description
    assert "Threshold Crossed: 1 out of the last 1 datapoints" in message["content"]["description"]
    assert message["metadata"]["relatedResources"] == [
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:prod-obs-api-5xx-rate"
    ]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (_event(), "not an alarm of this deployment"),  # the documentation's sample as it is
        (_event("staging-obs-api-5xx-rate"), "not an alarm of this deployment"),
        (_event("prod-obs-api-availability-fast-long"), "severity info"),
        (_event("prod-obs-api-5xx-rate", old="INSUFFICIENT_DATA", new="OK"), "first evaluation"),
    ],
)
def test_what_does_not_post(event, reason):
    sns = FakeSns()
    result = handle(event, CONFIG, load_routing(), sns)
    assert result["published"] is False and reason in result["reason"]
    assert sns.published == []


def test_a_suppressed_composite_does_not_post():
    event = json.loads((EVENTS / "eventbridge_composite_alarm_suppressed.json").read_text())
    event["detail"]["alarmName"] = "prod-obs-pipeline-incident"
    verdict = notification(event, load_routing(), CONFIG)
    assert isinstance(verdict, Skipped) and "WaitPeriod" in verdict.reason
    del event["detail"]["state"]["actionsSuppressedBy"]
    message = notification(event, load_routing(), CONFIG)
    assert isinstance(message, dict)
    assert message["content"]["title"].endswith("[page] prod-obs-pipeline-incident is ALARM")
    assert "Rule: `ALARM(shipper-errors) OR" in message["content"]["description"]


def test_recovery_posts_in_the_same_thread():
    message = notification(_event("prod-obs-api-incident", old="ALARM", new="OK"), load_routing(), CONFIG)
    assert isinstance(message, dict)
    assert message["metadata"]["threadId"] == "prod-obs-api-incident"
    assert message["content"]["title"].startswith(":white_check_mark:")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}), "detail-type"),
        (lambda e: e.pop("detail"), "detail must be an object"),
        (lambda e: e["detail"].pop("alarmName"), "detail.alarmName"),
        (lambda e: e["detail"]["state"].update({"timestamp": "yesterday"}), "ISO 8601"),
    ],
)
def test_bad_events_fail_with_a_clear_error(mutate, message):
    event = copy.deepcopy(_event("prod-obs-api-5xx-rate"))
    mutate(event)
    with pytest.raises(EventError, match=message):
        notification(event, load_routing(), CONFIG)


def test_config_names_every_missing_setting():
    with pytest.raises(ConfigError, match="CHAT_TOPIC_ARN, NAME_PREFIX"):
        Config.from_env({"RUNBOOK_BASE_URL": "x", "OPENSEARCH_DASHBOARDS_URL": "y"})


def test_config_needs_somewhere_for_the_logs_links():
    settings = {"CHAT_TOPIC_ARN": "arn", "NAME_PREFIX": "p", "RUNBOOK_BASE_URL": "https://r.example"}
    with pytest.raises(ConfigError, match=r"OPENSEARCH_DASHBOARDS_URL.*OPENSEARCH_SEARCH_URL"):
        Config.from_env(settings)
    node = Config.from_env(settings | {"OPENSEARCH_SEARCH_URL": "http://127.0.0.1:9200"})
    assert node.opensearch_search_url == "http://127.0.0.1:9200" and node.opensearch_dashboards_url is None


def test_without_dashboards_the_logs_link_is_the_nodes_search_api_around_the_change():
    # Given a notifier for an environment with a plain OpenSearch node and no Dashboards
    config = Config(
        CONFIG.chat_topic_arn, "prod-obs", "https://runbooks.example", opensearch_search_url="http://n:9200/"
    )
    message = notification(_event("prod-obs-api-5xx-rate"), load_routing(), config)
    assert isinstance(message, dict)
    runbook, console, logs = message["content"]["nextSteps"]
    assert runbook == "Runbook: https://runbooks.example/alerts/RUNBOOK.md#api-errors"
    assert console.endswith("#alarmsV2:alarm/prod-obs-api-5xx-rate")
    # Then the logs step keeps its label and runs the alarm's Lucene query on the node's URI search,
    # from an hour before the state change (2019-10-02T17:04:40.989Z) to 10 minutes after
    label, url = logs.split(": ", 1)
    assert label == "Matching logs in OpenSearch"
    path, query = url.split("?", 1)
    assert path == "http://n:9200/logs-access-*/_search"
    assert parse_qs(query) == {
        "q": [
            "(http.response.status_code:>=500) AND @timestamp:[2019-10-02T16:04:40Z TO 2019-10-02T17:14:40Z]"
        ],
        "sort": ["@timestamp:desc"],
        "size": ["50"],
    }
    assert "${" not in json.dumps(message) and "/app/discover" not in json.dumps(message)
