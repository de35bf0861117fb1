"""Fixtures for the listing function: an in-process moto S3, the Lambda environment, the handler."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .support import BUCKET, CALLER_ARN, REGION, SECRET, LambdaContext


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment Lambda and Terraform give the function (no emulator endpoint: moto in-process)."""
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_PROFILE",
        "_X_AMZN_TRACE_ID",
        "AWS_XRAY_DAEMON_ADDRESS",
        "POWERTOOLS_LOGGER_SAMPLE_RATE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", LambdaContext.function_name)
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("NEXT_TOKEN_SECRET", SECRET)
    monkeypatch.setenv("ALLOWED_CALLERS", CALLER_ARN)
    monkeypatch.setenv("S3_MAX_ATTEMPTS", "1")
    from function import app

    app.reset_runtime()
    yield
    app.reset_runtime()


@pytest.fixture
def s3(function_env: None) -> Iterator[Any]:
    """moto's S3 in-process, with the function's (empty) bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


Invoke = Callable[[dict[str, Any]], tuple[dict[str, Any], list[dict[str, Any]]]]


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Invoke:
    """Run the real handler; return its response and every JSON line it printed (logs and EMF)."""
    from function.app import handler

    def run(event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        capsys.readouterr()
        response = handler(event, LambdaContext())
        out = capsys.readouterr().out
        return response, [json.loads(line) for line in out.splitlines() if line.strip()]

    return run
