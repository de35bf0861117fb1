"""The AWS emulator of the local stack: a moto server in-process on 127.0.0.1, seeded like a deploy.

It creates what Terraform creates for the data path (with the names of :class:`LocalNames`): a KMS
key with rotation, the data bucket (SSE-KMS with a bucket key, public access blocked, TLS-only
policy) with sample objects, the dead-letter bucket, the log groups (KMS-encrypted, with a
retention) and the alarm topic. Where moto differs from AWS (it does not enforce bucket policies
or evaluate alarms) the stack says so in its README; the gateway and the demo reproduce the parts
that matter at the boundary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from local_platform.names import LocalNames

__all__ = [
    "LOG_RETENTION_DAYS",
    "SAMPLE_OBJECT_COUNT",
    "Emulator",
    "sample_key",
    "seed_resources",
    "start_emulator",
]

SAMPLE_OBJECT_COUNT = 250
LOG_RETENTION_DAYS = 30


@dataclass
class Emulator:
    """A running moto server and the names it was seeded with."""

    endpoint: str
    names: LocalNames
    access_key: str = "testing"
    secret_key: str = "testing"  # noqa: S105 - moto's well-known local credentials
    kms_key_arn: str = ""
    _server: Any = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=self.names.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def start_emulator(
    names: LocalNames | None = None, *, seed: bool = True, objects: int = SAMPLE_OBJECT_COUNT
) -> Emulator:
    """Start moto's server on a free loopback port and (by default) create the platform's resources."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    # moto reads credentials from the environment for its own account id; keep them local.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    emulator = Emulator(endpoint=f"http://{host}:{port}", names=names or LocalNames(), _server=server)
    if seed:
        seed_resources(emulator, objects=objects)
    return emulator


def seed_resources(emulator: Emulator, *, objects: int = SAMPLE_OBJECT_COUNT) -> None:
    names = emulator.names
    kms = emulator.client("kms")
    key = kms.create_key(Description=f"{names.prefix} data, logs and alerts", KeyUsage="ENCRYPT_DECRYPT")
    key_id = key["KeyMetadata"]["KeyId"]
    emulator.kms_key_arn = key["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.create_alias(AliasName=names.kms_alias, TargetKeyId=key_id)

    s3 = emulator.client("s3")
    for bucket in (names.data_bucket, names.dead_letter_bucket):
        _create_private_bucket(s3, bucket, names.region, emulator.kms_key_arn)
    for i in range(objects):
        s3.put_object(
            Bucket=names.data_bucket,
            Key=sample_key(i),
            Body=f"sample object {i}\n".encode() * (i % 7 + 1),
        )

    logs = emulator.client("logs")
    for group in (names.function_log_group, names.access_log_group, names.shipper_log_group):
        logs.create_log_group(logGroupName=group, kmsKeyId=emulator.kms_key_arn)
        logs.put_retention_policy(logGroupName=group, retentionInDays=LOG_RETENTION_DAYS)

    sns = emulator.client("sns")
    sns.create_topic(Name=names.alarm_topic_name, Attributes={"KmsMasterKeyId": names.kms_alias})
    sns.create_topic(Name=names.chat_topic_name, Attributes={"KmsMasterKeyId": names.kms_alias})


def sample_key(i: int) -> str:
    """Sample object keys: a few prefixes, nested folders, a non-ASCII name, to exercise paging."""
    folder = ("reports", "images", "logs/2026", "données")[i % 4]
    return f"{folder}/object-{i:04d}.txt"


def _create_private_bucket(s3: Any, bucket: str, region: str, kms_key_arn: str) -> None:
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    # Terraform also attaches a TLS-only bucket policy (deny when aws:SecureTransport is false). moto
    # enforces bucket policies, and the emulator speaks plain HTTP on loopback, so that statement
    # would deny every local call; it is checked by the infra policy tests instead.
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
