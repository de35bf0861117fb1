"""SigV4: botocore signs; our verifier (the gateway's) must agree and refuse what API Gateway refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore.auth
import pytest

from obsctl import sigv4

REGION = "eu-west-1"
CALLER = sigv4.Caller("AKIDLOCAL", "123456789012", "arn:aws:iam::123456789012:user/dev", "AIDALOCAL")
CALLERS = {"AKIDLOCAL": ("s3cr3t", CALLER)}


def _signed(
    url: str, *, region: str = REGION, secret: str = "s3cr3t", body: bytes | None = None, method: str = "GET"
) -> tuple[str, str, dict[str, str]]:
    url = sigv4.canonical_url(url)
    headers = sigv4.sign(method, url, {"User-Agent": "test"}, body, "AKIDLOCAL", secret, region)
    parts = urlsplit(url)
    headers["Host"] = parts.netloc
    return parts.path, parts.query, headers


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/objects",
        "http://127.0.0.1:8080/objects?limit=2",
        "http://127.0.0.1:8080/objects?prefix=a b/ü&limit=7",
        "http://127.0.0.1:8080/objects?prefix=x%2By&prefix=a&limit=1",
        "http://127.0.0.1:8080/objects?next_token=abc%3D%3D&prefix=~tilde-_.",
        "https://abc123.execute-api.eu-west-1.amazonaws.com/objects?limit=1000",
    ],
)
def test_botocore_signature_verifies(url: str) -> None:
    # Given a request signed by botocore for execute-api
    path, query, headers = _signed(url)
    # When the gateway verifies it, Then the caller comes back
    assert sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS) == CALLER


def test_body_is_covered_by_the_signature() -> None:
    path, query, headers = _signed("http://h/objects", body=b'{"a":1}', method="POST")
    assert sigv4.verify("POST", path, query, headers, b'{"a":1}', REGION, CALLERS) == CALLER
    with pytest.raises(sigv4.AuthFailure) as failure:
        sigv4.verify("POST", path, query, headers, b'{"a":2}', REGION, CALLERS)
    assert failure.value.message == sigv4.MSG_BAD_SIGNATURE


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p, q, h: (p, q, {k: v for k, v in h.items() if k != "Authorization"}), sigv4.MSG_FORBIDDEN),
        (lambda p, q, h: (p, q.replace("limit=2", "limit=3"), h), sigv4.MSG_BAD_SIGNATURE),
        (lambda p, q, h: ("/objects2", q, h), sigv4.MSG_BAD_SIGNATURE),
        (
            lambda p, q, h: (p, q, {**h, "Authorization": h["Authorization"][:-1] + "0"}),
            sigv4.MSG_BAD_SIGNATURE,
        ),
        (lambda p, q, h: (p, q, {**h, "Authorization": "Bearer abc"}), sigv4.MSG_MISSING_AUTH),
        (lambda p, q, h: (p, q, {**h, "Host": "evil.example"}), sigv4.MSG_BAD_SIGNATURE),
    ],
    ids=["unsigned", "tampered-query", "tampered-path", "tampered-signature", "garbage-header", "other-host"],
)
def test_refusals(mutate, message: str) -> None:
    path, query, headers = mutate(*_signed("http://h/objects?limit=2"))
    with pytest.raises(sigv4.AuthFailure) as failure:
        sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS)
    assert failure.value.message == message


def test_wrong_region_unknown_key_and_wrong_secret() -> None:
    path, query, headers = _signed("http://h/objects", region="us-east-1")
    with pytest.raises(sigv4.AuthFailure, match="valid region"):
        sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS)
    path, query, headers = _signed("http://h/objects")
    with pytest.raises(sigv4.AuthFailure, match="security token"):
        sigv4.verify("GET", path, query, headers, b"", REGION, {})
    path, query, headers = _signed("http://h/objects", secret="wrong")
    with pytest.raises(sigv4.AuthFailure, match="does not match"):
        sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS)


def test_wrong_service_is_refused() -> None:
    url = "http://h/objects"
    headers = sigv4.sign("GET", url, {}, None, "AKIDLOCAL", "s3cr3t", REGION, service="s3")
    headers["Host"] = "h"
    with pytest.raises(sigv4.AuthFailure, match="execute-api"):
        sigv4.verify("GET", "/objects", "", headers, b"", REGION, CALLERS)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_signature_older_or_newer_than_five_minutes_is_refused(
    monkeypatch: pytest.MonkeyPatch, skew: timedelta
) -> None:
    # Given a signature made 6 minutes away from now (botocore's clock moved)
    signed_at = datetime.now(UTC) + skew
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at.replace(tzinfo=None))
    path, query, headers = _signed("http://h/objects")
    # When verified now, Then it is refused with API Gateway's message
    with pytest.raises(sigv4.AuthFailure) as failure:
        sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS)
    assert failure.value.message.startswith(
        "Signature expired" if skew < timedelta(0) else "Signature not yet current"
    )


def test_within_five_minutes_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = datetime.now(UTC) - timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at.replace(tzinfo=None))
    path, query, headers = _signed("http://h/objects")
    assert sigv4.verify("GET", path, query, headers, b"", REGION, CALLERS) == CALLER
