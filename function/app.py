"""Lambda entry point of ``GET /objects``: routing, observability and error mapping only.

The work is done by plain functions (``params``, ``pagination``, ``listing``); this module turns
their outcome into one of the documented responses and records the signals an operator needs:
one JSON log line per request (correlation id = API request id, caller identity for audit), EMF
metrics from ``signals.metrics`` and X-Ray subsegments (see ``tracing`` for why not the X-Ray SDK).
"""

# ruff: noqa: E402 - the collector is paused before the imports below (see signals/lambda_env.py)
from __future__ import annotations

from signals import lambda_env

_GC_WAS_ENABLED = lambda_env.pause_gc()

import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

from function.config import Config, ConfigError, load_config
from function.errors import (
    BadRequestError,
    Response,
    bad_request,
    forbidden,
    internal_error,
    json_response,
    not_found,
    service_unavailable,
)
from function.listing import OPERATION, create_s3_client, is_throttling, list_page
from function.pagination import encode_token
from function.params import parse_query
from function.tracing import Subsegment, XRayEmitter
from signals.logs import APP_CALLER_ACCOUNT, APP_CALLER_ARN, APP_ROUTE, APP_STATUS
from signals.metrics import (
    BAD_REQUESTS,
    FORBIDDEN_REQUESTS,
    INTERNAL_ERRORS,
    LIST_REQUESTS,
    NAMESPACE,
    OBJECTS_LISTED,
    S3_LATENCY,
    S3_THROTTLED,
)
from signals.services import API_ROUTE_KEY, API_SERVICE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_s3 import S3Client

__all__ = [
    "DEFAULT_ROUTE",
    "DEFAULT_STAGE",
    "ROUTE_METHOD",
    "ROUTE_PATH",
    "Runtime",
    "handler",
    "logger",
    "metrics",
    "reset_runtime",
    "runtime",
]

ROUTE_METHOD, ROUTE_PATH = API_ROUTE_KEY.split(" ", 1)
DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"
_MAX_ECHOED_PATH = 200


