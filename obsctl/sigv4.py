"""SigV4 for the HTTP API: signing (the client side, by botocore) and verification (the local gateway).

Signing uses botocore's own ``SigV4Auth`` so ``obsctl call`` signs exactly as the AWS SDKs do.
Verification re-implements the canonical request the way API Gateway computes it for IAM-authorized
routes (service ``execute-api``, normalised then double-encoded path, decoded then re-encoded and
sorted query, every value of each signed header, the hash of the body actually received) and
answers with API Gateway's own 403 messages. Tests sign with botocore and verify with this module,
so the two implementations check each other.

One rule decodes the query for everyone (:func:`decode_query`): the verifier's canonical query, the
client's URL (:func:`canonical_url`) and the gateway's ``queryStringParameters``. So a signature
covers exactly the values the function receives: ``%2B`` is ``+``, a bare ``+`` is a space (as API
Gateway decodes it), and the two are different requests with different signatures.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import quote, unquote_to_bytes, urlsplit

__all__ = [
    "MAX_CLOCK_SKEW",
    "SERVICE",
    "AuthFailure",
    "Caller",
    "KnownCaller",
    "SignedRequest",
    "canonical_url",
    "decode_query",
    "header_value",
    "sign",
    "verify",
]

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
UNRESERVED = "-_.~"

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

# Strict on purpose: botocore (and every AWS SDK) writes exactly this shape; a looser pattern would
# make several spellings of one Authorization header valid.
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<credential>[^,\s]+), ?"
    r"SignedHeaders=(?P<signed>[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
# Headers the signature must cover whenever they are present (host and x-amz-date always are).
_MUST_SIGN = ("host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


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
    """The URL with its query decoded by :func:`decode_query` and encoded as SigV4 expects, in order.

    Send and sign this URL: botocore signs the query as written, the verifier decodes then encodes,
    and both agree only when the query is already in this form.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    return parts._replace(query=_encode_pairs(_query_bytes(parts.query))).geturl()


def decode_query(raw_query: str) -> list[tuple[str, str]]:
    """The ``key=value`` pairs of a raw query, in order: ``+`` is a space, ``%XX`` a byte, UTF-8 text.

    Empty pairs (``a=1&&b=2``) carry nothing and are dropped; a bare key has the value ``""``.
    """
    pairs = _query_bytes(raw_query, keep_empty=False)
    return [(k.decode(errors="replace"), v.decode(errors="replace")) for k, v in pairs]


def _query_bytes(raw_query: str, *, keep_empty: bool = True) -> list[tuple[bytes, bytes]]:
    """Decoded pairs; the signature keeps empty ones (as botocore signs them), so ``k=&x`` != ``k&&x``."""
    if not raw_query:
        return []
    pairs = []
    for pair in raw_query.split("&"):
        if not pair and not keep_empty:
            continue
        key, _, value = pair.partition("=")
        pairs.append((unquote_to_bytes(key.replace("+", " ")), unquote_to_bytes(value.replace("+", " "))))
    return pairs


def _encode_pairs(pairs: Sequence[tuple[bytes, bytes]]) -> str:
    return "&".join(f"{k}={v}" for k, v in _encoded(pairs))


