"""Log document field names, index names and the API access-log format.

The shipper (log_pipeline/) writes documents with these field names; the index templates map
them; the dashboards query them. Names follow the Elastic Common Schema where one exists.
"""

from typing import Final

__all__ = [
    "ACCESS_LOG_FORMAT",
    "ACCESS_LOG_TO_FIELD",
    "ALL_INDICES_PATTERN",
    "APP_CALLER_ACCOUNT",
    "APP_CALLER_ARN",
    "APP_ROUTE",
    "APP_STATUS",
    "CALLER_ACCOUNT",
    "CALLER_ARN",
    "CLOUD_ACCOUNT_ID",
    "CLOUD_REGION",
    "CODE_LOCATION",
    "CORRELATION_ID",
    "CW_EVENT_ID",
    "CW_INGESTION_TIME",
    "CW_LOG_GROUP",
    "CW_LOG_STREAM",
    "ERROR_MESSAGE",
    "ERROR_STACK_TRACE",
    "ERROR_TYPE",
    "EVENT_KIND",
    "EVENT_KINDS",
    "EXTRA",
    "HTTP_INTEGRATION_ERROR",
    "HTTP_INTEGRATION_LATENCY_MS",
    "HTTP_LATENCY_MS",
    "HTTP_METHOD",
    "HTTP_PATH",
    "HTTP_REQUEST_ID",
    "HTTP_RESPONSE_BYTES",
    "HTTP_ROUTE",
    "HTTP_STATUS",
    "INDEX_PREFIX",
    "KIND_ACCESS",
    "KIND_APPLICATION",
    "KIND_PLATFORM",
    "LAMBDA_BILLED_DURATION_MS",
    "LAMBDA_COLD_START",
    "LAMBDA_DURATION_MS",
    "LAMBDA_FUNCTION_NAME",
    "LAMBDA_INIT_DURATION_MS",
    "LAMBDA_MAX_MEMORY_USED_MB",
    "LAMBDA_MEMORY_SIZE_MB",
    "LAMBDA_PLATFORM_TYPE",
    "LAMBDA_REQUEST_ID",
    "LAMBDA_RESTORE_DURATION_MS",
    "LAMBDA_STATUS",
    "LOG_LEVEL",
    "LOG_LOGGER",
    "MESSAGE",
    "POWERTOOLS_KEYS",
    "PT_COLD_START",
    "PT_CORRELATION_ID",
    "PT_EXCEPTION",
    "PT_EXCEPTION_NAME",
    "PT_FUNCTION_ARN",
    "PT_FUNCTION_MEMORY",
    "PT_FUNCTION_NAME",
    "PT_LEVEL",
    "PT_LOCATION",
    "PT_MESSAGE",
    "PT_REQUEST_ID",
    "PT_SERVICE",
    "PT_STACK_TRACE",
    "PT_TIMESTAMP",
    "PT_XRAY_TRACE_ID",
    "SERVICE_NAME",
    "SHIPPER_DEAD_LETTER_MESSAGE",
    "SOURCE_IP",
    "TIMESTAMP",
    "TRACE_ID",
    "UNMAPPED",
    "USER_AGENT",
    "index_pattern",
]

# --- Document fields (OpenSearch) ------------------------------------------------------------
TIMESTAMP: Final = "@timestamp"
MESSAGE: Final = "message"
LOG_LEVEL: Final = "log.level"
LOG_LOGGER: Final = "log.logger"
SERVICE_NAME: Final = "service.name"
CLOUD_REGION: Final = "cloud.region"
CLOUD_ACCOUNT_ID: Final = "cloud.account.id"
CW_LOG_GROUP: Final = "aws.cloudwatch.log_group"
CW_LOG_STREAM: Final = "aws.cloudwatch.log_stream"
CW_EVENT_ID: Final = "aws.cloudwatch.event_id"
CW_INGESTION_TIME: Final = "event.ingested"
LAMBDA_REQUEST_ID: Final = "aws.lambda.request_id"
LAMBDA_FUNCTION_NAME: Final = "aws.lambda.function_name"
LAMBDA_COLD_START: Final = "aws.lambda.cold_start"
LAMBDA_DURATION_MS: Final = "aws.lambda.duration_ms"
LAMBDA_BILLED_DURATION_MS: Final = "aws.lambda.billed_duration_ms"
LAMBDA_MEMORY_SIZE_MB: Final = "aws.lambda.memory_size_mb"
LAMBDA_MAX_MEMORY_USED_MB: Final = "aws.lambda.max_memory_used_mb"
LAMBDA_INIT_DURATION_MS: Final = "aws.lambda.init_duration_ms"
LAMBDA_RESTORE_DURATION_MS: Final = "aws.lambda.restore_duration_ms"
LAMBDA_STATUS: Final = "aws.lambda.status"
LAMBDA_PLATFORM_TYPE: Final = "aws.lambda.platform_type"
"""start, end, report, timeout, init... (the platform line's kind)."""
TRACE_ID: Final = "trace.id"
CORRELATION_ID: Final = "correlation.id"
EVENT_KIND: Final = "event.kind"
ERROR_TYPE: Final = "error.type"
ERROR_MESSAGE: Final = "error.message"
ERROR_STACK_TRACE: Final = "error.stack_trace"
CODE_LOCATION: Final = "code.location"
HTTP_METHOD: Final = "http.request.method"
HTTP_ROUTE: Final = "http.route"
HTTP_PATH: Final = "url.path"
HTTP_STATUS: Final = "http.response.status_code"
HTTP_RESPONSE_BYTES: Final = "http.response.body.bytes"
HTTP_LATENCY_MS: Final = "http.response.latency_ms"
HTTP_INTEGRATION_LATENCY_MS: Final = "http.response.integration_latency_ms"
HTTP_INTEGRATION_ERROR: Final = "http.response.integration_error"
HTTP_REQUEST_ID: Final = "http.request.id"
SOURCE_IP: Final = "source.ip"
USER_AGENT: Final = "user_agent.original"
CALLER_ARN: Final = "user.arn"
CALLER_ACCOUNT: Final = "user.account_id"
EXTRA: Final = "labels"
"""Keys the code adds freely (mapped as flat_object: no mapping explosion, no type conflicts)."""
UNMAPPED: Final = "unmapped"
"""Values moved aside as JSON strings after a mapping conflict, so nothing is lost."""

