"""Lambda entry point: EventBridge alarm state change -> one custom notification on the chat topic.

Thin on purpose: configuration and routing table are read once at cold start, the message is
built by ``notifier.message``, and an SNS failure raises (EventBridge retries the invocation).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from notifier.config import Config
from notifier.message import Skipped, load_routing, notification

LOGGER = logging.getLogger("notifier")
LOGGER.setLevel(logging.INFO)
_CONFIG: Config | None = None
_ROUTING: dict[str, Any] | None = None
_SNS: Any = None


def handle(event: Any, config: Config, routing: dict[str, Any], sns: Any) -> dict[str, Any]:
    """Publish the event's notification (if it posts); return what was done, for logs and tests."""
    message = notification(event, routing, config)
    if isinstance(message, Skipped):
        LOGGER.info(json.dumps({"skipped": message.alarm, "reason": message.reason}))
        return {"published": False, "alarm": message.alarm, "reason": message.reason}
    response = sns.publish(
        TopicArn=config.chat_topic_arn,
        Message=json.dumps(message, sort_keys=True),
        Subject=message["metadata"]["summary"][:100],
    )
    LOGGER.info(json.dumps({"published": message["metadata"]["threadId"], "id": message["id"]}))
    return {"published": True, "alarm": message["metadata"]["threadId"], "message_id": response["MessageId"]}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _CONFIG, _ROUTING, _SNS  # cold-start state, read once
    if _CONFIG is None or _ROUTING is None or _SNS is None:
        import boto3

        _CONFIG = Config.from_env()
        _ROUTING = load_routing()
        _SNS = boto3.client("sns")
    return handle(event, _CONFIG, _ROUTING, _SNS)
