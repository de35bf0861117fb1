"""A fault-injecting HTTP proxy in front of the emulator's S3, for staging incidents.

The function reaches S3 through botocore's standard ``AWS_ENDPOINT_URL_S3``; pointing that at this
proxy lets the demo and the tests make S3 fail the way S3 does (500 ``InternalError``, 503
``SlowDown``) while the function's code, its retries and its error handling run unchanged.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

from local_platform.request_body import read_body

FAULTS: dict[str, tuple[int, str, str]] = {
    "error": (500, "InternalError", "We encountered an internal error. Please try again."),
    "throttle": (503, "SlowDown", "Please reduce your request rate."),
}


class FaultProxy:
    """Forwards every request to ``upstream`` unless a fault is set."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.fault: str | None = None
        self.faulted_requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            hop_by_hop: ClassVar[set[str]] = {"connection", "keep-alive", "transfer-encoding", "host"}

            def log_message(self, format: str, *args: object) -> None:
                return

            def _handle(self) -> None:
                body = read_body(self)
                if body is None:
                    self.send_error(400, "invalid Content-Length")
                    return
                fault = proxy.fault
                if fault is not None:
                    proxy.faulted_requests += 1
                    status, code, message = FAULTS[fault]
                    payload = (
                        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                        f"<Message>{message}</Message><RequestId>LOCALFAULT</RequestId></Error>"
                    ).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(
                    proxy.upstream.hostname or "127.0.0.1", proxy.upstream.port, timeout=30
                )
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in self.hop_by_hop}
                    headers["Host"] = self.headers.get("Host", "")
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in self.hop_by_hop and key.lower() != "content-length":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="s3-fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown S3 fault {fault!r}; expected one of {sorted(FAULTS)} or None")
        self.fault = fault

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