# event.kind values
KIND_APPLICATION: Final = "application"
KIND_PLATFORM: Final = "platform"
KIND_ACCESS: Final = "access"
EVENT_KINDS: Final = (KIND_APPLICATION, KIND_PLATFORM, KIND_ACCESS)

# --- Indices ---------------------------------------------------------------------------------
INDEX_PREFIX: Final = "logs"
"""Index name is ``{INDEX_PREFIX}-{kind}-{YYYY.MM.DD}`` (UTC); templates match ``logs-{kind}-*``."""


def index_pattern(kind: str) -> str:
    """The index pattern of one kind, for templates and dashboards."""
    return f"{INDEX_PREFIX}-{kind}-*"


ALL_INDICES_PATTERN: Final = f"{INDEX_PREFIX}-*"

# --- Powertools Logger keys (what the function prints) ---------------------------------------
PT_LEVEL: Final = "level"
PT_LOCATION: Final = "location"
PT_MESSAGE: Final = "message"
PT_TIMESTAMP: Final = "timestamp"
PT_SERVICE: Final = "service"
PT_COLD_START: Final = "cold_start"
PT_FUNCTION_NAME: Final = "function_name"
PT_FUNCTION_MEMORY: Final = "function_memory_size"
PT_FUNCTION_ARN: Final = "function_arn"
PT_REQUEST_ID: Final = "function_request_id"
PT_CORRELATION_ID: Final = "correlation_id"
PT_XRAY_TRACE_ID: Final = "xray_trace_id"
PT_EXCEPTION: Final = "exception"
PT_EXCEPTION_NAME: Final = "exception_name"
PT_STACK_TRACE: Final = "stack_trace"
POWERTOOLS_KEYS: Final = (
    PT_LEVEL,
    PT_LOCATION,
    PT_MESSAGE,
    PT_TIMESTAMP,
    PT_SERVICE,
    PT_COLD_START,
    PT_FUNCTION_NAME,
    PT_FUNCTION_MEMORY,
    PT_FUNCTION_ARN,
    PT_REQUEST_ID,
    PT_CORRELATION_ID,
    PT_XRAY_TRACE_ID,
)
# Keys the function appends for audit
APP_CALLER_ARN: Final = "caller_arn"
APP_CALLER_ACCOUNT: Final = "caller_account_id"
APP_ROUTE: Final = "route"
APP_STATUS: Final = "status"

# The shipper's dead-letter log line: log_pipeline/ logs it (Powertools, level ERROR) each time it
# writes documents to the dead-letter bucket; alerts/ counts it with a log metric filter.
SHIPPER_DEAD_LETTER_MESSAGE: Final = "documents dead-lettered"

# --- API Gateway access log (one definition for the local gateway and the Terraform stage) ----
ACCESS_LOG_FORMAT: Final[dict[str, str]] = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationErrorMessage": "$context.integrationErrorMessage",
    "errorMessage": "$context.error.message",
    "sourceIp": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "callerArn": "$context.identity.userArn",
    "callerAccountId": "$context.identity.accountId",
    "apiId": "$context.apiId",
    "stage": "$context.stage",
}
"""API Gateway ``$context`` access-log template, rendered to JSON for the stage's ``format``.

API Gateway writes every value as a JSON string (``"-"`` when empty); the shipper converts the
numeric ones. The local gateway (obsctl) writes the same keys with the same conventions.
"""

ACCESS_LOG_TO_FIELD: Final[dict[str, str]] = {
    "requestId": HTTP_REQUEST_ID,
    "httpMethod": HTTP_METHOD,
    "routeKey": HTTP_ROUTE,
    "path": HTTP_PATH,
    "status": HTTP_STATUS,
    "responseLength": HTTP_RESPONSE_BYTES,
    "responseLatency": HTTP_LATENCY_MS,
    "integrationLatency": HTTP_INTEGRATION_LATENCY_MS,
    "integrationErrorMessage": HTTP_INTEGRATION_ERROR,
    "sourceIp": SOURCE_IP,
    "userAgent": USER_AGENT,
    "callerArn": CALLER_ARN,
    "callerAccountId": CALLER_ACCOUNT,
}
"""Where the shipper puts each access-log key in the document."""
