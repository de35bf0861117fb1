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


def put_sample_objects(s3: Any, bucket: str, objects: int = SAMPLE_OBJECT_COUNT) -> None:
    """Data, not infrastructure: sample objects in the bucket Terraform created, written by ``s3``
    (a client of a principal the bucket policy admits: an operator)."""
    for i in range(objects):
        s3.put_object(Bucket=bucket, Key=sample_key(i), Body=f"sample object {i}\n".encode() * (i % 7 + 1))


def sample_key(i: int) -> str:
    """Sample object keys: a few prefixes, nested folders, a non-ASCII name, to exercise paging."""
    folder = ("reports", "images", "logs/2026", "données")[i % 4]
    return f"{folder}/object-{i:04d}.txt"