class _Stdout:
    """Writes to whatever ``sys.stdout`` is at the time of the write.

    The local gateway (and pytest) replace ``sys.stdout``; binding the stream object at import
    would send lines to the wrong place.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(service=API_SERVICE, stream=_Stdout())  # type: ignore[arg-type]
metrics = Metrics(namespace=NAMESPACE, service=API_SERVICE)


@dataclass(frozen=True)
class Runtime:
    """What one execution environment creates once: the validated config and the S3 client."""

    config: Config
    s3: S3Client


_runtime: Runtime | None = None
_cold_start = True
_first_runtime = True


def runtime() -> Runtime:
    """The execution environment's config and S3 client, created on first use (the cold start).

    The local gateway may use ``runtime().s3.meta.events`` to inject S3 faults.
    """
    global _runtime, _first_runtime
    if _runtime is None:
        # The client's model and handlers are long-lived: frozen once, on Lambda only (lambda_env).
        freeze, _first_runtime = _first_runtime and lambda_env.in_lambda_runtime(os.environ), False
        with lambda_env.gc_paused(freeze=freeze):
            config = load_config(os.environ)
            _runtime = Runtime(config=config, s3=create_s3_client(config))
    return _runtime


def reset_runtime() -> None:
    """Forget the config and client, so the next invocation reads the environment again."""
    global _runtime
    _runtime = None


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> Response:
    global _cold_start
    request_context = event.get("requestContext") or {}
    request_id = str(request_context.get("requestId") or context.aws_request_id)
    logger.set_correlation_id(request_id)
    iam = (request_context.get("authorizer") or {}).get("iam") or {}
    logger.append_keys(**{APP_CALLER_ARN: iam.get("userArn"), APP_CALLER_ACCOUNT: iam.get("accountId")})

    emitter = XRayEmitter.from_environ(os.environ)
    segment = emitter.begin("## handler", namespace="local")  # the names Powertools' Tracer uses
    segment.annotations.update({"ColdStart": _cold_start, "Service": API_SERVICE})
    _cold_start = False
    try:
        response = _dispatch(event, request_id, emitter, segment)
        segment.annotations["Status"] = response["statusCode"]
        segment.fault = response["statusCode"] >= 500
        return response
    finally:
        emitter.end(segment)
        emitter.close()


def _dispatch(event: dict[str, Any], request_id: str, emitter: XRayEmitter, segment: Subsegment) -> Response:
    http = (event.get("requestContext") or {}).get("http") or {}
    method, path = str(http.get("method", "")), str(event.get("rawPath", ""))
    logger.append_keys(**{APP_ROUTE: f"{method} {path[:_MAX_ECHOED_PATH]}"})
    if not _is_list_route(event, method, path):
        response = not_found(method, path[:_MAX_ECHOED_PATH])
        metrics.add_metric(name=BAD_REQUESTS, unit=MetricUnit.Count, value=1)
        logger.info("no such route", extra={APP_STATUS: 404})
        return response
    try:
        state = runtime()
    except ConfigError as exc:
        # A deployment error: fail the invocation so Lambda's Errors metric and the init log show it.
        metrics.add_metric(name=INTERNAL_ERRORS, unit=MetricUnit.Count, value=1)
        logger.error(str(exc), extra={"setting": exc.setting, APP_STATUS: 500})
        segment.add_exception(exc, remote=False)
        raise
    iam = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    if not state.config.allowed_callers.admits(iam):
        # Before anything touches S3. The log line carries the caller (appended in handler).
        metrics.add_metric(name=FORBIDDEN_REQUESTS, unit=MetricUnit.Count, value=1)
        logger.warning("caller not allowed", extra={APP_STATUS: 403})
        return forbidden()
    try:
        return _list_objects(event, request_id, state, emitter, segment)
    except Exception as exc:
        metrics.add_metric(name=INTERNAL_ERRORS, unit=MetricUnit.Count, value=1)
        logger.exception("request failed", extra={APP_STATUS: 500})
        segment.add_exception(exc, remote=False)
        return internal_error(request_id)


def _is_list_route(event: dict[str, Any], method: str, path: str) -> bool:
    route_key = event.get("routeKey")
    if route_key == API_ROUTE_KEY:
        return True
    if route_key != DEFAULT_ROUTE:
        return False
    # A catch-all route sends everything here; outside the $default stage the path starts with it.
    stage = str((event.get("requestContext") or {}).get("stage") or DEFAULT_STAGE)
    if stage != DEFAULT_STAGE and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    return method == ROUTE_METHOD and path == ROUTE_PATH


def _list_objects(
    event: dict[str, Any], request_id: str, state: Runtime, emitter: XRayEmitter, segment: Subsegment
) -> Response:
    config = state.config
    try:
        query = parse_query(
            event,
            config.token_secret,
            previous_secret=config.previous_token_secret,
            token_lifetime=config.token_lifetime,
        )
    except BadRequestError as exc:
        metrics.add_metric(name=BAD_REQUESTS, unit=MetricUnit.Count, value=1)
        logger.info("bad request", extra={APP_STATUS: 400, "reason": str(exc)})
        return bad_request(str(exc))
    logger.debug("listing", extra={"prefix": query.prefix, "limit": query.limit})

    s3_segment = emitter.begin("s3", parent=segment, namespace="aws")  # as the X-Ray SDK names it
    s3_segment.aws.update(
        {"operation": OPERATION, "region": config.region, "bucket_name": config.bucket_name}
    )
    started = time.perf_counter()
    try:
        page = list_page(state.s3, config.bucket_name, query)
    except Exception as exc:
        _record_s3_failure(s3_segment, exc, started)
        emitter.end(s3_segment)
        if not is_throttling(exc):
            raise
        metrics.add_metric(name=S3_THROTTLED, unit=MetricUnit.Count, value=1)
        logger.warning("S3 throttled the listing", extra={APP_STATUS: 503, "s3_error": _error_code(exc)})
        return service_unavailable(request_id)
    _record_s3_success(s3_segment, page.response_metadata, started)
    emitter.end(s3_segment)

    next_token = None
    if page.continuation:
        next_token = encode_token(config.token_secret, query.prefix, page.continuation)
    metrics.add_metric(name=LIST_REQUESTS, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name=OBJECTS_LISTED, unit=MetricUnit.Count, value=len(page.items))
    logger.info("listed objects", extra={APP_STATUS: 200, "count": len(page.items)})
    return json_response(200, {"items": page.items, "count": len(page.items), "next_token": next_token})


def _record_s3_latency(started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    metrics.add_metric(name=S3_LATENCY, unit=MetricUnit.Milliseconds, value=round(elapsed_ms, 3))


def _record_s3_request(s3_segment: Subsegment, metadata: dict[str, Any], started: float) -> None:
    _record_s3_latency(started)
    s3_segment.aws["request_id"] = metadata.get("RequestId")
    s3_segment.aws["retries"] = metadata.get("RetryAttempts", 0)


def _record_s3_success(s3_segment: Subsegment, metadata: dict[str, Any], started: float) -> None:
    _record_s3_request(s3_segment, metadata, started)
    s3_segment.http = {"response": {"status": metadata.get("HTTPStatusCode")}}


def _record_s3_failure(s3_segment: Subsegment, exc: BaseException, started: float) -> None:
    response = getattr(exc, "response", None)
    metadata = (response or {}).get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    _record_s3_request(s3_segment, metadata, started)
    status = metadata.get("HTTPStatusCode")
    if status:
        s3_segment.http = {"response": {"status": status}}
    s3_segment.throttle = is_throttling(exc)
    s3_segment.error = s3_segment.throttle or bool(status and 400 <= status < 500)
    s3_segment.fault = not s3_segment.error
    s3_segment.add_exception(exc, remote=response is not None)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    return str((response or {}).get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


# The end of the import: everything imported stays, so freeze it, but only where this process is the
# function (a test run or the local gateway would freeze its whole heap): see signals/lambda_env.py.
lambda_env.resume_gc(_GC_WAS_ENABLED, freeze=lambda_env.in_lambda_runtime(os.environ))
