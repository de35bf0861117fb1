"""The local chat webhook behind a real SNS HTTP subscription (moto server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import requests

from local_platform.chat import ChatReceiver
from notifier.config import Config
from notifier.events import alarm_state_change
from notifier.message import load_routing, notification

ROOT = Path(__file__).resolve().parents[3]
ENVELOPE = json.loads((ROOT / "tests" / "events" / "chatbot_sns_http_notification.json").read_text())


@pytest.fixture
def receiver():
    printed: list[str] = []
    with ChatReceiver(say=printed.append) as chat:
        chat.printed = printed  # type: ignore[attr-defined]
        yield chat


def _post(chat: ChatReceiver, body: object) -> requests.Response:
    data = body if isinstance(body, str) else json.dumps(body)
    return requests.post(
        chat.url, data=data, headers={"Content-Type": "text/plain; charset=UTF-8"}, timeout=5
    )


def test_a_custom_notification_is_accepted_and_printed(receiver):
    response = _post(receiver, ENVELOPE)
    assert response.status_code == 200
    assert [m["metadata"]["threadId"] for m in receiver.accepted] == ["obs-platform-api-5xx-rate"]
    assert "[chat #obs-platform-api-5xx-rate]" in receiver.printed[0]
    assert "-> Runbook:" in receiver.printed[0]


@pytest.mark.parametrize(
    "body",
    ["not json", {"no": "type"}, ENVELOPE | {"Message": "plain text alarm"},
     ENVELOPE | {"Message": json.dumps({"version": "1.0", "source": "aws.cloudwatch"})},
     ENVELOPE | {"Type": "Strange"}],
)  # fmt: skip
def test_other_shapes_are_dropped_like_chatbot_does(receiver, body):
    response = _post(receiver, body)
    assert response.status_code == 200  # SNS must not retry a message that can never be valid
    assert receiver.accepted == [] and len(receiver.rejected) == 1


def test_subscription_confirmation_fetches_the_subscribe_url(receiver, httpserver):
    httpserver.expect_request("/confirm").respond_with_data("<ConfirmSubscriptionResponse/>")
    envelope = {"Type": "SubscriptionConfirmation", "TopicArn": "arn:aws:sns:eu-west-1:1:t",
                "SubscribeURL": httpserver.url_for("/confirm"), "Token": "t"}  # fmt: skip
    assert _post(receiver, envelope).status_code == 200
    assert receiver.confirmed == ["arn:aws:sns:eu-west-1:1:t"]
    assert len(httpserver.log) == 1


def test_oversized_bodies_are_refused(receiver):
    response = _post(receiver, "x" * (256 * 1024 + 1))
    assert response.status_code == 413


def test_delivery_through_sns_http_subscription(moto_url, aws_env, receiver):
    # Given a topic with the receiver subscribed over HTTP
    sns = boto3.client("sns", endpoint_url=moto_url, region_name="eu-west-1")
    topic = sns.create_topic(Name="chat-test-alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    # When a formatted notification and a plain message are published
    event = alarm_state_change(
        "obs-platform-api-incident", new_state="ALARM", old_state="OK", reason="ALARM(api-5xx-rate)",
        at=datetime(2026, 1, 1, tzinfo=UTC), region="eu-west-1", account_id="123456789012",
    )  # fmt: skip
    config = Config(
        "arn:aws:sns:eu-west-1:1:chat", "obs-platform", "https://runbooks.example", "https://os.example"
    )
    message = notification(event, load_routing(), config)
    assert isinstance(message, dict)
    sns.publish(TopicArn=topic, Message=json.dumps(message), Subject="api-incident ALARM")
    sns.publish(TopicArn=topic, Message="an alarm in a shape Chatbot does not know")
    # Then the receiver got both, accepted the custom notification and dropped the other
    assert receiver.wait_for(2, timeout=10)
    assert receiver.accepted == [message]
    assert len(receiver.rejected) == 1
