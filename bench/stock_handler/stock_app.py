"""The baseline for the cold-start benchmark: the same listing, written the usual Powertools way.

Logger, Metrics and Tracer as module globals configured from the environment, the three
decorators, Tracer's default auto-patching (aws_xray_sdk ``patch_all``), and a boto3 client made at
import. Same S3 call, same response shape; no hand-tuning, so the comparison is honest.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

tracer = Tracer()
logger = Logger()
metrics = Metrics()
s3 = boto3.client("s3")
BUCKET_NAME = os.environ["BUCKET_NAME"]


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    params = event.get("queryStringParameters") or {}
    kwargs: dict[str, Any] = {"Bucket": BUCKET_NAME, "MaxKeys": int(params.get("limit", "100"))}
    if params.get("prefix"):
        kwargs["Prefix"] = params["prefix"]
    response = s3.list_objects_v2(**kwargs)
    items = [
        {
            "key": obj["Key"],
            "size": obj["Size"],
            "last_modified": obj["LastModified"].isoformat(),
            "etag": obj["ETag"].strip('"'),
            "storage_class": obj.get("StorageClass", "STANDARD"),
        }
        for obj in response.get("Contents", [])
    ]
    metrics.add_metric(name="ListRequests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ObjectsListed", unit=MetricUnit.Count, value=len(items))
    logger.info("listed objects", extra={"count": len(items)})
    body = {"items": items, "count": len(items), "next_token": response.get("NextContinuationToken")}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
