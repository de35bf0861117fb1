"""The one HTTP connection to OpenSearch: a module-level ``requests.Session`` reused across invocations.

The hot path only ever calls ``POST /_bulk``. SigV4 (requests-aws4auth, service ``aoss`` or ``es``)
signs the exact bytes sent: the body is never re-encoded after signing.
"""

from __future__ import annotations

import re
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
    """POSTs bulk bodies to one endpoint. Raises requests exceptions for connection-level failures."""

    def __init__(self, endpoint: str, auth: AuthMode = "none", region: str | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/_bulk"
        self._auth = sigv4_auth(auth, region)
        self._session = session()
        self._settings = self._session.merge_environment_settings(self.url, {}, True, None, None)
        """What ``Session.request`` reads from the environment (proxies, CA bundle) for this URL on
        every call (about 80 us, a scan of os.environ): read once, the URL never changes and the
        environment of a Lambda execution environment does not either. ``stream``: the body is
        read below in one piece instead of requests' 10 KB chunks."""

    def post_bulk(self, body: bytes | memoryview, timeout_s: float) -> BulkResponse:
        """POST one body (bytes, or a view of the shipper's reused buffer: requests sends any
        buffer as it is, with its Content-Length, and SigV4 hashes it the same way).

        What ``Session.post`` does, with the environment read once (see ``__init__``); the
        response is read with ``iter_content(None)`` (one read, the same errors as
        ``response.content``), then the connection goes back to the pool.
        """
        connect = min(3.0, timeout_s)
        session = self._session
        prepared = session.prepare_request(
            requests.Request(
                "POST",
                self.url,
                data=body or {},
                headers={"Content-Type": "application/x-ndjson"},
                auth=self._auth,
            )
        )
        response = session.send(
            prepared, timeout=(connect, timeout_s), allow_redirects=True, **self._settings
        )
        try:
            content = b"".join(response.iter_content(None))
        finally:
            response.close()  # the body was read whole: this only returns the connection
        return BulkResponse(response.status_code, content)
