"""Reading a request body in the local stack's HTTP servers, whatever the client claims."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class BodyTooLarge(Exception):
    """``Content-Length`` is above the server's limit (answer 413)."""


class BadBody(Exception):
    """The request does not say its length in a way a server can trust (answer 400, then close)."""


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int | None = None) -> bytes:
    """The body announced by ``Content-Length``, read only once it is known to be acceptable.

    ``int()`` alone would accept ``-1`` (then block reading), ``+5``, `` 5`` and ``²`` (``str.isdigit``
    is true for superscripts, and ``int`` then raises). Only ASCII digits are a length. Two different
    lengths, or a ``Transfer-Encoding`` (not supported here), could make the server and a proxy in front
    of it disagree on where the body ends: refused. Raises :class:`BadBody`, or :class:`BodyTooLarge`
    above ``max_bytes`` before reading anything.
    """
    if handler.headers.get_all("Transfer-Encoding"):
        raise BadBody("Transfer-Encoding is not supported; send Content-Length")
    lengths = set(handler.headers.get_all("Content-Length") or [])
    if len(lengths) > 1:
        raise BadBody("conflicting Content-Length headers")
    raw = lengths.pop() if lengths else "0"
    if not (raw.isascii() and raw.isdigit()):
        raise BadBody(f"Content-Length is not a number: {raw[:40]!r}")
    length = int(raw)
    if max_bytes is not None and length > max_bytes:
        raise BodyTooLarge(length)
    return handler.rfile.read(length) if length else b""
