"""Chatbot custom notifications for catalog alarms: the notifier's output (the one formatter) for
every catalog alarm, the recorded message, and the validator against the schema."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from alerts import catalog, notify
from alerts.notify import NotificationError, validate_notification
from notifier import message as notifier_message
from notifier.config import Config
from notifier.events import alarm_state_change
from notifier.message import Skipped, load_routing, notification

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "alerts" / "chatbot-notification.schema.json").read_text())
RECORDED = ROOT / "tests" / "events" / "chatbot_custom_notification_alarm.json"
EVENT = json.loads(RECORDED.read_text())
CONFIG = Config(
    chat_topic_arn="arn:aws:sns:eu-west-1:123456789012:obs-platform-chat",
    name_prefix="obs-platform",
    runbook_base_url="https://github.com/example/obs-platform/blob/main",
    opensearch_dashboards_url="http://127.0.0.1:5601",
)
AT = datetime(2026, 1, 1, 2, 34, tzinfo=UTC)
REASON = (
    "Threshold Crossed: at least 3 of the last 5 datapoints were greater than the threshold (5) "
    "[42.9 (2026-01-01T02:31:00Z), 20 (2026-01-01T02:32:00Z), 40 (2026-01-01T02:33:00Z)] "
    "(treat missing data: notBreaching)."
)


def _notify(name: str, state: str = "ALARM", old: str = "OK", config: Config = CONFIG) -> Any:
    event = alarm_state_change(
        f"{config.name_prefix}-{name}", new_state=state, old_state=old, reason=REASON, at=AT,
        region="eu-west-1", account_id="123456789012",
    )  # fmt: skip
    return notification(event, load_routing(), config)


@pytest.mark.parametrize("name", catalog.all_alarm_names())
def test_every_catalog_alarm_formats_to_a_valid_custom_notification_or_stays_silent(name):
    message = _notify(name)
    if catalog.get_alarm(name).severity == "info":
        assert isinstance(message, Skipped)  # parts of composites, which post instead
        return
    jsonschema.validate(message, SCHEMA)
    assert validate_notification(json.dumps(message)) == message
    assert message["metadata"]["threadId"] == f"obs-platform-{name}"
    assert "${" not in json.dumps(message)


def test_description_carries_condition_and_reason_and_next_steps_carry_links():
    message = _notify("api-5xx-rate")
    content = message["content"]
    assert "> 5 for 3 of 5 periods of 60 s" in content["description"]
    assert content["description"].endswith(REASON)
    runbook, alarm_link, logs_link = content["nextSteps"]
    assert runbook.endswith("/alerts/RUNBOOK.md#api-errors")
    assert "#alarmsV2:alarm/obs-platform-api-5xx-rate" in alarm_link
    assert "http.response.status_code:%3E=500" in logs_link and "logs-access-" in logs_link
    assert "language:lucene" in logs_link


def test_thread_id_is_stable_across_state_changes():
    firing, resolved = _notify("shipper-errors"), _notify("shipper-errors", "OK", "ALARM")
    assert firing["metadata"]["threadId"] == resolved["metadata"]["threadId"]
    assert firing["id"] != resolved["id"]


def test_recorded_message_is_the_notifiers_output_and_matches_the_schema():
    # The exact message shape: a change here is a change of what Slack and Teams receive
    jsonschema.validate(EVENT, SCHEMA)
    assert _notify("api-5xx-rate") == EVENT


def test_the_grafana_template_and_the_notifier_speak_the_same_envelope():
    # alerts/ may not import notifier/ (a generator never imports a deployable): same constants
    for name in ("VERSION", "SOURCE", "TEXT_TYPE", "EVENT_TYPE"):
        assert getattr(notify, name) == getattr(notifier_message, name)


def _broken(path: tuple[str, ...], value: object) -> dict[str, Any]:
    message: dict[str, Any] = copy.deepcopy(EVENT)
    target = message
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return message


@pytest.mark.parametrize(
    ("path", "value"),
    [(("version",), "2.0"), (("source",), "aws.cloudwatch"), (("content",), KeyError),
     (("content", "description"), KeyError), (("content", "textType"), "markdown"),
     (("content", "nextSteps"), "one string"), (("metadata", "threadId"), 7),
     (("metadata", "additionalContext"), {"n": 1})],
)  # fmt: skip
def test_shapes_chatbot_drops_are_rejected_by_both_checks(path, value):
    message = _broken(path, value)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, SCHEMA)
    with pytest.raises(NotificationError):
        validate_notification(message)


def test_non_json_is_rejected():
    with pytest.raises(NotificationError, match="not JSON"):
        validate_notification("{oops")


def test_schema_admits_every_documented_custom_notification_field():
    # Given a message using every field of the admin guide's event schema (custom notifications)
    message: dict[str, Any] = {
        "version": "1.0",
        "source": "custom",
        "id": "c-weihfjdsf",
        "content": {
            "textType": "client-markdown",
            "title": ":warning: Banana Order processing is down!",
            "description": "Banana Order processor application is no longer processing orders.",
            "nextSteps": ["Refer to <http://www.example.com|*diagnosis* runbook>"],
            "keywords": ["BananaOrderIntake", "Critical"],
        },
        "metadata": {
            "threadId": "BananaOrderProcessing-1",
            "summary": "Order Processing Update - Bananas are being processed",
            "eventType": "BananaOrderAppEvent",
            "relatedResources": ["i-xxxxxxxxxxxx"],
            "additionalContext": {"priority": "critical"},
            "enableCustomActions": True,
        },
    }
    # Then the schema and the local receiver's validator accept it, and the schema still refuses
    # a field the guide does not document
    jsonschema.validate(message, SCHEMA)
    validate_notification(message)
    with pytest.raises(NotificationError, match="enableCustomActions"):
        validate_notification({**message, "metadata": {**message["metadata"], "enableCustomActions": "yes"}})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**message, "metadata": {**message["metadata"], "buttons": []}}, SCHEMA)
