"""One way to reach the platform's OpenSearch from obsctl: an ``opensearch-py`` client for a local node,
an OpenSearch Serverless collection (SigV4 service ``aoss``) or a managed domain (``es``).

The target comes from ``--endpoint``, then ``$OPENSEARCH_URL``, then the node ``obsctl opensearch
start`` left running. SigV4 credentials come from the standard AWS chain (environment, profile, SSO,
instance or task role); the region from ``--region``, else the endpoint's host name, else
``$AWS_REGION``/``$AWS_DEFAULT_REGION``. Requests go through ``RequestsHttpConnection`` with
``RequestsAWSV4SignerAuth``, uncompressed (a signed body must reach the service byte for byte).
opensearch-py is pinned below 3.2: 3.2.0 signs every header of the prepared request, hop-by-hop
ones included, and OpenSearch Serverless' front end (which drops those) answers 403
(opensearch-project/opensearch-py#1047); ``tests/integration/test_logs_sigv4.py`` checks the pin.

Every failure becomes an :class:`OpenSearchClientError` whose text is one line for the user.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from signals.config import ENV_AWS_DEFAULT_REGION, ENV_AWS_REGION, ENV_OPENSEARCH_URL

__all__ = [
    "AUTH_AUTO",
    "AUTH_MODES",
    "DEFAULT_TIMEOUT_S",
    "OpenSearchClientError",
    "Target",
    "access_hint",
    "build_client",
    "call",
    "describe_error",
    "infer_auth",
    "local_node_url",
    "region_from_endpoint",
    "resolve_target",
]

AUTH_MODES: Final = ("none", "aoss", "es")
AUTH_AUTO: Final = "auto"
_AOSS_HOST = re.compile(r"^[a-z0-9-]+\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.aoss\.amazonaws\.com$")
_ES_HOST = re.compile(r"^[a-z0-9.-]+\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.es\.amazonaws\.com$")
DEFAULT_TIMEOUT_S: Final = 30.0


class OpenSearchClientError(Exception):
    """A user-facing failure: the text is one line (obsctl prints it and exits 2)."""


@dataclass(frozen=True)
class Target:
    """Where the logs are and how to sign for them."""

    endpoint: str
    auth: str
    """``none``, ``aoss`` (OpenSearch Serverless) or ``es`` (a managed domain)."""
    region: str | None = None

    @property
    def serverless(self) -> bool:
        return self.auth == "aoss"

    @property
    def supports_point_in_time(self) -> bool:
        """OpenSearch Serverless has no point-in-time (nor scroll): plain ``search_after`` there."""
        return not self.serverless


def infer_auth(endpoint: str) -> str:
    """``aoss`` or ``es`` for an AWS endpoint's host name, ``none`` otherwise."""
    host = (urlsplit(endpoint).hostname or "").lower()
    if host.endswith(".aoss.amazonaws.com"):
        return "aoss"
    if host.endswith(".es.amazonaws.com"):
        return "es"
    return "none"


def region_from_endpoint(endpoint: str) -> str | None:
    host = (urlsplit(endpoint).hostname or "").lower()
    for pattern in (_AOSS_HOST, _ES_HOST):
        match = pattern.match(host)
        if match:
            return match["region"]
    return None


def local_node_url() -> str | None:
    """The URL of the node ``obsctl opensearch start`` left running (the local platform knows), or None."""
    from obsctl.plugins import find_local_opensearch

    return find_local_opensearch()


def resolve_target(endpoint: str | None, auth: str | None = None, region: str | None = None) -> Target:
    """The target from the options, the environment and the local node, validated."""
    url = endpoint or os.environ.get(ENV_OPENSEARCH_URL) or local_node_url()
    if not url:
        raise OpenSearchClientError(
            f"no OpenSearch endpoint: pass --endpoint, set {ENV_OPENSEARCH_URL}, "
            "or start a local node with `obsctl opensearch start`"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OpenSearchClientError(f"not an http(s) URL: {url!r}")
    mode = infer_auth(url) if auth in (None, AUTH_AUTO) else auth
    if mode not in AUTH_MODES:
        raise OpenSearchClientError(f"unknown auth {mode!r}: use one of {', '.join(AUTH_MODES)}")
    signing_region = None
    if mode != "none":
        signing_region = (
            region
            or region_from_endpoint(url)
            or os.environ.get(ENV_AWS_REGION)
            or os.environ.get(ENV_AWS_DEFAULT_REGION)
        )
        if not signing_region:
            raise OpenSearchClientError(
                f"SigV4 ({mode}) needs a region: pass --region or set {ENV_AWS_REGION}"
            )
    return Target(url.rstrip("/"), mode, signing_region)


def _credentials() -> Any:
    import botocore.session

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise OpenSearchClientError(
            "no AWS credentials for SigV4: configure the standard chain "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, or an instance/task role)"
        )
    return credentials


