"""The stage's access log: one JSON line per request, the keys of ``signals.logs.ACCESS_LOG_FORMAT``."""

from __future__ import annotations

import json

from local_platform.gateway.request import Outcome, Request
from local_platform.names import LocalNames
from signals import logs as fields

__all__ = [
    "access_line",
]


def access_line(request: Request, outcome: Outcome, names: LocalNames) -> str:
    """The line API Gateway writes for ``request``: ``$context`` values as strings, ``-`` when empty."""
    caller = outcome.caller
    invocation = outcome.invocation
    integration_ms = outcome.integration_ms
    context_values = {
        "$context.requestId": request.request_id,
        "$context.requestTime": request.time_text,
        "$context.requestTimeEpoch": str(request.time_epoch_ms),
        "$context.httpMethod": request.method,
        "$context.routeKey": request.route_key,
        "$context.path": request.path,
        "$context.protocol": "HTTP/1.1",
        "$context.status": str(outcome.status),
        "$context.responseLength": str(len(outcome.body)),
        "$context.responseLatency": str(int(outcome.latency_ms)),
        "$context.integrationLatency": str(int(integration_ms)) if integration_ms is not None else "-",
        "$context.integrationStatus": "200" if invocation is not None and invocation.error is None else "-",
        "$context.integrationErrorMessage": (
            type(invocation.error).__name__ if invocation is not None and invocation.error else "-"
        ),
        "$context.error.message": outcome.error_message,
        "$context.identity.sourceIp": request.source_ip,
        "$context.identity.userAgent": request.header("user-agent") or "-",
        "$context.identity.userArn": caller.user_arn if caller else "-",
        "$context.identity.accountId": caller.account_id if caller else "-",
        "$context.apiId": names.api_id,
        "$context.stage": names.stage,
    }
    return json.dumps(
        {key: context_values.get(expr, "-") for key, expr in fields.ACCESS_LOG_FORMAT.items()},
        separators=(",", ":"),
    )
