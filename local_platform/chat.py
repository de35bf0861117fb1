"""A local chat webhook that stands in for AWS Chatbot behind an SNS HTTP subscription.

SNS POSTs a JSON envelope (``Type``: ``SubscriptionConfirmation`` or ``Notification``; the body is
sent as ``text/plain``). The receiver confirms subscriptions by fetching ``SubscribeURL`` (as a real
endpoint must), checks each notification's ``Message`` is a Chatbot custom notification - Chatbot
drops any other shape as unsupported, and so does this receiver, counting it as rejected - and
prints the accepted ones the way a chat channel would show them.

Differences from Chatbot: no signature check of the SNS envelope (the emulator's signing
certificate URL is not reachable), and messages are printed instead of posted to Slack or Teams.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

from alerts.notify import NotificationError, validate_notification
from local_platform.http_server import HttpRequest, HttpResponse, LoopbackServer, text_response

MAX_BODY_BYTES = 256 * 1024
"""SNS messages are at most 256 KiB."""


class ChatReceiver:
    def __init__(self, say: Callable[[str], None] = print, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.say = say
        self.accepted: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.confirmed: list[str] = []
        self._changed = threading.Condition()
        self._server = LoopbackServer(
            self._handle,
            name="chat-receiver",
            host=host,
            port=port,
            max_body_bytes=MAX_BODY_BYTES,
            methods=("POST",),
        )

    @property
    def url(self) -> str:
        return f"{self._server.url}/chat"

    def start(self) -> ChatReceiver:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> ChatReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` messages (accepted or rejected) arrived; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.accepted) + len(self.rejected) >= count, timeout)

    # --- request handling ----------------------------------------------------------------------
    def handle_envelope(self, envelope: Any) -> tuple[int, str]:
        if not isinstance(envelope, dict) or "Type" not in envelope:
            return self._reject("not an SNS envelope (no Type)")
        kind = envelope["Type"]
        if kind == "SubscriptionConfirmation":
            return self._confirm(envelope)
        if kind == "UnsubscribeConfirmation":
            return 200, "ok"
        if kind != "Notification":
            return self._reject(f"unknown SNS message type {kind!r}")
        try:
            message = validate_notification(envelope.get("Message", ""))
        except NotificationError as exc:
            return self._reject(f"unsupported notification dropped: {exc}")
        with self._changed:
            self.accepted.append(message)
            self._changed.notify_all()
        content = message["content"]
        thread = message.get("metadata", {}).get("threadId", "-")
        lines = [f"[chat #{thread}] {content.get('title', '')}", *content["description"].splitlines()]
        lines += [f"  -> {step}" for step in content.get("nextSteps", [])]
        self.say("\n".join(lines))
        return 200, "ok"

    def _confirm(self, envelope: dict[str, Any]) -> tuple[int, str]:
        url = envelope.get("SubscribeURL", "")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return self._reject("subscription confirmation without an http(s) SubscribeURL")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - scheme checked above
            response.read()
        self.confirmed.append(str(envelope.get("TopicArn", "")))
        self.say(f"[chat] subscription confirmed for {envelope.get('TopicArn', '?')}")
        return 200, "confirmed"

    def _reject(self, reason: str) -> tuple[int, str]:
        with self._changed:
            self.rejected.append(reason)
            self._changed.notify_all()
        self.say(f"[chat] {reason}")
        # 2xx all the same: SNS would otherwise retry a message that will never become valid.
        return 200, reason

    def _handle(self, request: HttpRequest) -> HttpResponse:
        try:
            envelope = json.loads(request.body)
        except ValueError:
            status, text = self._reject("body is not JSON")
        else:
            status, text = self.handle_envelope(envelope)
        return text_response(status, text)
