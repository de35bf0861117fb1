"""Metric namespaces, names and dimensions: the single source for emitters, alarms and dashboards.

Custom metrics are emitted as CloudWatch Embedded Metric Format (EMF) by Powertools (function) or
by the shipper. AWS-published metrics are listed here with exactly the names AWS uses, so alarms
and dashboards never retype them.
"""

from typing import Final

__all__ = [
    "APIGW_4XX",
    "APIGW_5XX",
    "APIGW_COUNT",
    "APIGW_DATA_PROCESSED",
    "APIGW_DIM_API_ID",
    "APIGW_DIM_METHOD",
    "APIGW_DIM_RESOURCE",
    "APIGW_DIM_STAGE",
    "APIGW_INTEGRATION_LATENCY",
    "APIGW_LATENCY",
    "APIGW_METRICS",
    "APIGW_NAMESPACE",
    "AWS_PUBLISHED",
    "BAD_REQUESTS",
    "COLD_START",
    "DIM_FUNCTION_NAME",
    "DIM_SERVICE",
    "FUNCTION_METRICS",
    "INTERNAL_ERRORS",
    "LAMBDA_ASYNC_AGE",
    "LAMBDA_ASYNC_DROPPED",
    "LAMBDA_ASYNC_RECEIVED",
    "LAMBDA_CONCURRENT",
    "LAMBDA_DIM_FUNCTION",
    "LAMBDA_DURATION",
    "LAMBDA_ERRORS",
    "LAMBDA_INVOCATIONS",
    "LAMBDA_METRICS",
    "LAMBDA_NAMESPACE",
    "LAMBDA_THROTTLES",
    "LIST_REQUESTS",
    "LOGMETRIC_APP_ERRORS",
    "LOGMETRIC_SHIPPER_DEAD_LETTERS",
    "LOGMETRIC_TASK_TIMEOUTS",
    "LOGS_DELIVERY_ERRORS",
    "LOGS_DELIVERY_THROTTLING",
    "LOGS_DIM_DESTINATION",
    "LOGS_DIM_FILTER",
    "LOGS_DIM_LOG_GROUP",
    "LOGS_METRICS",
    "LOGS_NAMESPACE",
    "LOG_METRICS",
    "LOG_METRIC_NAMESPACE",
    "NAMESPACE",
    "OBJECTS_LISTED",
    "S3_LATENCY",
    "S3_THROTTLED",
    "SHIPPER_BULK_BYTES",
    "SHIPPER_BULK_REQUESTS",
    "SHIPPER_DOCS_DEAD_LETTERED",
    "SHIPPER_DOCS_INDEXED",
    "SHIPPER_DOCS_RETRIED",
    "SHIPPER_EMF_SKIPPED",
    "SHIPPER_EVENTS_RECEIVED",
    "SHIPPER_INGEST_LAG",
    "SHIPPER_METRICS",
]

# --- Custom namespace (EMF) ------------------------------------------------------------------
NAMESPACE: Final = "ObsPlatform"
"""Namespace of every custom metric this project emits."""

DIM_SERVICE: Final = "service"
"""Dimension Powertools adds to every EMF metric (value: a name from ``signals.services``)."""

DIM_FUNCTION_NAME: Final = "function_name"
"""Extra dimension of Powertools' ``ColdStart`` metric only."""

# Emitted by function/ (service = objects-api)
COLD_START: Final = "ColdStart"
"""Powertools' own cold-start metric (Count), dimensions: function_name, service."""
LIST_REQUESTS: Final = "ListRequests"
"""Successful list calls (Count)."""
OBJECTS_LISTED: Final = "ObjectsListed"
"""Objects returned per request (Count); Sum/SampleCount over a period gives objects per request."""
BAD_REQUESTS: Final = "BadRequests"
"""Requests rejected as the caller's fault: 400 (validation) or 404 (unknown route) (Count)."""
FORBIDDEN_REQUESTS: Final = "ForbiddenRequests"
"""Authenticated callers refused with 403 because they are not in ALLOWED_CALLERS (Count)."""
S3_THROTTLED: Final = "S3Throttled"
"""S3 throttling answered with 503 (Count)."""
INTERNAL_ERRORS: Final = "InternalErrors"
"""Requests answered with 500 (Count)."""
S3_LATENCY: Final = "S3ListLatency"
"""Time spent in ListObjectsV2 (Milliseconds)."""

FUNCTION_METRICS: Final = (
    COLD_START,
    LIST_REQUESTS,
    OBJECTS_LISTED,
    BAD_REQUESTS,
    FORBIDDEN_REQUESTS,
    S3_THROTTLED,
    INTERNAL_ERRORS,
    S3_LATENCY,
)