def build_client(target: Target, timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """An ``opensearchpy.OpenSearch`` for the target (no retries: errors reach the user at once)."""
    from opensearchpy import OpenSearch, RequestsAWSV4SignerAuth, RequestsHttpConnection

    parts = urlsplit(target.endpoint)
    use_ssl = parts.scheme == "https"
    host: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or (443 if use_ssl else 80),
        "url_prefix": parts.path.rstrip("/"),
    }
    http_auth = None
    if target.auth != "none":
        assert target.region is not None  # resolve_target guarantees it
        http_auth = RequestsAWSV4SignerAuth(_credentials(), target.region, target.auth)
    return OpenSearch(
        hosts=[host],
        http_auth=http_auth,
        use_ssl=use_ssl,
        verify_certs=use_ssl,
        connection_class=RequestsHttpConnection,
        http_compress=False,
        timeout=timeout,
        max_retries=0,
        retry_on_timeout=False,
        pool_maxsize=2,
    )


def _reason(info: Any, fallback: str) -> str:
    """OpenSearch's own reason for a refused request (the most specific one it gives)."""
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            causes = error.get("root_cause") or []
            first = causes[0] if causes and isinstance(causes[0], dict) else error
            reason = str(first.get("reason") or error.get("reason") or fallback)
            caused_by = error.get("caused_by")
            if isinstance(caused_by, dict) and caused_by.get("reason") and caused_by["reason"] not in reason:
                reason = f"{reason}: {caused_by['reason']}"
            return reason
        if isinstance(error, str):
            return error
        if isinstance(info.get("message"), str):  # AOSS and API Gateway style bodies
            return str(info["message"])
    if isinstance(info, str) and info.strip():
        return info.strip()
    return fallback


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def access_hint(target: Target) -> str:
    if target.auth == "aoss":
        return (
            "the caller needs an IAM policy allowing aoss:APIAccessAll on the collection AND a data "
            "access policy of the collection naming its principal (aoss:ReadDocument on index/<collection>/*"
            " to search, aoss:UpdateIndex/aoss:CreateIndex for templates); missing either gives 403"
        )
    if target.auth == "es":
        return (
            "the caller needs es:ESHttpGet/ESHttpPost/ESHttpPut on the domain in its IAM policy or the "
            "domain's access policy, and with fine-grained access control a role mapping for it"
        )
    return (
        "this node requires credentials; obsctl signs only with SigV4 (--auth aoss|es), "
        "so point it at a node with security off or at an AWS endpoint"
    )


def describe_error(exc: Exception, target: Target, *, index: str | None = None, what: str = "") -> str:
    """One line that says what went wrong and what to do about it."""
    from opensearchpy import exceptions as ose

    where = target.endpoint
    action = f"{what} " if what else ""
    if isinstance(exc, ose.ConnectionTimeout):
        return f"{action}timed out talking to OpenSearch at {where}"
    if isinstance(exc, ose.SSLError):
        return f"TLS error talking to OpenSearch at {where}: {_one_line(str(exc.info or exc.error))}"
    if isinstance(exc, ose.ConnectionError):
        cause = exc.info if isinstance(exc.info, Exception) else exc.error
        text = _one_line(str(cause))
        if "Connection refused" in text or "Errno 111" in text:
            text = "connection refused"
        elif "Name or service not known" in text or "nodename nor servname" in text:
            text = "host name not found"
        return f"cannot reach OpenSearch at {where} ({text})"
    if isinstance(exc, ose.AuthenticationException | ose.AuthorizationException):
        status = exc.status_code
        reason = _one_line(_reason(exc.info, str(exc.error)), 200)
        return f"{action}refused by {where} (HTTP {status}: {reason}); {access_hint(target)}"
    if isinstance(exc, ose.TransportError):
        info = exc.info
        error_type = ""
        if isinstance(info, dict) and isinstance(info.get("error"), dict):
            error_type = str(info["error"].get("type", ""))
        reason = _one_line(_reason(info, str(exc.error)))
        if error_type == "index_not_found_exception" or (exc.status_code == 404 and index):
            return (
                f"no index matches {index or reason} at {where}: nothing shipped there yet? "
                "(`obsctl opensearch bootstrap` applies the templates; the shipper creates the indices)"
            )
        if exc.status_code == 400:
            return f"OpenSearch refused the {what or 'request'}: {reason}"
        if exc.status_code in (404, 405, 501):
            return (
                f"{where} does not support this API ({what or 'request'}: HTTP {exc.status_code}, {reason})"
                + (
                    "; OpenSearch Serverless lacks several cluster and document APIs"
                    if target.serverless
                    else ""
                )
            )
        return f"{action}failed at {where}: HTTP {exc.status_code}: {reason}"
    return f"{action}failed at {where}: {_one_line(str(exc))}"


def call(target: Target, operation: Any, *, index: str | None = None, what: str = "") -> Any:
    """Run ``operation()`` (a client call); turn every client failure into one user-facing line."""
    from botocore.exceptions import BotoCoreError
    from opensearchpy.exceptions import ImproperlyConfigured, OpenSearchException

    try:
        return operation()
    except (OpenSearchException, ImproperlyConfigured) as exc:
        raise OpenSearchClientError(describe_error(exc, target, index=index, what=what)) from None
    except BotoCoreError as exc:  # the signer refreshing credentials (expired SSO token...)
        raise OpenSearchClientError(f"AWS credentials for SigV4: {_one_line(str(exc))}") from None
