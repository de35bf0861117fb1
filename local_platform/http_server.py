"""The one loopback HTTP server the local stand-ins share (gateway, S3 fault proxy, chat receiver).

A server is a function from :class:`HttpRequest` to :class:`HttpResponse`; this module does the rest
the same way for all of them: bind 127.0.0.1, serve on a daemon thread, read the body safely
(``request_body.read_body``: ASCII-digit ``Content-Length`` only, a size limit checked before
reading), answer every error with a response rather than a dropped connection and a traceback, and
stop cleanly. The test fakes (``tests/fakes``) use it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from local_platform.request_body import BadBody, BodyTooLarge, read_body

__all__ = ["DEFAULT_MAX_BODY_BYTES", "HttpRequest", "HttpResponse", "LoopbackServer", "text_response"]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")


@dataclass(frozen=True)
class HttpRequest:
    """One request as it arrived: the request target exactly as sent, every header in order."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client_ip: str

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    close: bool = False


def text_response(status: int, text: str, *, close: bool = False) -> HttpResponse:
    return HttpResponse(status, (("Content-Type", "text/plain; charset=utf-8"),), text.encode(), close)


Handle = Callable[[HttpRequest], HttpResponse]
Reject = Callable[[int, str], HttpResponse]
"""The server's own answer for a request it cannot take: (status 400/413/500, reason) -> response."""


@dataclass
class LoopbackServer:
    """``LoopbackServer(handle, name=...).start()``; ``url``; ``stop()`` (or use it as a context manager)."""

    handle: Handle
    name: str
    port: int = 0
    host: str = "127.0.0.1"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    methods: tuple[str, ...] = ALL_METHODS
    reject: Reject = field(default=lambda status, reason: text_response(status, reason, close=True))
    errors: list[BaseException] = field(default_factory=list)
    """Exceptions the handler raised (each answered 500): tests assert there were none."""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def _respond(self, raw: BaseHTTPRequestHandler) -> HttpResponse:
        try:
            body = read_body(raw, self.max_body_bytes)
        except BodyTooLarge:
            return self.reject(413, "request body too large")
        except BadBody as exc:
            return self.reject(400, str(exc))
        # The request target as sent: http.server rewrites a leading "//" in ``path``.
        words = raw.requestline.split(" ")
        target = words[1] if len(words) == 3 else raw.path
        request = HttpRequest(raw.command, target, tuple(raw.headers.items()), body, raw.client_address[0])
        try:
            return self.handle(request)
        except Exception as exc:  # answered 500 and kept for the tests: never a dropped connection
            self.errors.append(exc)
            return self.reject(500, "internal error")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = server.name

            def log_message(self, format: str, *args: object) -> None:
                return

            def _handle(self) -> None:
                response = server._respond(self)
                self.send_response(response.status)
                for key, value in response.headers:
                    if key.lower() not in ("content-length", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                if response.close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

        for method in server.methods:
            setattr(Handler, f"do_{method}", Handler._handle)
        return Handler
