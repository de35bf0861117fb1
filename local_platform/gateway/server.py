"""The local HTTP API: API Gateway's IAM auth, payload format 2.0, access logs and metrics.

A request is handled the way the deployed HTTP API does it (``infra/modules/http_api``: the route
``GET /objects`` and a ``$default`` catch-all, both ``AWS_IAM``, both to the function):

1. limits: a body over 10 MB is 413 and a ``Content-Length`` that is not ASCII digits is 400, before
   anything else (``local_platform.http_server``);
2. route match: ``GET /objects``, anything else ``$default``;
3. SigV4 verification for ``execute-api`` in the configured region, for this API's host, by one of
   its known callers (:mod:`.auth`, ``obsctl.sigv4``), else 403 with API Gateway's message, and the
   function never runs (an unknown path too);
4. a payload-format-2.0 event with ``requestContext.authorizer.iam`` (:mod:`.event`) is handed to the
   real handler (:class:`~local_platform.lambda_runtime.LocalFunction`), and its response is
   translated back; an unhandled exception becomes 500 ``{"message": "Internal Server Error"}``;
5. the function's lines and Lambda's platform lines go to the function's log group, one JSON
   access-log line (:mod:`.access_log`) to the access-log group, and the metrics AWS would publish
   (:mod:`.aws_metrics`) plus the EMF metrics the function printed (:mod:`.emf`) and the catalog's
   metric filters Terraform created (``local_platform.metric_filters``) go to the emulated CloudWatch.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_platform.emulator import Emulator
from local_platform.gateway.access_log import access_line
from local_platform.gateway.auth import Credentials, authenticate, loopback_hosts
from local_platform.gateway.aws_metrics import api_metric_data, lambda_metric_data
from local_platform.gateway.emf import emf_metric_data
from local_platform.gateway.event import INTERNAL_ERROR, build_event, http_response, json_body
from local_platform.gateway.request import BadTarget, Outcome, Request
from local_platform.http_server import HttpRequest, HttpResponse, LoopbackServer
from local_platform.lambda_runtime import LocalFunction
from local_platform.metric_filters import apply_metric_filters
from obsctl import sigv4
from signals import metrics as M

__all__ = [
    "BAD_REQUEST",
    "JSON",
    "MAX_PAYLOAD_BYTES",
    "TOO_LARGE",
    "Exchange",
    "LocalGateway",
]

Clock = Callable[[], datetime]
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""HTTP API payload quota: 10 MB, not adjustable (API Gateway quotas for HTTP APIs)."""
BAD_REQUEST = {"message": "Bad Request"}
TOO_LARGE = {"message": "Request Entity Too Large"}
JSON = {"Content-Type": "application/json"}


@dataclass
class Exchange:
    """One request as the gateway saw it; kept for tests and the demo's summary."""

    request_id: str
    method: str
    path: str
    status: int
    body: bytes
    invoked: bool
    lambda_request_id: str | None = None
    trace_id: str | None = None
    event: dict[str, Any] | None = None
    """The event the function received (None when it did not run)."""


