"""Reading a request body in the local stack's HTTP servers, whatever the client claims."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

__all__ = ["BodyTooLarge", "read_body"]


class BodyTooLarge(Exception):
    """``Content-Length`` is above the server's limit (answer 413)."""


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int | None = None) -> bytes | None:
    """The body, or None when ``Content-Length`` is not a non-negative integer (answer 400).

    ``int()`` alone would accept ``-1`` (and then block reading) and raise on ``abc`` (and drop the
    connection without an answer). Raises :class:`BodyTooLarge` above ``max_bytes``, before reading.
    """
    raw = handler.headers.get("Content-Length") or "0"
    if not raw.isdigit():
        return None
    length = int(raw)
    if max_bytes is not None and length > max_bytes:
        raise BodyTooLarge(length)
    return handler.rfile.read(length) if length else b""
