"""Environment variable names read by the Lambdas and the local stack, as typed constants."""

from typing import Final

__all__ = [
    "ENV_AWS_DEFAULT_REGION",
    "ENV_AWS_LAMBDA_FUNCTION_NAME",
    "ENV_AWS_LAMBDA_RUNTIME_API",
    "ENV_AWS_REGION",
    "ENV_BUCKET_NAME",
    "ENV_BULK_MAX_BYTES",
    "ENV_BULK_MAX_DOCS",
    "ENV_DEAD_LETTER_BUCKET",
    "ENV_DEAD_LETTER_KMS_KEY",
    "ENV_DEAD_LETTER_PREFIX",
    "ENV_DEBUG_SAMPLE_RATE",
    "ENV_LOG_LEVEL",
    "ENV_OPENSEARCH_AUTH",
    "ENV_OPENSEARCH_ENDPOINT",
    "ENV_OPENSEARCH_URL",
    "ENV_POWERTOOLS_METRICS_NAMESPACE",
    "ENV_POWERTOOLS_SERVICE_NAME",
    "ENV_S3_CONNECT_TIMEOUT",
    "ENV_S3_MAX_ATTEMPTS",
    "ENV_S3_READ_TIMEOUT",
    "ENV_SHIP_EMF",
    "ENV_TOKEN_SECRET",
    "ENV_USE_DOCUMENT_ID",
    "ENV_XRAY_DAEMON_ADDRESS",
    "ENV_XRAY_TRACE_ID",
]

# function/
ENV_BUCKET_NAME: Final = "BUCKET_NAME"
ENV_TOKEN_SECRET: Final = "NEXT_TOKEN_SECRET"  # noqa: S105 - a variable name, not a secret
# The Secrets Manager secret holding that key in AWS (infra/live); read once per cold start.
ENV_TOKEN_SECRET_ARN: Final = "NEXT_TOKEN_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
ENV_S3_CONNECT_TIMEOUT: Final = "S3_CONNECT_TIMEOUT"
ENV_S3_READ_TIMEOUT: Final = "S3_READ_TIMEOUT"
ENV_S3_MAX_ATTEMPTS: Final = "S3_MAX_ATTEMPTS"
ENV_ALLOWED_CALLERS: Final = "ALLOWED_CALLERS"
ENV_TOKEN_LIFETIME: Final = "NEXT_TOKEN_LIFETIME_SECONDS"  # noqa: S105 - a variable name
ENV_PREVIOUS_TOKEN_SECRET: Final = "NEXT_TOKEN_PREVIOUS_SECRET"  # noqa: S105 - a variable name
# An emulated S3 endpoint comes from botocore's standard AWS_ENDPOINT_URL_S3 (no setting of ours).
# AWS-defined (set by the Lambda runtime); the function reads the region and trace header
ENV_AWS_DEFAULT_REGION: Final = "AWS_DEFAULT_REGION"
ENV_XRAY_TRACE_ID: Final = "_X_AMZN_TRACE_ID"
ENV_XRAY_DAEMON_ADDRESS: Final = "AWS_XRAY_DAEMON_ADDRESS"
# AWS-defined, reserved: both set in every Lambda execution environment (signals.lambda_env)
ENV_AWS_LAMBDA_FUNCTION_NAME: Final = "AWS_LAMBDA_FUNCTION_NAME"
ENV_AWS_LAMBDA_RUNTIME_API: Final = "AWS_LAMBDA_RUNTIME_API"

# Powertools' own
ENV_POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
ENV_DEBUG_SAMPLE_RATE: Final = "POWERTOOLS_LOGGER_SAMPLE_RATE"

# log_pipeline/
ENV_OPENSEARCH_ENDPOINT: Final = "OPENSEARCH_ENDPOINT"
ENV_OPENSEARCH_AUTH: Final = "OPENSEARCH_AUTH"  # aoss | es | none
ENV_DEAD_LETTER_BUCKET: Final = "DEAD_LETTER_BUCKET"
ENV_DEAD_LETTER_KMS_KEY: Final = "DEAD_LETTER_KMS_KEY_ID"
ENV_BULK_MAX_BYTES: Final = "BULK_MAX_BYTES"
ENV_BULK_MAX_DOCS: Final = "BULK_MAX_DOCS"
ENV_SHIP_EMF: Final = "SHIP_EMF"
ENV_USE_DOCUMENT_ID: Final = "USE_DOCUMENT_ID"
ENV_DEAD_LETTER_PREFIX: Final = "DEAD_LETTER_PREFIX"
# Set by the Lambda runtime; read by the shipper for cloud.region and SigV4.
ENV_AWS_REGION: Final = "AWS_REGION"

# local stack / tests
ENV_OPENSEARCH_URL: Final = "OPENSEARCH_URL"
"""Points obsctl and the tests at an existing OpenSearch instead of starting a node."""
