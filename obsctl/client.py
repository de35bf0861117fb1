"""A SigV4-signing HTTP client for the API, local or deployed (used by ``obsctl call`` and the demo)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from obsctl import sigv4

__all__ = ["Response", "request"]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def request_id(self) -> str:
        return self.headers.get("apigw-requestid", "")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def request(
    method: str,
    url: str,
    *,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    session_token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Response:
    """Send one request; signed for ``execute-api`` unless ``access_key`` is None."""
    url = sigv4.canonical_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    send_headers = dict(headers or {})
    send_headers.setdefault("User-Agent", "obsctl")
    if access_key is not None and secret_key is not None:
        send_headers = sigv4.sign(
            method, url, send_headers, body, access_key, secret_key, region, session_token=session_token
        )
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection.request(method.upper(), target, body=body, headers=send_headers)
        response = connection.getresponse()
        data = response.read()
        return Response(
            status=response.status, headers={k.lower(): v for k, v in response.getheaders()}, body=data
        )
    finally:
        connection.close()
