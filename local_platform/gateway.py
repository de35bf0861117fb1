"""The local HTTP API: API Gateway's IAM auth, payload format 2.0, access logs and metrics.

A request is handled the way the deployed HTTP API does it (``infra/modules/http_api``: the route
``GET /objects`` and a ``$default`` catch-all, both ``AWS_IAM``, both to the function):

1. route match: ``GET /objects``, anything else ``$default``;
2. SigV4 verification for ``execute-api`` in the configured region (``obsctl.sigv4``), else 403
   with API Gateway's message, and the function never runs (an unknown path too);
3. a payload-format-2.0 event with ``requestContext.authorizer.iam`` is handed to the real handler
   (:class:`~local_platform.lambda_runtime.LocalFunction`), and its response is translated back;
   an unhandled exception becomes 500 ``{"message": "Internal Server Error"}``;
4. the function's lines and Lambda's platform lines go to the function's log group, one JSON
   access-log line (the keys of ``signals.logs.ACCESS_LOG_FORMAT``, values as API Gateway writes
   them) to the access-log group, and the metrics AWS would publish (``AWS/ApiGateway``,
   ``AWS/Lambda``) plus the EMF metrics the function printed go to the emulated CloudWatch.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from alerts.model import Var
from local_platform.emulator import Emulator
from local_platform.lambda_runtime import Invocation, LocalFunction
from local_platform.metric_filters import apply_metric_filters
from local_platform.request_body import read_body
from obsctl import sigv4
from signals import logs as fields
from signals import metrics as m
from signals.services import API_ROUTE_KEY, DEFAULT_ROUTE_KEY

Clock = Callable[[], datetime]
ROUTE_METHOD, ROUTE_PATH = API_ROUTE_KEY.split(" ", 1)
BAD_REQUEST = {"message": "Bad Request"}
INTERNAL_ERROR = {"message": "Internal Server Error"}


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    account_id: str = "123456789012"
    user_name: str = "local-caller"

    @property
    def caller(self) -> sigv4.Caller:
        return sigv4.Caller(
            access_key=self.access_key,
            account_id=self.account_id,
            user_arn=f"arn:aws:iam::{self.account_id}:user/{self.user_name}",
            user_id=f"AIDA{self.access_key.upper()[:16]:0<16}",
        )


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


@dataclass
class LocalGateway:
    emulator: Emulator
    function: LocalFunction
    credentials: Credentials
    clock: Clock = field(default=lambda: datetime.now(UTC))
    publish_metrics: bool = True
    exchanges: list[Exchange] = field(default_factory=list)
    log_events_written: int = 0
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _sink_lock: threading.Lock = field(default_factory=threading.Lock)
    _access_stream: str = ""
    _logs: Any = None
    _cloudwatch: Any = None
    _function_stream_created: bool = False

    @property
    def region(self) -> str:
        return self.emulator.names.region

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> LocalGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "obsctl-local-apigw"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _handle(self) -> None:
                body = read_body(self)
                if body is None:
                    status, headers, payload = 400, {"Content-Type": "application/json"}, _json(BAD_REQUEST)
                    self.close_connection = True
                else:
                    status, headers, payload = gateway.handle(
                        self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
                    )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._access_stream = f"{self.emulator.names.api_id}_{secrets.token_hex(8)}"
        self.emulator.client("logs").create_log_stream(
            logGroupName=self.emulator.names.access_log_group, logStreamName=self._access_stream
        )
        self._logs = self.emulator.client("logs")
        self._cloudwatch = self.emulator.client("cloudwatch")
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-apigw", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- request handling -----------------------------------------------------------------
    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        started = time.perf_counter()
        now = self.clock()
        request_id = base64.b64encode(secrets.token_bytes(11)).decode()
        parts = urlsplit(target)
        raw_path, raw_query = parts.path or "/", parts.query
        invocation: Invocation | None = None
        error_message = "-"
        response_headers: dict[str, str]
        matched = method.upper() == ROUTE_METHOD and unquote(raw_path) == ROUTE_PATH
        route_key = API_ROUTE_KEY if matched else DEFAULT_ROUTE_KEY
        # Every route is AWS_IAM: authenticate before anything answers, unknown paths included.
        try:
            caller = sigv4.verify(
                method,
                raw_path,
                raw_query,
                headers,
                body,
                self.region,
                {self.credentials.access_key: (self.credentials.secret_key, self.credentials.caller)},
            )
        except sigv4.AuthFailure as failure:
            status, response_headers, payload = 403, {}, _json({"message": failure.message})
            error_message = failure.message
        else:
            event = self._event(
                method, route_key, raw_path, raw_query, headers, body, source_ip, request_id, now, caller
            )
            invocation = self.function.invoke(event)
            status, response_headers, payload = _http_response(invocation)
            if invocation.error is not None:
                error_message = INTERNAL_ERROR["message"]
        response_headers = {
            "Content-Type": "application/json",
            **response_headers,
            "apigw-requestid": request_id,
        }
        latency_ms = (time.perf_counter() - started) * 1000
        integration_ms = invocation.duration_ms if invocation is not None else None
        self._record(
            now=now,
            request_id=request_id,
            method=method,
            path=raw_path,
            route_key=route_key,
            status=status,
            payload=payload,
            latency_ms=latency_ms,
            integration_ms=integration_ms,
            error_message=error_message,
            headers=headers,
            source_ip=source_ip,
            invocation=invocation,
        )
        return status, response_headers, payload

    def _event(
        self,
        method: str,
        route_key: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        source_ip: str,
        request_id: str,
        now: datetime,
        caller: sigv4.Caller,
    ) -> dict[str, Any]:
        lower: dict[str, str] = {}
        for key, value in headers.items():
            lower[key.lower()] = f"{lower[key.lower()]},{value}" if key.lower() in lower else value
        query: dict[str, str] = {}
        for pair in filter(None, raw_query.split("&")):
            key, _, value = pair.partition("=")
            k, v = unquote(key.replace("+", " ")), unquote(value.replace("+", " "))
            query[k] = f"{query[k]},{v}" if k in query else v
        names = self.emulator.names
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": raw_path,
            "rawQueryString": raw_query,
            "headers": lower,
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
                "domainName": lower.get("host", "127.0.0.1"),
                "domainPrefix": lower.get("host", "127.0.0.1").split(".")[0],
                "http": {
                    "method": method.upper(),
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": lower.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": route_key,
                "stage": names.stage,
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        if query:
            event["queryStringParameters"] = query
        if body:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        return event

    # --- logs and metrics -----------------------------------------------------------------
    def _record(
        self,
        *,
        now: datetime,
        request_id: str,
        method: str,
        path: str,
        route_key: str,
        status: int,
        payload: bytes,
        latency_ms: float,
        integration_ms: float | None,
        error_message: str,
        headers: dict[str, str],
        source_ip: str,
        invocation: Invocation | None,
    ) -> None:
        lower = {k.lower(): v for k, v in headers.items()}
        caller = self.credentials.caller if invocation is not None else None
        context_values = {
            "$context.requestId": request_id,
            "$context.requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "$context.requestTimeEpoch": str(int(now.timestamp() * 1000)),
            "$context.httpMethod": method.upper(),
            "$context.routeKey": route_key,
            "$context.path": path,
            "$context.protocol": "HTTP/1.1",
            "$context.status": str(status),
            "$context.responseLength": str(len(payload)),
            "$context.responseLatency": str(int(latency_ms)),
            "$context.integrationLatency": str(int(integration_ms)) if integration_ms is not None else "-",
            "$context.integrationStatus": "200"
            if invocation is not None and invocation.error is None
            else "-",
            "$context.integrationErrorMessage": (
                f"{type(invocation.error).__name__}" if invocation is not None and invocation.error else "-"
            ),
            "$context.error.message": error_message,
            "$context.identity.sourceIp": source_ip,
            "$context.identity.userAgent": lower.get("user-agent", "-"),
            "$context.identity.userArn": caller.user_arn if caller else "-",
            "$context.identity.accountId": caller.account_id if caller else "-",
            "$context.apiId": self.emulator.names.api_id,
            "$context.stage": self.emulator.names.stage,
        }
        access_line = json.dumps(
            {key: context_values.get(expr, "-") for key, expr in fields.ACCESS_LOG_FORMAT.items()},
            separators=(",", ":"),
        )
        timestamp_ms = int(now.timestamp() * 1000)
        with self._sink_lock:
            self.exchanges.append(
                Exchange(
                    request_id=request_id,
                    method=method.upper(),
                    path=path,
                    status=status,
                    body=payload,
                    invoked=invocation is not None,
                    lambda_request_id=invocation.request_id if invocation else None,
                    trace_id=invocation.trace_id if invocation else None,
                )
            )
            logs = self._logs
            names = self.emulator.names
            logs.put_log_events(
                logGroupName=names.access_log_group,
                logStreamName=self._access_stream,
                logEvents=[{"timestamp": timestamp_ms, "message": access_line}],
            )
            self.log_events_written += 1
            if invocation is not None:
                self._write_function_logs(logs, invocation, timestamp_ms)
            if self.publish_metrics:
                self._put_metrics(now, status, latency_ms, integration_ms, len(payload), invocation)

    def _write_function_logs(self, logs: Any, invocation: Invocation, timestamp_ms: int) -> None:
        group, stream = self.function.log_group, self.function.log_stream
        if not self._function_stream_created:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self._function_stream_created = True
        events = [{"timestamp": timestamp_ms, "message": line} for line in invocation.log_lines]
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        self.log_events_written += len(events)

    def _put_metrics(
        self,
        now: datetime,
        status: int,
        latency_ms: float,
        integration_ms: float | None,
        response_bytes: int,
        invocation: Invocation | None,
    ) -> None:
        cloudwatch = self._cloudwatch
        names = self.emulator.names
        api_dimension_sets = [
            [{"Name": m.APIGW_DIM_API_ID, "Value": names.api_id}],
            [
                {"Name": m.APIGW_DIM_API_ID, "Value": names.api_id},
                {"Name": m.APIGW_DIM_STAGE, "Value": names.stage},
            ],
        ]
        api_values: list[tuple[str, float, str]] = [
            (m.APIGW_COUNT, 1, "Count"),
            (m.APIGW_4XX, 1 if 400 <= status < 500 else 0, "Count"),
            (m.APIGW_5XX, 1 if status >= 500 else 0, "Count"),
            (m.APIGW_LATENCY, latency_ms, "Milliseconds"),
            (m.APIGW_DATA_PROCESSED, response_bytes, "Bytes"),
        ]
        if integration_ms is not None:
            api_values.append((m.APIGW_INTEGRATION_LATENCY, integration_ms, "Milliseconds"))
        data = [
            {"MetricName": name, "Dimensions": dims, "Value": value, "Unit": unit, "Timestamp": now}
            for dims in api_dimension_sets
            for name, value, unit in api_values
        ]
        cloudwatch.put_metric_data(Namespace=m.APIGW_NAMESPACE, MetricData=data)
        if invocation is None:
            return
        fn_dims = [{"Name": m.LAMBDA_DIM_FUNCTION, "Value": self.function.function_name}]
        lambda_values = [
            (m.LAMBDA_INVOCATIONS, 1, "Count"),
            (m.LAMBDA_ERRORS, 1 if invocation.error is not None else 0, "Count"),
            (m.LAMBDA_THROTTLES, 0, "Count"),
            (m.LAMBDA_DURATION, invocation.duration_ms, "Milliseconds"),
            (m.LAMBDA_CONCURRENT, 1, "Count"),
        ]
        cloudwatch.put_metric_data(
            Namespace=m.LAMBDA_NAMESPACE,
            MetricData=[
                {"MetricName": n, "Dimensions": fn_dims, "Value": v, "Unit": u, "Timestamp": now}
                for n, v, u in lambda_values
            ],
        )
        for namespace, datum in emf_metric_data(invocation.log_lines, now):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=[datum])
        apply_metric_filters(cloudwatch, Var.FUNCTION_LOG_GROUP, invocation.log_lines, now)


def emf_metric_data(lines: list[str], timestamp: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The PutMetricData datums CloudWatch extracts from EMF log lines (``_aws.CloudWatchMetrics``)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for line in lines:
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for directive in doc.get("_aws", {}).get("CloudWatchMetrics", []):
            namespace = directive.get("Namespace")
            for dimension_set in directive.get("Dimensions", []):
                dims = [{"Name": d, "Value": str(doc[d])} for d in dimension_set if d in doc]
                for metric in directive.get("Metrics", []):
                    name = metric.get("Name")
                    values = doc.get(name)
                    for value in values if isinstance(values, list) else [values]:
                        if isinstance(value, int | float):
                            out.append(
                                (
                                    namespace,
                                    {
                                        "MetricName": name,
                                        "Dimensions": dims,
                                        "Value": float(value),
                                        "Unit": metric.get("Unit", "None"),
                                        "Timestamp": timestamp,
                                    },
                                )
                            )
    return out


def _json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _http_response(invocation: Invocation) -> tuple[int, dict[str, str], bytes]:
    """Translate a payload-format-2.0 Lambda result into an HTTP response, as API Gateway does."""
    if invocation.error is not None:
        return 500, {}, _json(INTERNAL_ERROR)
    result = invocation.result
    if isinstance(result, dict) and "statusCode" in result:
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result["statusCode"]), headers, raw
    # Payload 2.0: any other JSON value is a 200 with that value as the body.
    return 200, {}, _json(result)
