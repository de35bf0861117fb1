"""The one HTTP connection to OpenSearch: a module-level ``requests.Session`` reused across invocations.

The hot path only ever calls ``POST /_bulk``. SigV4 (requests-aws4auth, service ``aoss`` or ``es``)
signs the exact bytes sent: the body is never re-encoded after signing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import requests

from log_pipeline.config import AuthMode

_SESSION: requests.Session | None = None
_AUTH_CACHE: dict[tuple[str, str], Any] = {}
_ERROR_TEXT_LIMIT = 300


def session() -> requests.Session:
    """The process-wide session (one keep-alive connection pool per endpoint)."""
    global _SESSION  # one session per execution environment, by design
    if _SESSION is None:
        _SESSION = requests.Session()
    return _SESSION


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


@dataclass(frozen=True, slots=True)
class BulkResponse:
    status: int
    body: dict[str, Any] | None
    """Parsed JSON body, or None when the body was not a JSON object."""
    text: str
    """The start of the raw body, for error reasons."""


class Transport:
    """POSTs bulk bodies to one endpoint. Raises requests exceptions for connection-level failures."""

    def __init__(self, endpoint: str, auth: AuthMode = "none", region: str | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/_bulk"
        self._auth = sigv4_auth(auth, region)
        self._session = session()

    def post_bulk(self, body: bytes, timeout_s: float) -> BulkResponse:
        connect = min(3.0, timeout_s)
        response = self._session.post(
            self.url,
            data=body,
            headers={"Content-Type": "application/x-ndjson"},
            auth=self._auth,
            timeout=(connect, timeout_s),
        )
        content = response.content
        parsed: dict[str, Any] | None
        try:
            loaded = orjson.loads(content) if content else None
            parsed = loaded if isinstance(loaded, dict) else None
        except orjson.JSONDecodeError:
            parsed = None
        text = "" if parsed is not None else content[:_ERROR_TEXT_LIMIT].decode("utf-8", "replace")
        return BulkResponse(status=response.status_code, body=parsed, text=text)
