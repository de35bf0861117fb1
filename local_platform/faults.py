"""A fault-injecting HTTP proxy in front of the emulator's S3, for staging incidents.

The function reaches S3 through botocore's standard ``AWS_ENDPOINT_URL_S3``; pointing that at this
proxy lets the demo and the tests make S3 fail the way S3 does (500 ``InternalError``, 503
``SlowDown``) while the function's code, its retries and its error handling run unchanged.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from local_platform.http_server import HttpRequest, HttpResponse, LoopbackServer

FAULTS: dict[str, tuple[int, str, str]] = {
    "error": (500, "InternalError", "We encountered an internal error. Please try again."),
    "throttle": (503, "SlowDown", "Please reduce your request rate."),
}


HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})
MAX_BODY_BYTES = 5 * 1024**3
"""S3's largest single PUT (5 GiB): the proxy refuses nothing S3 itself would take."""


class FaultProxy:
    """Forwards every request to ``upstream`` unless a fault is set."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.fault: str | None = None
        self.faulted_requests = 0
        self._server = LoopbackServer(
            self._forward,
            name="s3-fault-proxy",
            max_body_bytes=MAX_BODY_BYTES,
            methods=("GET", "PUT", "POST", "DELETE", "HEAD"),
        )

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> FaultProxy:
        self._server.start()
        return self

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown S3 fault {fault!r}; expected one of {sorted(FAULTS)} or None")
        self.fault = fault

    def stop(self) -> None:
        self._server.stop()

    def _forward(self, request: HttpRequest) -> HttpResponse:
        fault = self.fault
        if fault is not None:
            self.faulted_requests += 1
            status, code, message = FAULTS[fault]
            payload = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>LOCALFAULT</RequestId></Error>"
            ).encode()
            return HttpResponse(status, (("Content-Type", "application/xml"),), payload)
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30
        )
        try:
            headers = {k: v for k, v in request.headers if k.lower() not in HOP_BY_HOP}
            headers["Host"] = request.header("Host") or ""
            conn.request(request.method, request.target, body=request.body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            kept = tuple((k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP)
            return HttpResponse(response.status, kept, data)
        finally:
            conn.close()
