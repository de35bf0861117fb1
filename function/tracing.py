"""X-Ray subsegments sent straight to the X-Ray daemon, without the X-Ray SDK.

Why: importing ``aws_xray_sdk`` and letting Powertools' Tracer patch every library costs more than
the rest of the cold start together (see README.md). Lambda's active tracing already records the
function segment (with its Initialization and Invocation subsegments); this module adds what the
SDK would have added beneath it, so an operator sees the same tree with the same names: a
``## handler`` subsegment (namespace ``local``) with the ``ColdStart`` and ``Service`` annotations
(as Powertools writes them, plus ``Status``) and an ``s3`` subsegment in the ``aws`` namespace
with the operation, bucket, request id, retries, HTTP status and the error/throttle/fault flags
that drive the service map. Unlike Powertools, the handler's response body is not copied into the
trace metadata (a page can hold 1000 keys).

Documents follow the X-Ray segment document format and are sent as UDP datagrams of the form
``{"format": "json", "version": 1}\n<document>`` to ``AWS_XRAY_DAEMON_ADDRESS``, as the SDKs do.
Tracing never fails a request: send errors are swallowed.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from signals.config import ENV_XRAY_DAEMON_ADDRESS, ENV_XRAY_TRACE_ID

__all__ = [
    "HEADER",
    "MAX_DATAGRAM_BYTES",
    "Subsegment",
    "TraceHeader",
    "XRayEmitter",
    "parse_daemon_address",
    "parse_trace_header",
]

HEADER = b'{"format": "json", "version": 1}\n'
MAX_DATAGRAM_BYTES = 64 * 1024


@dataclass(frozen=True)
class TraceHeader:
    root: str
    parent: str
    sampled: bool


def parse_trace_header(value: str) -> TraceHeader | None:
    """Parse ``Root=1-...;Parent=...;Sampled=1`` (the ``_X_AMZN_TRACE_ID`` the runtime sets)."""
    parts: dict[str, str] = {}
    for item in value.split(";"):
        key, sep, val = item.strip().partition("=")
        if sep:
            parts[key] = val
    root, parent = parts.get("Root", ""), parts.get("Parent", "")
    if not root or not parent:
        return None
    return TraceHeader(root=root, parent=parent, sampled=parts.get("Sampled") == "1")


def parse_daemon_address(value: str) -> tuple[str, int] | None:
    """``host:port`` or ``tcp:host:port udp:host:port``; segments always go over UDP."""
    candidates = value.split()
    chosen = next((c[4:] for c in candidates if c.startswith("udp:")), candidates[0] if candidates else "")
    host, sep, port = chosen.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host, int(port)


@dataclass
class Subsegment:
    """One subsegment; ``sampled`` False makes every method a cheap no-op on the wire."""

    name: str
    trace_id: str
    parent_id: str
    sampled: bool
    namespace: str | None = None
    id: str = field(default_factory=lambda: os.urandom(8).hex())
    start_time: float = field(default_factory=time.time)
    end_time: float | None = None
    annotations: dict[str, str | int | float | bool] = field(default_factory=dict)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    aws: dict[str, Any] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    error: bool = False
    throttle: bool = False
    fault: bool = False
    exceptions: list[dict[str, Any]] = field(default_factory=list)

    def add_exception(self, exc: BaseException, *, remote: bool) -> None:
        frames = traceback.extract_tb(exc.__traceback__)[-10:]
        self.exceptions.append(
            {
                "id": os.urandom(8).hex(),
                "type": type(exc).__name__,
                "message": str(exc)[:1000],
                "remote": remote,
                "stack": [{"path": f.filename, "line": f.lineno, "label": f.name} for f in frames],
            }
        )

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": "subsegment",
            "name": self.name,
            "id": self.id,
            "trace_id": self.trace_id,
            "parent_id": self.parent_id,
            "start_time": self.start_time,
            "end_time": self.end_time if self.end_time is not None else time.time(),
        }
        optional = {
            "namespace": self.namespace,
            "annotations": self.annotations,
            "metadata": self.metadata,
            "aws": self.aws,
            "http": self.http,
            "error": self.error,
            "throttle": self.throttle,
            "fault": self.fault,
        }
        doc.update({key: value for key, value in optional.items() if value})
        if self.exceptions:
            doc["cause"] = {"working_directory": os.getcwd(), "exceptions": self.exceptions}
        return doc


class XRayEmitter:
    """Creates subsegments for the current invocation and sends them to the daemon."""

    def __init__(self, header: TraceHeader | None, daemon: tuple[str, int] | None) -> None:
        self.header = header
        self.daemon = daemon
        self._socket: socket.socket | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> XRayEmitter:
        """Per invocation: the runtime sets ``_X_AMZN_TRACE_ID`` before each one."""
        raw_header = environ.get(ENV_XRAY_TRACE_ID, "")
        raw_daemon = environ.get(ENV_XRAY_DAEMON_ADDRESS, "")
        return cls(
            parse_trace_header(raw_header) if raw_header else None,
            parse_daemon_address(raw_daemon) if raw_daemon else None,
        )

    @property
    def active(self) -> bool:
        return self.header is not None and self.header.sampled and self.daemon is not None

    def begin(self, name: str, parent: Subsegment | None = None, namespace: str | None = None) -> Subsegment:
        header = self.header
        return Subsegment(
            name=name,
            trace_id=header.root if header else "",
            parent_id=parent.id if parent else (header.parent if header else ""),
            sampled=self.active,
            namespace=namespace,
        )

    def end(self, subsegment: Subsegment) -> None:
        subsegment.end_time = time.time()
        if not subsegment.sampled or self.daemon is None:
            return
        payload = HEADER + json.dumps(subsegment.document(), separators=(",", ":"), default=str).encode()
        if len(payload) > MAX_DATAGRAM_BYTES:
            subsegment.exceptions.clear()
            payload = HEADER + json.dumps(subsegment.document(), separators=(",", ":"), default=str).encode()
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._socket.sendto(payload, self.daemon)
        except OSError:
            pass  # a missing daemon must never fail the request

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
