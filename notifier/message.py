"""Turn one EventBridge "CloudWatch Alarm State Change" event into a Chatbot custom notification.

Plain functions, no AWS calls. The event shape is the one AWS documents for alarm state changes
(tests/events/eventbridge_alarm_state_change*.json): ``detail.alarmName``, ``detail.state`` and
``detail.previousState`` (``value``, ``reason``, ``timestamp``), ``resources`` = the alarm ARN;
a composite alarm whose actions are suppressed carries ``actionsSuppressedBy`` in its state.

What does not post (returns ``None`` with the reason):
- an alarm that is not this deployment's (another prefix) or not in the routing table;
- an ``info`` alarm (SLO window alarms: parts of composites, which post instead);
- the first INSUFFICIENT_DATA -> OK of an alarm (every alarm does it after a deploy);
- a composite whose actions its actions suppressor mutes (CloudWatch would not act either).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Final
from urllib.parse import urlencode

from notifier.config import Config
from notifier.events import DETAIL_TYPE
from signals.logs import TIMESTAMP

VERSION: Final = "1.0"
SOURCE: Final = "custom"
TEXT_TYPE: Final = "client-markdown"
EVENT_TYPE: Final = "CloudWatchAlarmStateChange"
_EMOJI: Final = {
    "ALARM": ":rotating_light:",
    "OK": ":white_check_mark:",
    "INSUFFICIENT_DATA": ":grey_question:",
}
_PLACEHOLDER = re.compile(r"\$\{(OBS_[A-Z_]+)\}")
DASHBOARDS_PLACEHOLDER: Final = "${OBS_OPENSEARCH_DASHBOARDS_URL}"
"""Marks the routing table's logs step, replaced by a search-API link when the notifier has one."""
LOGS_BEFORE: Final = timedelta(hours=1)
LOGS_AFTER: Final = timedelta(minutes=10)
"""The search-API logs link covers the hour before the state change and 10 minutes after it."""
SEARCH_SIZE: Final = 50


class EventError(ValueError):
    """The event is not a CloudWatch alarm state change; the message says which field is wrong."""


@dataclass(frozen=True)
class Skipped:
    alarm: str
    reason: str


def load_routing() -> dict[str, Any]:
    """The routing table rendered by ``obsctl alerts render`` (notifier/routing.json)."""
    text = resources.files("notifier").joinpath("routing.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)["alarms"]
    return table


def _text(mapping: Any, key: str, where: str) -> str:
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, str) or not value:
        raise EventError(f"{where}.{key} must be a non-empty string")
    return value


def _bind(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _at(timestamp: str) -> datetime:
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00").replace("+0000", "+00:00")).astimezone(
            UTC
        )
    except ValueError:
        raise EventError(f"detail.state.timestamp {timestamp!r} is not an ISO 8601 time") from None


def search_link(base_url: str, index: str, query: str, at: datetime) -> str:
    """The node's URI search for ``query`` (Lucene syntax) on ``index`` around ``at``, newest first:
    what a link to logs can be where no OpenSearch Dashboards runs."""
    start, end = ((at + delta).strftime("%Y-%m-%dT%H:%M:%SZ") for delta in (-LOGS_BEFORE, LOGS_AFTER))
    params = {
        "q": f"({query}) AND {TIMESTAMP}:[{start} TO {end}]",
        "sort": f"{TIMESTAMP}:desc",
        "size": SEARCH_SIZE,
    }
    return f"{base_url.rstrip('/')}/{index}/_search?{urlencode(params)}"


def _next_steps(route: dict[str, Any], values: dict[str, str], config: Config, at: datetime) -> list[str]:
    steps = []
    for step in route["next_steps"]:
        if DASHBOARDS_PLACEHOLDER in step and config.opensearch_search_url:
            label = step.split(": ", 1)[0]
            logs = route["opensearch"]
            link = search_link(config.opensearch_search_url, logs["index"], logs["query"], at)
            steps.append(f"{label}: {link}")
        else:
            steps.append(_bind(step, values))
    return steps


def notification(event: Any, routing: dict[str, Any], config: Config) -> dict[str, Any] | Skipped:
    """The custom notification for ``event``, or why it does not post."""
    if not isinstance(event, dict) or event.get("detail-type") != DETAIL_TYPE:
        raise EventError(f'detail-type must be "{DETAIL_TYPE}"')
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise EventError("detail must be an object")
    name = _text(detail, "alarmName", "detail")
    state, previous = detail.get("state"), detail.get("previousState") or {}
    if not isinstance(state, dict):
        raise EventError("detail.state must be an object")
    new_state = _text(state, "value", "detail.state")
    old_state = (
        previous.get("value", "INSUFFICIENT_DATA") if isinstance(previous, dict) else "INSUFFICIENT_DATA"
    )
    prefix = f"{config.name_prefix}-"
    catalog_name = name.removeprefix(prefix)
    route = routing.get(catalog_name) if name.startswith(prefix) else None
    if route is None:
        return Skipped(name, "not an alarm of this deployment's catalog")
    if not route["posts"]:
        return Skipped(name, f"severity {route['severity']}: part of a composite, does not post")
    if old_state == "INSUFFICIENT_DATA" and new_state == "OK":
        return Skipped(name, "first evaluation after a deploy (INSUFFICIENT_DATA -> OK)")
    if state.get("actionsSuppressedBy"):
        return Skipped(name, f"actions suppressed ({state['actionsSuppressedBy']})")
    at = _at(_text(state, "timestamp", "detail.state"))
    region = _text(event, "region", "event")
    values = {
        "OBS_REGION": region,
        "OBS_NAME_PREFIX": config.name_prefix,
        "OBS_RUNBOOK_BASE_URL": config.runbook_base_url,
        "OBS_OPENSEARCH_DASHBOARDS_URL": config.opensearch_dashboards_url or "",
    }
    severity = route["severity"]
    when = at.strftime("%Y-%m-%d %H:%M:%S UTC")
    reason = str(state.get("reason") or "")
    resources_ = [r for r in event.get("resources", []) if isinstance(r, str)]
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": f"{name}-{int(at.timestamp())}-{new_state}",
        "content": {
            "textType": TEXT_TYPE,
            "title": f"{_EMOJI.get(new_state, '')} [{severity}] {name} is {new_state}".strip(),
            "description": "\n".join(
                [
                    route["description"],
                    route["condition"],
                    f"Changed from {old_state} to {new_state} at {when}.",
                    reason,
                ]
            ).strip(),
            "nextSteps": _next_steps(route, values, config, at),
            "keywords": [severity, new_state, config.name_prefix],
        },
        "metadata": {
            "threadId": name,
            "summary": f"{name} is {new_state} ({severity})",
            "eventType": EVENT_TYPE,
            "relatedResources": resources_,
            "additionalContext": {
                "alarm": name,
                "state": new_state,
                "previousState": old_state,
                "severity": severity,
                "account": str(event.get("account", "")),
            },
        },
    }
