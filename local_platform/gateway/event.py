"""Lambda proxy payload format 2.0: the event API Gateway hands the function, and its answer back."""

from __future__ import annotations

import base64
import json
from typing import Any

from local_platform.gateway.request import Request
from local_platform.lambda_runtime import Invocation
from local_platform.names import LocalNames
from obsctl import sigv4

__all__ = [
    "INTERNAL_ERROR",
    "build_event",
    "http_response",
    "json_body",
]

INTERNAL_ERROR = {"message": "Internal Server Error"}


def build_event(request: Request, caller: sigv4.Caller, names: LocalNames) -> dict[str, Any]:
    """The payload-2.0 event for a verified request; headers and query decoded as the verifier did."""
    header_names = sorted({k.lower() for k, _ in request.headers})
    headers = {name: request.header(name) or "" for name in header_names}
    query: dict[str, str] = {}
    for key, value in sigv4.decode_query(request.query):
        query[key] = f"{query[key]},{value}" if key in query else value
    host = headers.get("host", "127.0.0.1")
    route_key = request.route_key
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": names.account_id,
            "apiId": names.api_id,
            "authorizer": {
                "iam": {
                    "accessKey": caller.access_key,
                    "accountId": caller.account_id,
                    "callerId": caller.user_id,
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": caller.user_arn,
                    "userId": caller.user_id,
                }
            },
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request.request_id,
            "routeKey": route_key,
            "stage": names.stage,
            "time": request.time_text,
            "timeEpoch": request.time_epoch_ms,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if request.body:
        event["body"] = base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = True
    return event


def json_body(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def http_response(invocation: Invocation) -> tuple[int, dict[str, str], bytes]:
    """Translate a payload-format-2.0 Lambda result into an HTTP response, as API Gateway does."""
    if invocation.error is not None:
        return 500, {}, json_body(INTERNAL_ERROR)
    result = invocation.result
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), headers, raw
    # Payload 2.0: any other JSON value is a 200 with that value as the body.
    return 200, {}, json_body(result)
