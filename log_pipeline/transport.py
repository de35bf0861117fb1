"""The one HTTP connection to OpenSearch: ``POST /_bulk``, bounded in time and in memory.

The hot path only ever calls ``POST /_bulk``. SigV4 (requests-aws4auth, service ``aoss`` or ``es``)
signs the exact bytes sent: the body is never re-encoded after signing. Each request is bounded by
its time budget as a whole (connect, send, status line, headers and body), not per socket read: a
watchdog shuts the socket down when the budget is spent, so a server trickling its answer a byte
at a time cannot hold the shipper past its deadline. A response body larger than
``MAX_RESPONSE_BYTES`` is not read further (the request fails; nothing is kept in memory beyond it).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import select
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

from log_pipeline.config import AuthMode

_AUTH_CACHE: dict[tuple[str, str], Any] = {}
_ERROR_TEXT_LIMIT = 300
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""Largest bulk response read: OpenSearch answers about 200 bytes per item (5,000 items: ~1 MB)."""
_READ_BLOCK = 256 * 1024
_CONNECT_TIMEOUT_S = 3.0


class TransportError(Exception):
    """The request did not get a whole answer (connection refused or reset, bad HTTP, body too big)."""


class TransportTimeout(TransportError):
    """The request's time budget ran out before the whole answer arrived."""


def sigv4_auth(auth: AuthMode, region: str | None) -> Any:
    """requests-aws4auth signer with refreshable credentials, or None for ``auth=none``."""
    if auth == "none":
        return None
    assert region is not None  # ShipperConfig guarantees it
    key = (auth, region)
    if key not in _AUTH_CACHE:
        import botocore.session
        from requests_aws4auth import AWS4Auth

        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise RuntimeError("no AWS credentials found for SigV4 signing")
        _AUTH_CACHE[key] = AWS4Auth(region=region, service=auth, refreshable_credentials=credentials)
    return _AUTH_CACHE[key]


def forget_signers() -> None:
    """Drop the cached SigV4 signers (their credentials are read again on next use)."""
    _AUTH_CACHE.clear()


def session() -> Any:
    """A ``requests`` session for the occasional calls off the hot path (index templates)."""
    import requests

    return requests.Session()


_NO_ERRORS_HEAD = re.compile(rb'\{"took":-?[0-9]+,(?:"ingest_took":-?[0-9]+,)?"errors":false,"items":\[')
"""The start of OpenSearch's (compact) bulk response when no item failed."""
_ITEM_START = b'{"index":{'
"""How each item of our ``index`` actions starts; it cannot occur inside a JSON string (a quote
there is always escaped), so counting it counts the items."""


class BulkResponse:
    """One ``_bulk`` answer: the status and the raw body, parsed only when it has to be."""

    __slots__ = ("_body", "_parsed", "content", "status")

    def __init__(self, status: int, content: bytes) -> None:
        self.status = status
        self.content = content
        self._body: dict[str, Any] | None = None
        self._parsed = False

    @property
    def body(self) -> dict[str, Any] | None:
        """Parsed JSON body, or None when the body is not a JSON object."""
        if not self._parsed:
            self._parsed = True
            try:
                loaded = orjson.loads(self.content) if self.content else None
            except orjson.JSONDecodeError:
                loaded = None
            self._body = loaded if isinstance(loaded, dict) else None
        return self._body

    @property
    def text(self) -> str:
        """The start of the raw body, for error reasons (empty when the body is a JSON object)."""
        return "" if self.body is not None else self.content[:_ERROR_TEXT_LIMIT].decode("utf-8", "replace")

    def items_without_errors(self) -> int | None:
        """The number of items of a response that says ``"errors":false``, counted in its bytes.

        OpenSearch sets ``errors`` to true as soon as one item failed, so with ``false`` there is
        no item to handle; counting the items (every one of them) is all that remains, and this
        does it without building a dict per item. None when the body is not OpenSearch's compact
        no-error shape: the caller then parses it and reads every item.
        """
        content = self.content
        if not (200 <= self.status < 300 and _NO_ERRORS_HEAD.match(content) and content.endswith(b"]}")):
            return None
        return content.count(_ITEM_START)


