"""The AWS emulator of the local stack: a moto server in-process on 127.0.0.1.

It starts empty, with the project's moto extensions installed (local_platform.emulator_extensions);
``terraform apply`` of ``infra/live`` then creates the platform in it (local_platform.deployment), and
the only thing put in by hand is data: sample objects in the data bucket Terraform created. Where moto
differs from AWS (it does not evaluate alarms, nor bucket-policy conditions) the stack's README says
so; the gateway and the demo reproduce the parts that matter at the boundary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from local_platform.names import LocalNames

__all__ = [
    "SAMPLE_OBJECT_COUNT",
    "Emulator",
    "put_sample_objects",
    "sample_key",
    "start_emulator",
]

SAMPLE_OBJECT_COUNT = 250


@dataclass
class Emulator:
    """A running moto server and the names it was seeded with."""

    endpoint: str
    names: LocalNames
    access_key: str = "testing"
    secret_key: str = "testing"  # noqa: S105 - moto's well-known local credentials
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


def start_emulator(names: LocalNames | None = None) -> Emulator:
    """Start moto's server, empty, on a free loopback port (Terraform fills it: local_platform.deployment)."""
    import logging

    from moto.server import ThreadedMotoServer

    from local_platform import emulator_extensions

    emulator_extensions.install()
    # An API moto lacks (Managed Grafana, which the apply reports) makes werkzeug print a traceback.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

    # moto reads credentials from the environment for its own account id; keep them local.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return Emulator(endpoint=f"http://{host}:{port}", names=names or LocalNames(), _server=server)


def put_sample_objects(emulator: Emulator, bucket: str, objects: int = SAMPLE_OBJECT_COUNT) -> None:
    """Data, not infrastructure: sample objects in the bucket Terraform created.

    Written through moto's S3 backend: moto evaluates a bucket policy's conditional Deny statements as
    matching whatever the request context (a TLS-only or only-these-principals statement refuses every
    object write over its plain-HTTP endpoint), and the data bucket has both.
    """
    from moto.backends import get_backend

    s3 = get_backend("s3")[emulator.names.account_id]["aws"]
    for i in range(objects):
        s3.put_object(bucket, sample_key(i), f"sample object {i}\n".encode() * (i % 7 + 1))


def sample_key(i: int) -> str:
    """Sample object keys: a few prefixes, nested folders, a non-ASCII name, to exercise paging."""
    folder = ("reports", "images", "logs/2026", "données")[i % 4]
    return f"{folder}/object-{i:04d}.txt"
