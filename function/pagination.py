"""The opaque ``next_token``: S3's continuation token, bound to the prefix, dated and signed.

A caller can neither forge a position, reuse a token with another prefix, nor keep one forever:
the token carries an HMAC-SHA256 (key ``NEXT_TOKEN_SECRET``) over a version byte, the time it was
issued, a digest of the prefix it was issued for, and S3's continuation token. It is honoured for
``NEXT_TOKEN_LIFETIME_SECONDS`` after issue. During a secret rotation the previous secret
(``NEXT_TOKEN_PREVIOUS_SECRET``) still verifies tokens; new ones are signed with the current one.
Layout before base64url (unpadded) encoding::

    version (1 byte) | issued at (8 bytes, unix seconds, big-endian) | sha256(prefix)[:8]
        | continuation token (UTF-8) | HMAC-SHA256 (32 bytes)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time

from function.errors import MSG_TOKEN_EXPIRED, MSG_TOKEN_INVALID, MSG_TOKEN_OTHER_PREFIX, BadRequestError

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_LIFETIME",
    "MAX_TOKEN_CHARS",
    "TOKEN_VERSION",
    "decode_token",
    "encode_token",
]

TOKEN_VERSION = 2
MAX_TOKEN_CHARS = 2048
DEFAULT_LIFETIME = 3600
CLOCK_SKEW = 300
"""Seconds a token may seem to come from the future (clocks of execution environments differ)."""
_ISSUED_BYTES = 8
_PREFIX_DIGEST_BYTES = 8
_MAC_BYTES = 32
_HEADER_BYTES = 1 + _ISSUED_BYTES + _PREFIX_DIGEST_BYTES
_CONTEXT = b"objects-api/next_token/v2\x00"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _prefix_digest(prefix: str) -> bytes:
    return hashlib.sha256(prefix.encode("utf-8")).digest()[:_PREFIX_DIGEST_BYTES]


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def encode_token(secret: bytes, prefix: str, continuation: str, *, issued_at: int | None = None) -> str:
    """Wrap S3's continuation token for a page listed under ``prefix``, dated ``issued_at`` (now)."""
    issued = int(time.time()) if issued_at is None else issued_at
    payload = (
        bytes([TOKEN_VERSION])
        + issued.to_bytes(_ISSUED_BYTES, "big")
        + _prefix_digest(prefix)
        + continuation.encode("utf-8")
    )
    raw = payload + _mac(secret, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_token(
    secret: bytes,
    prefix: str,
    token: str,
    *,
    previous_secret: bytes | None = None,
    lifetime: int = DEFAULT_LIFETIME,
    now: int | None = None,
) -> str:
    """Return S3's continuation token, or raise ``BadRequestError`` for a bad, foreign or old token."""
    if not 0 < len(token) <= MAX_TOKEN_CHARS or not _BASE64URL.fullmatch(token):
        raise BadRequestError(MSG_TOKEN_INVALID)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError(MSG_TOKEN_INVALID) from exc
    # One spelling per token: the last character's unused bits must be zero, as we encode them,
    # so no token has an equally valid twin.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise BadRequestError(MSG_TOKEN_INVALID)
    if len(raw) <= _HEADER_BYTES + _MAC_BYTES:
        raise BadRequestError(MSG_TOKEN_INVALID)
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    # Authenticate first: nothing inside an unauthenticated token is looked at.
    secrets = [secret] if previous_secret is None else [secret, previous_secret]
    authentic = [hmac.compare_digest(mac, _mac(s, payload)) for s in secrets]  # no early exit
    if not any(authentic) or payload[0] != TOKEN_VERSION:
        raise BadRequestError(MSG_TOKEN_INVALID)
    issued = int.from_bytes(payload[1 : 1 + _ISSUED_BYTES], "big")
    current = int(time.time()) if now is None else now
    if not issued - CLOCK_SKEW <= current <= issued + lifetime:
        raise BadRequestError(MSG_TOKEN_EXPIRED)
    if not hmac.compare_digest(payload[1 + _ISSUED_BYTES : _HEADER_BYTES], _prefix_digest(prefix)):
        raise BadRequestError(MSG_TOKEN_OTHER_PREFIX)
    try:
        return payload[_HEADER_BYTES:].decode("utf-8")
    except UnicodeDecodeError as exc:  # only possible with a leaked secret
        raise BadRequestError(MSG_TOKEN_INVALID) from exc