def _encoded(pairs: Sequence[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(quote(k, safe=UNRESERVED), quote(v, safe=UNRESERVED)) for k, v in pairs]


class SignedRequest(Protocol):
    """What the verifier reads of a request: as received, before any decoding."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def query(self) -> str: ...
    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...


def header_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """Every value of header ``name`` (any case), each trimmed, joined by ``,`` in order; None if absent.

    This is SigV4's canonical value, and the one the gateway puts into the event, so a duplicated
    header cannot add an unsigned value.
    """
    values = [" ".join(v.split()) for k, v in headers if k.lower() == name]
    return ",".join(values) if values else None


def _header_count(headers: Sequence[tuple[str, str]], name: str) -> int:
    return sum(1 for k, _ in headers if k.lower() == name)


@dataclass(frozen=True)
class Caller:
    """The identity a verified signature proves (becomes ``requestContext.authorizer.iam``)."""

    access_key: str
    account_id: str
    user_arn: str
    user_id: str


@dataclass(frozen=True)
class KnownCaller:
    """A caller the verifier knows: its secret, its identity and, for temporary credentials, its token."""

    secret_key: str
    identity: Caller
    session_token: str | None = None


class AuthFailure(Exception):
    """Verification failed: API Gateway answers 403 with ``{"message": message}``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def verify(
    request: SignedRequest,
    *,
    region: str,
    callers: Mapping[str, KnownCaller],
    hosts: Collection[str],
    now: datetime | None = None,
) -> Caller:
    """Verify a request's SigV4 signature; return the caller or raise :class:`AuthFailure`.

    ``callers`` maps an access key id to what the verifier knows of it; ``hosts`` are the host names
    (``host[:port]``, lower case) this API answers to: a request signed for any other is refused.
    """
    headers = request.headers
    host = header_value(headers, "host")
    if host is None or _header_count(headers, "host") != 1 or host.lower() not in hosts:
        raise AuthFailure(MSG_FORBIDDEN)
    match, amz_date = _authorization(headers)
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
    _check_token(known, [v for k, v in headers if k.lower() == "x-amz-security-token"])
    _check_clock(amz_date, now or datetime.now(UTC))
    if scope_date != amz_date[:8]:
        raise AuthFailure(MSG_BAD_SIGNATURE)
    signed_headers = _signed_headers(match["signed"], headers)
    # The hash of the body received, always: execute-api has no UNSIGNED-PAYLOAD, and a claimed
    # x-amz-content-sha256 proves nothing about the bytes that arrived.
    payload_hash = hashlib.sha256(request.body).hexdigest()
    claimed = header_value(headers, "x-amz-content-sha256")
    if claimed is not None and claimed != payload_hash:
        raise AuthFailure(MSG_BAD_SIGNATURE)
    canonical = "\n".join(
        (
            request.method,
            _canonical_path(request.path),
            _canonical_query(request.query),
            "".join(f"{h}:{header_value(headers, h)}\n" for h in signed_headers),
            ";".join(signed_headers),
            payload_hash,
        )
    )
    scope = f"{scope_date}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join((ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = _signing_key(known.secret_key, scope_date, region)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        raise AuthFailure(MSG_BAD_SIGNATURE)
    return known.identity


def _authorization(headers: Sequence[tuple[str, str]]) -> tuple[re.Match[str], str]:
    """The one Authorization header, parsed, and the one X-Amz-Date; 403 otherwise."""
    authorizations = [v for k, v in headers if k.lower() == "authorization"]
    if not authorizations:
        raise AuthFailure(MSG_FORBIDDEN)
    match = _AUTH_RE.fullmatch(authorizations[0]) if len(authorizations) == 1 else None
    amz_date = header_value(headers, "x-amz-date")
    if match is None or amz_date is None or _header_count(headers, "x-amz-date") != 1:
        raise AuthFailure(MSG_MISSING_AUTH)
    return match, amz_date


def _check_clock(amz_date: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuthFailure(MSG_MISSING_AUTH) from exc
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise AuthFailure(_expired_message(signed_at, now))


def _signed_headers(signed: str, headers: Sequence[tuple[str, str]]) -> list[str]:
    """SignedHeaders as botocore writes it (sorted, unique), naming only present headers, and naming
    every header that must be signed when present (host, x-amz-date, the token, the payload hash)."""
    names = signed.split(";")
    present = {k.lower() for k, _ in headers}
    if (
        names != sorted(set(names))
        or any(h not in present for h in names)
        or any(h in present and h not in names for h in _MUST_SIGN)
    ):
        raise AuthFailure(MSG_BAD_SIGNATURE)
    return names


def _check_token(known: KnownCaller, tokens: list[str]) -> None:
    """Long-term keys carry no token; temporary ones exactly their own (signed: checked later)."""
    if known.session_token is None:
        if tokens:
            raise AuthFailure(MSG_INVALID_TOKEN)
        return
    if len(tokens) != 1 or not hmac.compare_digest(tokens[0].encode(), known.session_token.encode()):
        raise AuthFailure(MSG_INVALID_TOKEN)


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
    """botocore's (and AWS's) rule: drop dot segments and empty segments, then URI-encode again."""
    if not raw_path:
        return "/"
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    first = "/" if raw_path.startswith("/") else ""
    last = "/" if raw_path.endswith("/") and segments else ""
    return quote(first + "/".join(segments) + last, safe="/~")


def _canonical_query(raw_query: str) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(_encoded(_query_bytes(raw_query))))


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
