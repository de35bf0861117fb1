"""Chatbot (Amazon Q Developer in chat applications) custom notifications: the pieces the generators share.

CloudWatch alarms' chat messages are formatted by the notifier Lambda (``notifier.message``), the one
formatter, from the routing table ``alerts.routing`` renders with the links built here; the Grafana
contact-point template (``alerts.grafana``) carries the same links in its rules' annotations. The
event schema (AWS Chatbot admin guide, "Custom notifications"): ``version`` "1.0" and ``source``
"custom" are required, ``content`` carries ``textType`` ("client-markdown"), ``title``,
``description``, ``nextSteps`` and ``keywords``; ``metadata`` carries ``threadId`` (one thread per
alarm), ``summary``, ``eventType``, ``relatedResources``, ``additionalContext`` (string values) and
``enableCustomActions`` (boolean).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from alerts import catalog
from alerts.model import AnyMetricAlarm, CompositeAlarm
from signals import logs as fields
from signals import services as S

VERSION = "1.0"
SOURCE = "custom"
TEXT_TYPE = "client-markdown"
EVENT_TYPE = "CloudWatchAlarmStateChange"


class NotificationError(ValueError):
    """A message is not a Chatbot custom notification; the text says which field is wrong."""


@dataclass(frozen=True)
class LinkContext:
    """Where the links in a notification point (placeholders in the rendered files)."""

    region: str
    name_prefix: str = S.PROJECT
    runbook_base_url: str = "https://github.com/example/obs-platform/blob/main"
    opensearch_dashboards_url: str = "http://127.0.0.1:5601"

    def alarm_name(self, name: str) -> str:
        return f"{self.name_prefix}-{name}"

    def alarm_link(self, name: str) -> str:
        # The prefix is [a-zA-Z0-9-] (the alerting module validates it) or, in the Grafana rules,
        # the ``${OBS_NAME_PREFIX}`` placeholder, so only the catalog name is quoted.
        return (
            f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
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
    """One chat thread per alarm: its deployed (prefixed) name, for the notifier and Grafana alike."""
    return links.alarm_name(alarm_name)


def deep_links(links: LinkContext, alarm: AnyMetricAlarm | CompositeAlarm) -> dict[str, str]:
    """Runbook, CloudWatch alarm and OpenSearch query for the failing requests, keyed as DEEP_LINKS."""
    return {
        "runbook_url": f"{links.runbook_base_url}/{alarm.runbook}",
        "cloudwatch_url": links.alarm_link(alarm.name),
        "opensearch_url": opensearch_link(links, alarm.name),
    }


def next_steps(urls: dict[str, str]) -> list[str]:
    return [f"{label}: {urls[key]}" for key, label in DEEP_LINKS]


def opensearch_query(alarm_name: str) -> tuple[str, str]:
    """(index pattern, Lucene query string) that finds the log lines behind the alarm.

    Lucene, not DQL: the one query both OpenSearch Dashboards' Discover (``language:lucene``) and a
    node's own URI search (``_search?q=``, the notifier's link where no Dashboards runs) understand.
    """
    pipeline = {a for a in catalog.COMPOSITES if a.name == catalog.PIPELINE_INCIDENT}
    pipeline_children = {child for c in pipeline for child in c.children()} | {catalog.PIPELINE_INCIDENT}
    if alarm_name in pipeline_children or alarm_name.startswith("shipper-"):
        return (
            fields.ALL_INDICES_PATTERN,
            f'{fields.SERVICE_NAME}:"{S.SHIPPER_SERVICE}" AND {fields.LOG_LEVEL}:ERROR',
        )
    if "latency" in alarm_name or "duration" in alarm_name or "timeout" in alarm_name:
        return fields.index_pattern(fields.KIND_ACCESS), f"{fields.HTTP_LATENCY_MS}:>=1000"
    if "throttl" in alarm_name:
        return fields.index_pattern(fields.KIND_ACCESS), f"{fields.HTTP_STATUS}:>=429"
    return fields.index_pattern(fields.KIND_ACCESS), f"{fields.HTTP_STATUS}:>=500"


def opensearch_link(links: LinkContext, alarm_name: str) -> str:
    """OpenSearch Dashboards' Discover on the alarm's query over the hour before the link is opened
    (the links are rendered ahead of time; the notifier's search-API links carry the event's time)."""
    index, query = opensearch_query(alarm_name)
    state = f"_g=(time:(from:'now-1h',to:'now'))&_a=(index:'{index}',query:(language:lucene,query:'{query}'))"
    return f"{links.opensearch_dashboards_url}/app/discover#/?{quote(state, safe='=&:(),')}"


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
