"""The AWS emulator of the local stack: a moto server on 127.0.0.1, in-process (``obsctl serve``,
``make demo``) or in a process of its own (``process=True``: the test session, whose unit tests
reset the in-process moto with ``mock_aws``). Everything talks to it over HTTP.

It starts empty, with the project's moto extensions installed (local_platform.emulator_extensions);
``terraform apply`` of ``infra/live`` then creates the platform in it (local_platform.deployment), and
the only thing put in by hand is data: sample objects in the data bucket Terraform created. Where moto
differs from AWS (it does not evaluate alarms, nor run metric filters) the stack's README says so;
the gateway and the demo reproduce the parts that matter at the boundary.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
        if isinstance(self._server, subprocess.Popen):
            self._server.terminate()
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
        elif self._server is not None:
            self._server.stop()
        self._server = None


def start_emulator(names: LocalNames | None = None, *, process: bool = False) -> Emulator:
    """Start moto's server, empty, on a free loopback port (Terraform fills it: local_platform.deployment)."""
    names = names or LocalNames()
    if process:
        child = subprocess.Popen(
            [sys.executable, "-m", "local_platform.emulator"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert child.stdout is not None
        endpoint = child.stdout.readline().strip()
        if not endpoint.startswith("http://127.0.0.1:"):
            child.kill()
            child.wait()
            raise RuntimeError(f"the emulator process did not start (it printed {endpoint!r})")
        return Emulator(endpoint=endpoint, names=names, _server=child)
    server = _moto_server()
    host, port = server.get_host_and_port()
    return Emulator(endpoint=f"http://{host}:{port}", names=names, _server=server)


def _moto_server() -> Any:
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
    return server


def _serve() -> None:
    """``python -m local_platform.emulator``: print the endpoint, serve until terminated."""
    import signal
    import threading

    server = _moto_server()
    host, port = server.get_host_and_port()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"http://{host}:{port}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def put_sample_objects(s3: Any, bucket: str, objects: int = SAMPLE_OBJECT_COUNT) -> None:
    """Data, not infrastructure: sample objects in the bucket Terraform created, written by ``s3``
    (a client of a principal the bucket policy admits: an operator)."""
    for i in range(objects):
        s3.put_object(Bucket=bucket, Key=sample_key(i), Body=f"sample object {i}\n".encode() * (i % 7 + 1))


def sample_key(i: int) -> str:
    """Sample object keys: a few prefixes, nested folders, a non-ASCII name, to exercise paging."""
    folder = ("reports", "images", "logs/2026", "données")[i % 4]
    return f"{folder}/object-{i:04d}.txt"


if __name__ == "__main__":
    _serve()
