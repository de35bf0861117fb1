"""Reading a request body in the local stack's HTTP servers, whatever the client claims."""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler
from io import BufferedIOBase

_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})(;[^\r\n]*)?\r\n")
MAX_LINE = 8 * 1024
MAX_TRAILERS = 32

__all__ = ["BodyTooLarge", "read_body"]


class BodyTooLarge(Exception):
    """The body is above the server's limit (answer 413)."""


class BadBody(Exception):
    """The request does not frame its body in a way a server can trust (answer 400, then close)."""


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int | None = None) -> bytes:
    """The request body, framed by ``Content-Length`` or ``Transfer-Encoding: chunked``.

    ``int()`` alone would accept ``-1`` (then block reading), ``+5`` and ``²`` (``str.isdigit`` is true
    for superscripts, and ``int`` then raises): only ASCII digits are a length. Framing a proxy in
    front could read differently is refused: two different lengths, a length together with
    ``Transfer-Encoding``, or any coding but ``chunked``. Raises :class:`BadBody`, or
    :class:`BodyTooLarge` as soon as ``max_bytes`` would be exceeded, before reading past it.
    """
    codings = handler.headers.get_all("Transfer-Encoding") or []
    lengths = set(handler.headers.get_all("Content-Length") or [])
    if codings:
        if lengths or [c.strip().lower() for c in codings] != ["chunked"]:
            raise BadBody("Transfer-Encoding must be 'chunked' alone, without Content-Length")
        return _read_chunked(handler.rfile, max_bytes)
    if len(lengths) > 1:
        raise BadBody("conflicting Content-Length headers")
    raw = lengths.pop() if lengths else "0"
    if not (raw.isascii() and raw.isdigit()):
        raise BadBody(f"Content-Length is not a number: {raw[:40]!r}")
    length = int(raw)
    if max_bytes is not None and length > max_bytes:
        raise BodyTooLarge(length)
    return handler.rfile.read(length) if length else b""


def _read_chunked(stream: BufferedIOBase, max_bytes: int | None) -> bytes:
    """RFC 9112 section 7.1: hex-size lines (extensions ignored), data, CRLF; then trailers, ignored."""
    body = bytearray()
    while True:
        match = _CHUNK_SIZE.fullmatch(stream.readline(MAX_LINE))
        if match is None:
            raise BadBody("malformed chunk size line")
        size = int(match[1], 16)
        if size == 0:
            break
        if max_bytes is not None and len(body) + size > max_bytes:
            raise BodyTooLarge(len(body) + size)
        chunk = stream.read(size)
        if len(chunk) != size or stream.read(2) != b"\r\n":
            raise BadBody("chunk shorter than its size or not followed by CRLF")
        body += chunk
    for _ in range(MAX_TRAILERS):
        line = stream.readline(MAX_LINE)
        if line == b"\r\n":
            return bytes(body)
        if not line.endswith(b"\r\n"):
            raise BadBody("malformed trailer section")
    raise BadBody("too many trailer fields")