@dataclass
class LocalGateway:
    emulator: Emulator
    function: LocalFunction
    credentials: Credentials
    clock: Clock = field(default=lambda: datetime.now(UTC))
    publish_metrics: bool = True
    metric_filters: list[dict[str, Any]] = field(default_factory=list)
    """The log groups' metric filters as created (``DescribeMetricFilters``); applied to the lines
    the function writes."""
    exchanges: list[Exchange] = field(default_factory=list)
    log_events_written: int = 0
    _callers: dict[str, Credentials] = field(default_factory=dict)
    _server: LoopbackServer | None = None
    _sink_lock: threading.Lock = field(default_factory=threading.Lock)
    _access_stream: str = ""
    _logs: Any = None
    _cloudwatch: Any = None
    _function_stream_created: bool = False

    def __post_init__(self) -> None:
        self._callers.setdefault(self.credentials.access_key, self.credentials)

    @property
    def region(self) -> str:
        return self.emulator.names.region

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.url

    @property
    def hosts(self) -> frozenset[str]:
        """The Host values a request must be signed for: this gateway's own address."""
        assert self._server is not None, "start() first"
        return loopback_hosts(self._server.address[1])

    def add_caller(self, credentials: Credentials) -> None:
        """Admit another caller (for example temporary credentials with their session token)."""
        self._callers[credentials.access_key] = credentials

    def remove_caller(self, access_key: str) -> None:
        self._callers.pop(access_key, None)

    def start(self, port: int = 0) -> LocalGateway:
        names = self.emulator.names
        self._logs = self.emulator.client("logs")
        self._cloudwatch = self.emulator.client("cloudwatch")
        self._access_stream = f"{names.api_id}_{secrets.token_hex(8)}"
        self._logs.create_log_stream(logGroupName=names.access_log_group, logStreamName=self._access_stream)
        self._server = LoopbackServer(
            self.handle_http,
            name="local-apigw",
            port=port,
            max_body_bytes=MAX_PAYLOAD_BYTES,
            reject=_reject,
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def server_errors(self) -> list[BaseException]:
        """Exceptions raised while handling a request (each was answered 500)."""
        return self._server.errors if self._server is not None else []

    # --- request handling -----------------------------------------------------------------
    def handle_http(self, http: HttpRequest) -> HttpResponse:
        try:
            request = Request.from_http(http, self.clock())
        except BadTarget:
            return _reject(400, "request target is not /path?query")
        outcome = self.handle(request)
        headers = {**JSON, **outcome.headers, "apigw-requestid": request.request_id}
        return HttpResponse(outcome.status, tuple(headers.items()), outcome.body)

    def handle(self, request: Request) -> Outcome:
        started = time.perf_counter()
        # Every route is AWS_IAM: authenticate before anything answers, unknown paths included.
        # Signatures are checked against the wall clock (the signer's), not the stack's clock,
        # which the demo moves forward to stage incidents.
        try:
            caller = authenticate(
                request, callers=list(self._callers.values()), region=self.region, hosts=self.hosts
            )
        except sigv4.AuthFailure as failure:
            body = json_body({"message": failure.message})
            outcome = Outcome(403, {}, body, _ms_since(started), error_message=failure.message)
            self._record(request, outcome, None)
            return outcome
        event = build_event(request, caller, self.emulator.names)
        invocation = self.function.invoke(event)
        status, headers, body = http_response(invocation)
        outcome = Outcome(
            status,
            headers,
            body,
            _ms_since(started),
            caller=caller,
            invocation=invocation,
            error_message=INTERNAL_ERROR["message"] if invocation.error is not None else "-",
        )
        self._record(request, outcome, event)
        return outcome

    # --- logs and metrics -----------------------------------------------------------------
    def _record(self, request: Request, outcome: Outcome, event: dict[str, Any] | None) -> None:
        names = self.emulator.names
        line = access_line(request, outcome, names)
        now = request.received_at
        timestamp_ms = request.time_epoch_ms
        invocation = outcome.invocation
        with self._sink_lock:
            self.exchanges.append(
                Exchange(
                    request_id=request.request_id,
                    method=request.method,
                    path=request.path,
                    status=outcome.status,
                    body=outcome.body,
                    invoked=invocation is not None,
                    lambda_request_id=invocation.request_id if invocation else None,
                    trace_id=invocation.trace_id if invocation else None,
                    event=event,
                )
            )
            self._logs.put_log_events(
                logGroupName=names.access_log_group,
                logStreamName=self._access_stream,
                logEvents=[{"timestamp": timestamp_ms, "message": line}],
            )
            self.log_events_written += 1
            if invocation is not None:
                self._write_function_logs(invocation.log_lines, timestamp_ms)
            if self.publish_metrics:
                self._put_metrics(outcome, now)

    def _write_function_logs(self, lines: list[str], timestamp_ms: int) -> None:
        group, stream = self.function.log_group, self.function.log_stream
        if not self._function_stream_created:
            self._logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self._function_stream_created = True
        events = [{"timestamp": timestamp_ms, "message": line} for line in lines]
        self._logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        self.log_events_written += len(events)

    def _put_metrics(self, outcome: Outcome, now: datetime) -> None:
        cloudwatch = self._cloudwatch
        cloudwatch.put_metric_data(
            Namespace=M.APIGW_NAMESPACE, MetricData=api_metric_data(outcome, self.emulator.names, now)
        )
        invocation = outcome.invocation
        if invocation is None:
            return
        cloudwatch.put_metric_data(
            Namespace=M.LAMBDA_NAMESPACE,
            MetricData=lambda_metric_data(outcome, self.function.function_name, now),
        )
        for namespace, datum in emf_metric_data(invocation.log_lines, now):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=[datum])
        apply_metric_filters(
            cloudwatch, self.metric_filters, self.function.log_group, invocation.log_lines, now
        )


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _reject(status: int, reason: str) -> HttpResponse:
    """API Gateway's own answers for requests that never reach the route: fixed JSON bodies."""
    body = {400: BAD_REQUEST, 413: TOO_LARGE}.get(status, INTERNAL_ERROR)
    return HttpResponse(status, tuple(JSON.items()), json_body(body), close=True)
