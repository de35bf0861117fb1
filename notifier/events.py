"""Build the EventBridge "CloudWatch Alarm State Change" event CloudWatch sends for one transition.

The notifier parses these (``notifier.message``); callers that need a message without a real alarm
(``obsctl alerts notification``, the local demo's emulated alarms) build the event here and run it
through the notifier, so there is one formatter. Shape of AWS's documented samples
(tests/events/eventbridge_*.json).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

DETAIL_TYPE: Final = "CloudWatch Alarm State Change"


def alarm_state_change(
    alarm_name: str,
    *,
    new_state: str,
    old_state: str,
    reason: str,
    at: datetime,
    region: str,
    account_id: str,
    actions_suppressed_by: str | None = None,
) -> dict[str, Any]:
    """The event for ``alarm_name`` (the deployed, prefixed name) changing state at ``at``."""
    moment = at.astimezone(UTC)
    timestamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    state: dict[str, Any] = {"value": new_state, "reason": reason, "timestamp": timestamp}
    if actions_suppressed_by:
        state |= {
            "actionsSuppressedBy": actions_suppressed_by,
            "actionsSuppressedReason": f"Actions suppressed by {actions_suppressed_by}",
        }
    return {
        "version": "0",
        "id": f"{alarm_name}-{int(moment.timestamp())}-{new_state}",
        "detail-type": DETAIL_TYPE,
        "source": "aws.cloudwatch",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm_name}"],
        "detail": {
            "alarmName": alarm_name,
            "state": state,
            "previousState": {"value": old_state, "reason": "", "timestamp": timestamp},
        },
    }
