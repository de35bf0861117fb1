"""SigV4 for the HTTP API: signing (the client side, by botocore) and verification (the local gateway).

Signing uses botocore's own ``SigV4Auth`` so ``obsctl call`` signs exactly as the AWS SDKs do.
Verification re-implements the canonical request the way API Gateway computes it for IAM-authorized
routes (service ``execute-api``, double-encoded path, sorted and re-encoded query, the signed headers,
the payload hash) and answers with API Gateway's own 403 messages. Tests sign with botocore and
verify with this module, so the two implementations check each other.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "ALGORITHM",
    "AMZ_DATE_FORMAT",
    "MAX_CLOCK_SKEW",
    "MSG_BAD_REGION",
    "MSG_BAD_SERVICE",
    "MSG_BAD_SIGNATURE",
    "MSG_FORBIDDEN",
    "MSG_INVALID_TOKEN",
    "MSG_MISSING_AUTH",
    "SERVICE",
    "AuthFailure",
    "Caller",
    "canonical_url",
    "sign",
    "verify",
]

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_CLOCK_SKEW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# API Gateway's messages for IAM-authorization failures (HTTP 403).
MSG_FORBIDDEN = "Forbidden"
MSG_MISSING_AUTH = (
    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
    "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
    "existence of either a 'X-Amz-Date' or a 'Date' header."
)
MSG_BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_INVALID_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message
MSG_BAD_REGION = "Credential should be scoped to a valid region."
MSG_BAD_SERVICE = "Credential should be scoped to correct service: 'execute-api'."

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    body: bytes | None,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = SERVICE,
    session_token: str | None = None,
) -> dict[str, str]:
    """Return ``headers`` plus the SigV4 headers botocore computes for this request."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method=method.upper(), url=canonical_url(url), data=body or b"", headers=dict(headers or {})
    )
    SigV4Auth(Credentials(access_key, secret_key, session_token), service, region).add_auth(request)
    return {k: str(v) for k, v in request.headers.items()}


def canonical_url(url: str) -> str:
    """Re-encode the query the way SigV4 expects (RFC 3986, ``%20`` not ``+``), keeping its order."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    return parts._replace(query="&".join(f"{k}={v}" for k, v in _encoded_pairs(parts.query))).geturl()


def _encoded_pairs(query: str) -> list[tuple[str, str]]:
    """Each ``key=value`` of a query, decoded then encoded as SigV4 does (a bare key gets ``=``)."""
    pairs = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((_q(unquote(key)), _q(unquote(value))))
    return pairs


def _q(text: str) -> str:
    return quote(text, safe="-_.~")


@dataclass(frozen=True)
class Caller:
    """The identity a verified signature proves (becomes ``requestContext.authorizer.iam``)."""

    access_key: str
    account_id: str
    user_arn: str
    user_id: str


class AuthFailure(Exception):
    """Verification failed: API Gateway answers 403 with ``{"message": message}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def verify(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    region: str,
    callers: Mapping[str, tuple[str, Caller]],
    now: datetime | None = None,
) -> Caller:
    """Verify a request's SigV4 signature; return the caller or raise :class:`AuthFailure`.

    ``headers`` are keyed case-insensitively by lower-case name; ``callers`` maps an access key id
    to its secret and identity.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    authorization = lower.get("authorization")
    if not authorization:
        raise AuthFailure(MSG_FORBIDDEN)
    match = _AUTH_RE.match(authorization.strip())
    amz_date = lower.get("x-amz-date")
    if match is None or amz_date is None:
        raise AuthFailure(MSG_MISSING_AUTH)
    cred_parts = match["credential"].split("/")
    if len(cred_parts) != 5 or cred_parts[4] != "aws4_request":
        raise AuthFailure(MSG_MISSING_AUTH)
    access_key, scope_date, scope_region, scope_service, _ = cred_parts
    if scope_service != SERVICE:
        raise AuthFailure(MSG_BAD_SERVICE)
    if scope_region != region:
        raise AuthFailure(MSG_BAD_REGION)
    known = callers.get(access_key)
    if known is None:
        raise AuthFailure(MSG_INVALID_TOKEN)
    secret, caller = known
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuthFailure(MSG_MISSING_AUTH) from exc
    current = now or datetime.now(UTC)
    if abs(current - signed_at) > MAX_CLOCK_SKEW:
        raise AuthFailure(_expired_message(signed_at, current))
    if scope_date != amz_date[:8]:
        raise AuthFailure(MSG_BAD_SIGNATURE)
    signed_headers = match["signed"].split(";")
    if "host" not in signed_headers or any(h not in lower for h in signed_headers):
        raise AuthFailure(MSG_BAD_SIGNATURE)
    payload_hash = lower.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    if payload_hash != "UNSIGNED-PAYLOAD" and payload_hash != hashlib.sha256(body).hexdigest():
        raise AuthFailure(MSG_BAD_SIGNATURE)
    canonical = "\n".join(
        (
            method.upper(),
            _canonical_path(raw_path),
            _canonical_query(raw_query),
            "".join(f"{h}:{' '.join(lower[h].split())}\n" for h in signed_headers),
            ";".join(signed_headers),
            payload_hash,
        )
    )
    scope = f"{scope_date}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = _signing_key(secret, scope_date, region)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise AuthFailure(MSG_BAD_SIGNATURE)
    return caller


def _expired_message(signed_at: datetime, now: datetime) -> str:
    fmt = AMZ_DATE_FORMAT
    if signed_at < now:
        return (
            f"Signature expired: {signed_at.strftime(fmt)} is now earlier than "
            f"{(now - MAX_CLOCK_SKEW).strftime(fmt)} ({now.strftime(fmt)} - 5 min.)"
        )
    return (
        f"Signature not yet current: {signed_at.strftime(fmt)} is still later than "
        f"{(now + MAX_CLOCK_SKEW).strftime(fmt)} ({now.strftime(fmt)} + 5 min.)"
    )


def _canonical_path(raw_path: str) -> str:
    # botocore (and API Gateway for execute-api) normalise the path, then URI-encode it again.
    path = raw_path or "/"
    normalized = posixpath.normpath(path)
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    if normalized.startswith("//"):
        normalized = normalized[1:]
    return quote(normalized, safe="/~")


def _canonical_query(raw_query: str) -> str:
    if not raw_query:
        return ""
    return "&".join(f"{k}={v}" for k, v in sorted(_encoded_pairs(raw_query)))


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
