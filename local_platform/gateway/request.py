"""One request as the gateway handles it: parsed once, read by every step (auth, event, logs, metrics)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from local_platform.http_server import HttpRequest
from local_platform.lambda_runtime import Invocation
from obsctl import sigv4
from signals.services import API_ROUTE_KEY, DEFAULT_ROUTE_KEY

__all__ = [
    "BadTarget",
    "Outcome",
    "Request",
]

ROUTE_METHOD, ROUTE_PATH = API_ROUTE_KEY.split(" ", 1)


class BadTarget(ValueError):
    """The request target is not origin-form (``/path?query``): answered 400."""


@dataclass(frozen=True)
class Request:
    """A request to the HTTP API: what arrived (raw path, raw query, every header) and when.

    It satisfies :class:`obsctl.sigv4.SignedRequest`, so the verifier reads exactly these bytes; the
    event is built from the same fields with the same decoding (``sigv4.decode_query``,
    ``sigv4.header_value``), so the function sees what was signed.
    """

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    request_id: str
    received_at: datetime

    @classmethod
    def from_http(cls, http: HttpRequest, received_at: datetime) -> Request:
        target = http.target
        if not target.startswith("/") or "#" in target:
            raise BadTarget(target)
        path, _, query = target.partition("?")
        return cls(
            method=http.method,
            path=path,
            query=query,
            headers=http.headers,
            body=http.body,
            source_ip=http.client_ip,
            request_id=base64.b64encode(secrets.token_bytes(11)).decode(),
            received_at=received_at,
        )

    def header(self, name: str) -> str | None:
        """Every value of ``name`` (lower case), joined as SigV4 canonicalises them; None if absent."""
        return sigv4.header_value(self.headers, name)

    @property
    def route_key(self) -> str:
        """``GET /objects`` for the one declared route, else the ``$default`` catch-all."""
        matched = self.method == ROUTE_METHOD and unquote(self.path) == ROUTE_PATH
        return API_ROUTE_KEY if matched else DEFAULT_ROUTE_KEY

    @property
    def time_text(self) -> str:
        """``$context.requestTime``: ``02/Dec/2026:17:30:00 +0000``."""
        return self.received_at.strftime("%d/%b/%Y:%H:%M:%S +0000")

    @property
    def time_epoch_ms(self) -> int:
        return int(self.received_at.timestamp() * 1000)


@dataclass(frozen=True)
class Outcome:
    """How the gateway answered a :class:`Request`: what the access log and the metrics report."""

    status: int
    headers: dict[str, str]
    body: bytes
    latency_ms: float
    caller: sigv4.Caller | None = None
    invocation: Invocation | None = None
    error_message: str = "-"

    @property
    def integration_ms(self) -> float | None:
        return self.invocation.duration_ms if self.invocation is not None else None

    @property
    def integration_failed(self) -> bool:
        return self.invocation is not None and self.invocation.error is not None