# Emitted by log_pipeline/ (service = log-shipper)
SHIPPER_EVENTS_RECEIVED: Final = "EventsReceived"
SHIPPER_DOCS_INDEXED: Final = "DocumentsIndexed"
SHIPPER_DOCS_RETRIED: Final = "DocumentsRetried"
SHIPPER_DOCS_DEAD_LETTERED: Final = "DocumentsDeadLettered"
SHIPPER_EMF_SKIPPED: Final = "EmfEventsSkipped"
SHIPPER_BULK_REQUESTS: Final = "BulkRequests"
SHIPPER_BULK_BYTES: Final = "BulkBytes"
SHIPPER_INGEST_LAG: Final = "MaxIngestLag"
"""Milliseconds between the oldest event's CloudWatch timestamp and indexing (Maximum)."""

SHIPPER_METRICS: Final = (
    SHIPPER_EVENTS_RECEIVED,
    SHIPPER_DOCS_INDEXED,
    SHIPPER_DOCS_RETRIED,
    SHIPPER_DOCS_DEAD_LETTERED,
    SHIPPER_EMF_SKIPPED,
    SHIPPER_BULK_REQUESTS,
    SHIPPER_BULK_BYTES,
    SHIPPER_INGEST_LAG,
)

# --- AWS-published metrics (names exactly as AWS publishes them) ------------------------------
LAMBDA_NAMESPACE: Final = "AWS/Lambda"
LAMBDA_DIM_FUNCTION: Final = "FunctionName"
LAMBDA_INVOCATIONS: Final = "Invocations"
LAMBDA_ERRORS: Final = "Errors"
LAMBDA_THROTTLES: Final = "Throttles"
LAMBDA_DURATION: Final = "Duration"
LAMBDA_CONCURRENT: Final = "ConcurrentExecutions"
LAMBDA_ASYNC_RECEIVED: Final = "AsyncEventsReceived"
LAMBDA_ASYNC_AGE: Final = "AsyncEventAge"
LAMBDA_ASYNC_DROPPED: Final = "AsyncEventsDropped"
LAMBDA_METRICS: Final = (
    LAMBDA_INVOCATIONS,
    LAMBDA_ERRORS,
    LAMBDA_THROTTLES,
    LAMBDA_DURATION,
    LAMBDA_CONCURRENT,
    LAMBDA_ASYNC_RECEIVED,
    LAMBDA_ASYNC_AGE,
    LAMBDA_ASYNC_DROPPED,
)

APIGW_NAMESPACE: Final = "AWS/ApiGateway"
APIGW_DIM_API_ID: Final = "ApiId"
APIGW_DIM_STAGE: Final = "Stage"
APIGW_DIM_METHOD: Final = "Method"
APIGW_DIM_RESOURCE: Final = "Resource"
APIGW_COUNT: Final = "Count"
APIGW_4XX: Final = "4xx"
APIGW_5XX: Final = "5xx"
APIGW_LATENCY: Final = "Latency"
APIGW_INTEGRATION_LATENCY: Final = "IntegrationLatency"
APIGW_DATA_PROCESSED: Final = "DataProcessed"
APIGW_METRICS: Final = (
    APIGW_COUNT,
    APIGW_4XX,
    APIGW_5XX,
    APIGW_LATENCY,
    APIGW_INTEGRATION_LATENCY,
    APIGW_DATA_PROCESSED,
)

LOGS_NAMESPACE: Final = "AWS/Logs"
LOGS_DIM_LOG_GROUP: Final = "LogGroupName"
LOGS_DIM_DESTINATION: Final = "DestinationType"
LOGS_DIM_FILTER: Final = "FilterName"
LOGS_DELIVERY_ERRORS: Final = "DeliveryErrors"
LOGS_DELIVERY_THROTTLING: Final = "DeliveryThrottling"
LOGS_METRICS: Final = (LOGS_DELIVERY_ERRORS, LOGS_DELIVERY_THROTTLING)

# Metrics made by log metric filters (alerts/ defines the filters; namespace is ours).
LOG_METRIC_NAMESPACE: Final = "ObsPlatform/Logs"
LOGMETRIC_APP_ERRORS: Final = "ApplicationErrorLines"
LOGMETRIC_TASK_TIMEOUTS: Final = "TaskTimedOut"
LOGMETRIC_SHIPPER_DEAD_LETTERS: Final = "ShipperDeadLetterLines"
LOG_METRICS: Final = (LOGMETRIC_APP_ERRORS, LOGMETRIC_TASK_TIMEOUTS, LOGMETRIC_SHIPPER_DEAD_LETTERS)

AWS_PUBLISHED: Final[dict[str, tuple[str, ...]]] = {
    LAMBDA_NAMESPACE: LAMBDA_METRICS,
    APIGW_NAMESPACE: APIGW_METRICS,
    LOGS_NAMESPACE: LOGS_METRICS,
}
"""Every AWS-published metric this project reads, by namespace (for contract tests)."""
