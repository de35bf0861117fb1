"""Fixtures for the shipper's unit tests: a scripted ``_bulk`` endpoint and a moto dead-letter bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.log_pipeline.bulk_sink import ScriptedBulk, running_sink


@pytest.fixture
def scripted_bulk() -> Iterator[ScriptedBulk]:
    with running_sink() as sink:
        yield sink


@pytest.fixture
def dead_letter_bucket() -> Iterator[Any]:
    """A moto S3 bucket and KMS key for the dead-letter store; yields (client, bucket, key_id)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        kms = boto3.client("kms", region_name="eu-west-1")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        s3.create_bucket(Bucket="dead-letters", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield s3, "dead-letters", key_id