class Transport:
    """POSTs bulk bodies to one endpoint over one kept-alive connection (per execution environment).

    Raises ``TransportTimeout`` when the budget runs out and ``TransportError`` for any other
    failure to get a whole answer; the connection is then dropped and the next request opens one.
    """

    def __init__(self, endpoint: str, auth: AuthMode = "none", region: str | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/_bulk"
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{endpoint!r} is not an http(s) URL")
        self._tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        self._path = parts.path or "/_bulk"
        self._auth = sigv4_auth(auth, region)
        self._connection: http.client.HTTPConnection | None = None
        self._tls_context: ssl.SSLContext | None = None

    def _headers(self, body: bytes | memoryview) -> dict[str, str]:
        headers = {"Content-Type": "application/x-ndjson", "Content-Length": str(len(body))}
        if self._auth is None:
            return headers
        import requests

        prepared = requests.Request("POST", self.url, data=bytes(body), headers=headers).prepare()
        self._auth(prepared)  # SigV4 over these exact bytes
        return {key: str(value) for key, value in prepared.headers.items()}

    def _connect(self, timeout_s: float) -> http.client.HTTPConnection:
        if self._connection is not None and _dropped(self._connection):
            self.close()  # the server closed it while idle: a fresh one, not a failed request
        if self._connection is not None:
            self._connection.timeout = timeout_s
            if self._connection.sock is not None:
                self._connection.sock.settimeout(timeout_s)
            return self._connection
        connection: http.client.HTTPConnection
        if self._tls:
            if self._tls_context is None:
                self._tls_context = _tls_context()
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout_s, context=self._tls_context
            )
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)
        self._connection = connection
        return connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def post_bulk(self, body: bytes | memoryview, timeout_s: float) -> BulkResponse:
        """POST one body; the whole exchange takes at most ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        headers = self._headers(body)
        connection = self._connect(min(timeout_s, _CONNECT_TIMEOUT_S))
        expired = threading.Event()
        watchdog = threading.Timer(timeout_s, _shut, (connection, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            if connection.sock is None:
                connection.connect()
            assert connection.sock is not None
            connection.sock.settimeout(max(0.001, deadline - time.monotonic()))
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
            content = _read_capped(response)
        except (OSError, http.client.HTTPException, TransportError) as exc:
            self.close()
            if expired.is_set() or time.monotonic() >= deadline or isinstance(exc, TimeoutError):
                raise TransportTimeout(f"no whole answer within {timeout_s:.2f}s") from None
            if isinstance(exc, TransportError):
                raise
            raise TransportError(f"{type(exc).__name__}: {exc}"[:200]) from None
        finally:
            watchdog.cancel()
        if expired.is_set() or response.will_close:  # never reuse a socket the watchdog shut
            self.close()
        return BulkResponse(response.status, content)


def _shut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """The watchdog: the budget is spent, end the exchange (a blocked read returns at once)."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed (or sent junk) by the server."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _read_capped(response: http.client.HTTPResponse) -> bytes:
    length = response.length
    if length is not None and length > MAX_RESPONSE_BYTES:
        raise TransportError(f"response body of {length} bytes exceeds {MAX_RESPONSE_BYTES} bytes")
    blocks: list[bytes] = []
    size = 0
    while True:
        block = response.read(_READ_BLOCK) if length is None else response.read()
        if not block:
            break
        blocks.append(block)
        size += len(block)
        if size > MAX_RESPONSE_BYTES:
            raise TransportError(f"response body exceeds {MAX_RESPONSE_BYTES} bytes; not read further")
        if length is not None:
            break
    content = b"".join(blocks)
    if length is not None and len(content) < length:
        raise http.client.IncompleteRead(content, length - len(content))
    return content


def _tls_context() -> ssl.SSLContext:
    """Verify against certifi's bundle when installed (what requests used), else the system's."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        return ssl.create_default_context()
