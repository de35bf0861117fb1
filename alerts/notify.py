"""Chatbot (Amazon Q Developer in chat applications) custom notifications for alarm state changes.

CloudWatch alarms reach Chatbot natively; everything else (Grafana alerts, the local demo) must be a
*custom notification* or Chatbot drops it as unsupported. The event schema (AWS Chatbot admin guide,
"Custom notifications"): ``version`` "1.0" and ``source`` "custom" are required, ``content`` carries
``textType`` ("client-markdown"), ``title``, ``description``, ``nextSteps`` and ``keywords``;
``metadata`` carries ``threadId`` (one thread per alarm), ``summary``, ``eventType``,
``relatedResources``, ``additionalContext`` (string values) and ``enableCustomActions`` (boolean).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote, urlencode

from alerts import catalog
from alerts.model import AnyMetricAlarm, CompositeAlarm, MathAlarm
from signals import logs as L
from signals import services as S

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
EVENT_TYPE = "CloudWatchAlarmStateChange"
_EMOJI = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:", "INSUFFICIENT_DATA": ":grey_question:"}
_PHRASE = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


class NotificationError(ValueError):
    """A message is not a Chatbot custom notification; the text says which field is wrong."""


@dataclass(frozen=True)
class LinkContext:
    """Where the links in a notification point."""

    region: str
    account_id: str
    name_prefix: str = S.PROJECT
    runbook_base_url: str = "https://github.com/example/obs-platform/blob/main"
    opensearch_dashboards_url: str = "http://127.0.0.1:5601"
    cloudwatch_console_url: str | None = None
    """Override for the console base (tests, local emulators)."""
    opensearch_search_url: str | None = None
    """A plain OpenSearch node with no Dashboards in front (the local demo): when set, the logs link
    is that node's own URI search (``_search?q=``) on the alarm's query, which answers there."""

    def alarm_name(self, name: str) -> str:
        return f"{self.name_prefix}-{name}"

    def alarm_arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch:{self.region}:{self.account_id}:alarm:{self.alarm_name(name)}"

    def alarm_link(self, name: str) -> str:
        # The prefix is [a-zA-Z0-9-] (the alerting module validates it) or, in the Grafana rules,
        # the ``${OBS_NAME_PREFIX}`` placeholder, so only the catalog name is quoted.
        base = self.cloudwatch_console_url or f"https://{self.region}.console.aws.amazon.com"
        return (
            f"{base}/cloudwatch/home?region={self.region}"
            f"#alarmsV2:alarm/{self.name_prefix}-{quote(name, safe='')}"
        )


# The deep links of every notification, in order: (key, label). The key is also the Grafana rule
# annotation that carries the link (alerts/grafana.py), so both sides build ``nextSteps`` alike.
DEEP_LINKS: Final = (
    ("runbook_url", "Runbook"),
    ("cloudwatch_url", "CloudWatch alarm"),
    ("opensearch_url", "Matching logs in OpenSearch"),
)


def thread_id(links: LinkContext, alarm_name: str) -> str:
    """One chat thread per alarm: its deployed (prefixed) name, for notify.py and Grafana alike."""
    return links.alarm_name(alarm_name)


def deep_links(
    links: LinkContext, alarm: AnyMetricAlarm | CompositeAlarm, at: datetime | None
) -> dict[str, str]:
    """Runbook, CloudWatch alarm and OpenSearch query for the failing requests, keyed as DEEP_LINKS.

    ``at`` centres the OpenSearch time range on the state change; ``None`` (Grafana rules, rendered
    ahead of time) uses the hour before the link is opened.
    """
    return {
        "runbook_url": f"{links.runbook_base_url}/{alarm.runbook}",
        "cloudwatch_url": links.alarm_link(alarm.name),
        "opensearch_url": opensearch_link(links, alarm.name, at),
    }


def next_steps(urls: dict[str, str]) -> list[str]:
    return [f"{label}: {urls[key]}" for key, label in DEEP_LINKS]


def opensearch_query(alarm_name: str) -> tuple[str, str]:
    """(index pattern, DQL query) that finds the log lines behind the alarm."""
    pipeline = {a for a in catalog.COMPOSITES if a.name == catalog.PIPELINE_INCIDENT}
    pipeline_children = {child for c in pipeline for child in c.children()} | {catalog.PIPELINE_INCIDENT}
    if alarm_name in pipeline_children or alarm_name.startswith("shipper-"):
        return L.ALL_INDICES_PATTERN, f'{L.SERVICE_NAME}:"{S.SHIPPER_SERVICE}" and {L.LOG_LEVEL}:ERROR'
    if "latency" in alarm_name or "duration" in alarm_name or "timeout" in alarm_name:
        return L.index_pattern(L.KIND_ACCESS), f"{L.HTTP_LATENCY_MS} >= 1000"
    if "throttl" in alarm_name:
        return L.index_pattern(L.KIND_ACCESS), f"{L.HTTP_STATUS} >= 429"
    return L.index_pattern(L.KIND_ACCESS), f"{L.HTTP_STATUS} >= 500"


def opensearch_link(links: LinkContext, alarm_name: str, at: datetime | None) -> str:
    """OpenSearch Dashboards' Discover on the alarm's query: from an hour before ``at`` to 10 min
    after, or the last hour when ``at`` is None."""
    index, query = opensearch_query(alarm_name)
    if at is None:
        start_iso, end_iso = "now-1h", "now"
    else:
        start_iso = datetime.fromtimestamp(at.timestamp() - 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        end_iso = datetime.fromtimestamp(at.timestamp() + 600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if links.opensearch_search_url:
        lucene = f"({_lucene(query)}) AND {L.TIMESTAMP}:[{start_iso} TO {end_iso}]"
        params = urlencode({"q": lucene, "sort": f"{L.TIMESTAMP}:desc", "size": 50})
        return f"{links.opensearch_search_url.rstrip('/')}/{index}/_search?{params}"
    state = (
        f"_g=(time:(from:'{start_iso}',to:'{end_iso}'))"
        f"&_a=(index:'{index}',query:(language:kuery,query:'{query}'))"
    )
    return f"{links.opensearch_dashboards_url}/app/discover#/?{quote(state, safe='=&:(),')}"


def _lucene(dql: str) -> str:
    """The DQL of :func:`opensearch_query` in Lucene query string syntax (``a >= 1`` -> ``a:>=1``)."""
    lucene = re.sub(r"(\S+) (>=|<=|>|<) (\S+)", r"\1:\2\3", dql)
    return re.sub(r" and ", " AND ", lucene)


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:.4g}"


def format_notification(
    alarm: AnyMetricAlarm | CompositeAlarm,
    *,
    new_state: str,
    old_state: str,
    reason: str,
    at: datetime,
    links: LinkContext,
    value: float | None = None,
) -> dict[str, Any]:
    """The custom notification for one state change of a catalog alarm."""
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(alarm, CompositeAlarm):
        measure = f"Rule: `{alarm.rule}`"
    else:
        what = alarm.label if isinstance(alarm, MathAlarm) else f"{alarm.metric_name} ({alarm.statistic})"
        measure = (
            f"Current value: *{_fmt(value)}* - threshold: {what} {_PHRASE[alarm.comparison]} "
            f"{alarm.threshold:g} for {alarm.datapoints_to_alarm} of {alarm.evaluation_periods} "
            f"periods of {alarm.period} s"
        )
    title = f"{_EMOJI.get(new_state, '')} [{alarm.severity}] {links.alarm_name(alarm.name)} is {new_state}"
    description = "\n".join(
        [f"{alarm.description}", measure, f"Changed from {old_state} to {new_state} at {when}.", reason]
    )
    return {
        "version": VERSION,
        "source": SOURCE,
        "id": f"{links.alarm_name(alarm.name)}-{int(at.timestamp())}-{new_state}",
        "content": {
            "textType": TEXT_TYPE,
            "title": title.strip(),
            "description": description,
            "nextSteps": next_steps(deep_links(links, alarm, at)),
            "keywords": [alarm.severity, new_state, links.name_prefix],
        },
        "metadata": {
            "threadId": thread_id(links, alarm.name),
            "summary": f"{links.alarm_name(alarm.name)} is {new_state} ({alarm.severity})",
            "eventType": EVENT_TYPE,
            "relatedResources": [links.alarm_arn(alarm.name)],
            "additionalContext": {
                "alarm": links.alarm_name(alarm.name),
                "state": new_state,
                "previousState": old_state,
                "severity": alarm.severity,
                "value": _fmt(value),
            },
        },
    }


def validate_notification(message: Any) -> dict[str, Any]:
    """Check a decoded message is a custom notification Chatbot accepts; return it.

    Dependency-free on purpose (the local chat receiver uses it); the unit tests validate the same
    messages against the JSON schema in ``alerts/chatbot-notification.schema.json`` as well.
    """
    if isinstance(message, str | bytes):
        try:
            message = json.loads(message)
        except ValueError as exc:
            raise NotificationError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise NotificationError("a notification is a JSON object")
    if message.get("version") != VERSION:
        raise NotificationError('"version" must be "1.0"')
    if message.get("source") != SOURCE:
        raise NotificationError('"source" must be "custom"')
    content = message.get("content")
    if not isinstance(content, dict):
        raise NotificationError('"content" must be an object')
    if not isinstance(content.get("description"), str) or not content["description"]:
        raise NotificationError('"content.description" is required')
    if "textType" in content and content["textType"] != TEXT_TYPE:
        raise NotificationError('"content.textType" must be "client-markdown"')
    for key in ("title",):
        if key in content and not isinstance(content[key], str):
            raise NotificationError(f'"content.{key}" must be a string')
    for key in ("nextSteps", "keywords"):
        if key in content and not _strings(content[key]):
            raise NotificationError(f'"content.{key}" must be a list of strings')
    metadata = message.get("metadata", {})
    if not isinstance(metadata, dict):
        raise NotificationError('"metadata" must be an object')
    for key in ("threadId", "summary", "eventType"):
        if key in metadata and not isinstance(metadata[key], str):
            raise NotificationError(f'"metadata.{key}" must be a string')
    if "enableCustomActions" in metadata and not isinstance(metadata["enableCustomActions"], bool):
        raise NotificationError('"metadata.enableCustomActions" must be true or false')
    if "relatedResources" in metadata and not _strings(metadata["relatedResources"]):
        raise NotificationError('"metadata.relatedResources" must be a list of strings')
    context = metadata.get("additionalContext", {})
    if not isinstance(context, dict) or not all(isinstance(v, str) for v in context.values()):
        raise NotificationError('"metadata.additionalContext" must map keys to strings')
    return message


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
