"""Helpers for the listing function's tests: real events, a Lambda context, output parsing."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from botocore.awsrequest import AWSResponse, HTTPHeaders

EVENTS = Path(__file__).resolve().parents[2] / "events"
BUCKET = "obs-platform-data-123456789012"
REGION = "eu-west-1"
SECRET = "unit-test-token-secret-0123456789abcdef"
CALLER_ARN = "arn:aws:iam::123456789012:user/sre-alice"
"""The caller of tests/events/apigw_list_objects.json, listed in ALLOWED_CALLERS by the fixtures."""


@dataclass
class LambdaContext:
    function_name: str = "obs-platform-objects-api"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:obs-platform-objects-api"
    aws_request_id: str = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def list_event(params: dict[str, str] | None = None, raw_query: str | None = None) -> dict[str, Any]:
    """The real-shaped ``GET /objects`` event with another query string."""
    event = copy.deepcopy(load_event("apigw_list_objects.json"))
    params = params or {}
    event["rawQueryString"] = urlencode(params) if raw_query is None else raw_query
    if params:
        event["queryStringParameters"] = dict(params)
    else:
        event.pop("queryStringParameters", None)
    return event


def body(response: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(response["body"])
    return loaded


def app_logs(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" not in line]


def emf(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "_aws" in line]


class _Raw:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def stream(self, **_: Any) -> Any:
        yield self.payload


def make_s3_fail(status: int, code: str) -> None:
    """Answer the function's next S3 calls the way S3 does when it fails (XML error body)."""
    payload = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>injected</Message>'
        f"<RequestId>FAULT123</RequestId></Error>"
    ).encode()

    def respond(request: Any, **_: Any) -> AWSResponse:
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/xml"
        return AWSResponse(request.url, status, headers, _Raw(payload))

    from function import app

    events = app.runtime().s3.meta.events
    events.unregister("before-send.s3.ListObjectsV2", unique_id="injected-s3-fault")
    events.register("before-send.s3.ListObjectsV2", respond, unique_id="injected-s3-fault")  # type: ignore[arg-type]
