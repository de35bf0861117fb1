"""Chatbot custom notifications: the formatter's output and the validator against the schema."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from alerts import catalog
from alerts.notify import LinkContext, NotificationError, format_notification, validate_notification

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "alerts" / "chatbot-notification.schema.json").read_text())
EVENT = json.loads((ROOT / "tests" / "events" / "chatbot_custom_notification_alarm.json").read_text())
LINKS = LinkContext(region="eu-west-1", account_id="123456789012")
AT = datetime(2026, 1, 1, 2, 34, tzinfo=UTC)


def _notify(name: str, state: str = "ALARM", value: float | None = 40.0) -> dict[str, Any]:
    return format_notification(
        catalog.get_alarm(name), new_state=state, old_state="OK", reason="test reason", at=AT, links=LINKS,
        value=value,
    )  # fmt: skip


@pytest.mark.parametrize("name", catalog.all_alarm_names())
def test_every_catalog_alarm_formats_to_a_valid_custom_notification(name):
    message = _notify(name)
    jsonschema.validate(message, SCHEMA)
    assert validate_notification(json.dumps(message)) == message
    assert message["metadata"]["threadId"] == f"obs-platform-{name}"


def test_description_carries_value_threshold_and_next_steps_carry_links():
    message = _notify("api-5xx-rate")
    content = message["content"]
    assert "Current value: *40*" in content["description"]
    assert "> 5 for 3 of 5 periods of 60 s" in content["description"]
    runbook, alarm_link, logs_link = content["nextSteps"]
    assert runbook.endswith("/alerts/RUNBOOK.md#api-errors")
    assert "#alarmsV2:alarm/obs-platform-api-5xx-rate" in alarm_link
    assert "http.response.status_code" in logs_link and "logs-access-" in logs_link


def test_thread_id_is_stable_across_state_changes():
    firing, resolved = _notify("shipper-errors"), _notify("shipper-errors", "OK", None)
    assert firing["metadata"]["threadId"] == resolved["metadata"]["threadId"]
    assert firing["id"] != resolved["id"]
    assert "Current value: *no data*" in resolved["content"]["description"]


def test_recorded_event_matches_the_formatter_and_the_schema():
    jsonschema.validate(EVENT, SCHEMA)
    reason = EVENT["content"]["description"].splitlines()[-1]
    again = format_notification(
        catalog.get_alarm("api-5xx-rate"),
        new_state="ALARM",
        old_state="OK",
        reason=reason,
        at=AT,
        links=LINKS,
        value=40.0,
    )
    assert again == EVENT


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
