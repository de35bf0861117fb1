"""The function's IAM policy, proven by behaviour against an IAM-enforcing AWS emulator.

The policy is the ``data "aws_iam_policy_document" "function"`` block of
infra/modules/function/main.tf, rendered from the HCL (tools.hcl), attached to an IAM user
in a moto server that enforces IAM after a few bootstrap calls (INITIAL_NO_AUTH_ACTION_COUNT).
Listing the data bucket must work; reading, writing and deleting objects must be denied, as must
listing any other bucket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tools.hcl import block, render_policy

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FUNCTION_MODULE = REPO / "infra" / "modules" / "function"
REGION: Final = "eu-west-1"
ACCOUNT = "123456789012"
DATA_BUCKET = "obs-platform-data-123456789012"
OTHER_BUCKET = "another-team-bucket"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/obs-platform-objects-api"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b0b0b0b-1111-2222-3333-444444444444"
# Calls served before IAM is enforced: create the admin user, its policy and its access key.
BOOTSTRAP_CALLS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def enforcing_moto() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(BOOTSTRAP_CALLS)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _config() -> Config:
    return Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})


def _s3(url: str, key: str, secret: str) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_config(),
    )


def _iam(url: str, key: str, secret: str) -> IAMClient:
    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_config(),
    )


def _function_policy_json() -> str:
    document = block(FUNCTION_MODULE, "data", "aws_iam_policy_document", "function").body
    return render_policy(
        document,
        {
            "statement.value": f"arn:aws:s3:::{DATA_BUCKET}",
            "aws_cloudwatch_log_group.this.arn": LOG_GROUP_ARN,
            "var.kms_key_arn": KMS_KEY_ARN,
        },
        where="function policy",
    )


@pytest.fixture(scope="module")
def admin_keys(enforcing_moto: str) -> tuple[str, str]:
    """An administrator created within the unauthenticated bootstrap budget; IAM is enforced after."""
    iam = _iam(enforcing_moto, "bootstrap", "bootstrap")
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="admin",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
    )
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = (key["AccessKeyId"], key["SecretAccessKey"])
    # The data bucket with an object, and another team's bucket
    admin_s3 = _s3(enforcing_moto, *admin)
    for name in (DATA_BUCKET, OTHER_BUCKET):
        admin_s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        admin_s3.put_object(Bucket=name, Key="reports/2026.csv", Body=b"a,b\n")
    return admin


def _s3_with_policy(url: str, admin: tuple[str, str], user: str, policy_json: str) -> S3Client:
    iam = _iam(url, *admin)
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=policy_json)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return _s3(url, key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def function_s3(enforcing_moto: str, admin_keys: tuple[str, str]) -> S3Client:
    """An S3 client holding exactly the policy rendered from the function module's HCL."""
    return _s3_with_policy(enforcing_moto, admin_keys, "function", _function_policy_json())


def _denied(call: Callable[[], object]) -> str:
    with pytest.raises(ClientError) as info:
        call()
    return str(info.value.response["Error"]["Code"])


def test_enforcement_is_on(enforcing_moto: str, function_s3) -> None:
    # Given the bootstrap budget is spent, when an unknown key calls, then IAM rejects it
    stranger = _s3(enforcing_moto, "AKIAUNKNOWN000000000", "nope")
    code = _denied(lambda: stranger.list_objects_v2(Bucket=DATA_BUCKET))
    assert code in {"InvalidAccessKeyId", "AccessDenied"}


def test_function_can_list_the_data_bucket(function_s3) -> None:
    listed = function_s3.list_objects_v2(Bucket=DATA_BUCKET)
    assert [o["Key"] for o in listed["Contents"]] == ["reports/2026.csv"]


def test_function_cannot_get_put_or_delete_objects(function_s3) -> None:
    key = "reports/2026.csv"
    assert _denied(lambda: function_s3.get_object(Bucket=DATA_BUCKET, Key=key)) == "AccessDenied"
    assert _denied(lambda: function_s3.put_object(Bucket=DATA_BUCKET, Key="x", Body=b"x")) == "AccessDenied"
    assert _denied(lambda: function_s3.delete_object(Bucket=DATA_BUCKET, Key=key)) == "AccessDenied"


def test_function_cannot_list_another_bucket(function_s3) -> None:
    assert _denied(lambda: function_s3.list_objects_v2(Bucket=OTHER_BUCKET)) == "AccessDenied"


def test_the_harness_would_catch_a_wider_policy(enforcing_moto: str, admin_keys: tuple[str, str]) -> None:
    # Given a policy that wrongly grants s3:GetObject (the same harness, another principal)
    too_wide = render_policy(
        {"statement": [{"sid": "Oops", "effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"]}]},
        {},
    )
    s3 = _s3_with_policy(enforcing_moto, admin_keys, "too-wide", too_wide)
    # Then the read succeeds: the denials above come from the function's policy, not the emulator
    assert s3.get_object(Bucket=DATA_BUCKET, Key="reports/2026.csv")["Body"].read() == b"a,b\n"
