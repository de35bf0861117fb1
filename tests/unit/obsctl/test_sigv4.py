"""SigV4: botocore signs; our verifier (the gateway's) must agree and refuse what API Gateway refuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore.auth
import pytest

from obsctl import sigv4

REGION = "eu-west-1"
CALLER = sigv4.Caller("AKIDLOCAL", "123456789012", "arn:aws:iam::123456789012:user/dev", "AIDALOCAL")
TEMPORARY = sigv4.Caller("ASIALOCAL", "123456789012", "arn:aws:sts::123456789012:assumed-role/r/s", "AROA:s")
CALLERS = {
    "AKIDLOCAL": sigv4.KnownCaller("s3cr3t", CALLER),
    "ASIALOCAL": sigv4.KnownCaller("t3mp", TEMPORARY, session_token="the-session-token"),
}
HOSTS = frozenset({"127.0.0.1:8080", "h", "abc123.execute-api.eu-west-1.amazonaws.com"})


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def with_header(self, name: str, value: str | None) -> Req:
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=kept if value is None else (*kept, (name, value)))


def _signed(
    url: str,
    *,
    region: str = REGION,
    secret: str = "s3cr3t",
    key: str = "AKIDLOCAL",
    token: str | None = None,
    body: bytes = b"",
    method: str = "GET",
) -> Req:
    url = sigv4.canonical_url(url)
    headers = sigv4.sign(method, url, {"User-Agent": "test"}, body, key, secret, region, session_token=token)
    parts = urlsplit(url)
    return Req(method, parts.path, parts.query, (("Host", parts.netloc), *headers.items()), body)


def _verify(request: Req) -> sigv4.Caller:
    return sigv4.verify(request, region=REGION, callers=CALLERS, hosts=HOSTS)


def _refused(request: Req) -> str:
    with pytest.raises(sigv4.AuthFailure) as failure:
        _verify(request)
    return failure.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/objects",
        "http://127.0.0.1:8080/objects?limit=2",
        "http://127.0.0.1:8080/objects?prefix=a b/ü&limit=7",
        "http://127.0.0.1:8080/objects?prefix=x%2By&prefix=a&limit=1",
        "http://127.0.0.1:8080/objects?next_token=abc%3D%3D&prefix=~tilde-_.",
        "http://127.0.0.1:8080//objects/./a/../b//",
        "https://abc123.execute-api.eu-west-1.amazonaws.com/objects?limit=1000",
    ],
)
def test_botocore_signature_verifies(url: str) -> None:
    # Given a request signed by botocore for execute-api, When the gateway verifies it, Then the caller
    assert _verify(_signed(url)) == CALLER


def test_body_is_covered_by_the_signature() -> None:
    request = _signed("http://h/objects", body=b'{"a":1}', method="POST")
    assert _verify(request) == CALLER
    assert _refused(replace(request, body=b'{"a":2}')) == sigv4.MSG_BAD_SIGNATURE


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.with_header("Authorization", None), sigv4.MSG_FORBIDDEN),
        (lambda r: replace(r, query=r.query.replace("limit=2", "limit=3")), sigv4.MSG_BAD_SIGNATURE),
        (lambda r: replace(r, path="/objects2"), sigv4.MSG_BAD_SIGNATURE),
        (lambda r: replace(r, method="get"), sigv4.MSG_BAD_SIGNATURE),
        (
            lambda r: r.with_header("Authorization", _flip_last_hex(dict(r.headers)["Authorization"])),
            sigv4.MSG_BAD_SIGNATURE,
        ),
        (lambda r: r.with_header("Authorization", "Bearer abc"), sigv4.MSG_MISSING_AUTH),
        (lambda r: r.with_header("Host", "evil.example"), sigv4.MSG_FORBIDDEN),
        (lambda r: replace(r, headers=(*r.headers, ("Host", "h"))), sigv4.MSG_FORBIDDEN),
        (
            lambda r: replace(r, headers=(*r.headers, ("X-Amz-Date", "20260101T000000Z"))),
            sigv4.MSG_MISSING_AUTH,
        ),
        (lambda r: replace(r, headers=(*r.headers, r.headers[-1])), sigv4.MSG_MISSING_AUTH),
        (lambda r: r.with_header("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"), sigv4.MSG_BAD_SIGNATURE),
        (lambda r: r.with_header("X-Amz-Security-Token", "garbage"), sigv4.MSG_INVALID_TOKEN),
    ],
    ids=[
        "unsigned",
        "tampered-query",
        "tampered-path",
        "method-case",
        "tampered-signature",
        "garbage-header",
        "other-host",
        "second-host",
        "second-date",
        "second-authorization",
        "unsigned-payload-claim",
        "token-on-a-long-term-key",
    ],
)
def test_refusals(mutate: Callable[[Req], Req], message: str) -> None:
    assert _refused(mutate(_signed("http://h/objects?limit=2"))) == message


def test_plus_and_percent_2b_are_different_values() -> None:
    # One decoding for the signature and for the function: %2B is "+", a bare "+" is a space
    assert sigv4.decode_query("p=a%2Bb&q=a+b") == [("p", "a+b"), ("q", "a b")]
    signed = _signed("http://h/objects?prefix=reports%2Bx")
    assert _verify(signed) == CALLER
    assert _refused(replace(signed, query="prefix=reports+x")) == sigv4.MSG_BAD_SIGNATURE


def test_empty_query_pairs_are_signed_as_botocore_signs_them() -> None:
    # A URL signed through canonical_url but sent as written still verifies; dropping the empty
    # pair is another request
    headers = sigv4.sign("GET", "http://h/objects?a=1&&b=2", {}, None, "AKIDLOCAL", "s3cr3t", REGION)
    sent = Req("GET", "/objects", "a=1&&b=2", (("Host", "h"), *headers.items()))
    assert _verify(sent) == CALLER
    assert _refused(replace(sent, query="a=1&b=2")) == sigv4.MSG_BAD_SIGNATURE
    assert sigv4.decode_query("a=1&&b=2&") == [("a", "1"), ("b", "2")]


def test_invalid_utf8_in_the_query_is_signed_byte_for_byte() -> None:
    # %FF and %FE both decode to U+FFFD as text; the signature must still tell them apart
    signed = _signed("http://h/objects?prefix=%FF")
    assert _verify(signed) == CALLER
    assert _refused(replace(signed, query="prefix=%FE")) == sigv4.MSG_BAD_SIGNATURE


def test_every_value_of_a_duplicated_header_is_signed() -> None:
    signed = _signed("http://h/objects")
    smuggled = replace(signed, headers=(("user-agent", "evil"), *signed.headers))
    # user-agent is not signed by botocore, so an extra one changes nothing that was signed...
    assert _verify(smuggled) == CALLER
    # ...but a header that is signed cannot gain a second value
    assert _refused(replace(signed, headers=(("x-amz-date", "x"), *signed.headers))) == sigv4.MSG_MISSING_AUTH
    assert sigv4.header_value((("A", " x  y "), ("a", "z")), "a") == "x y,z"


def test_x_amz_date_must_be_signed() -> None:
    signed = _signed("http://h/objects")
    authorization = dict(signed.headers)["Authorization"]
    host_only = authorization.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=host")
    assert host_only != authorization
    assert _refused(signed.with_header("Authorization", host_only)) == sigv4.MSG_BAD_SIGNATURE


def test_temporary_credentials_need_their_token_signed() -> None:
    url = "http://h/objects"
    assert _verify(_signed(url, key="ASIALOCAL", secret="t3mp", token="the-session-token")) == TEMPORARY
    for token in (None, "another-token"):
        assert _refused(_signed(url, key="ASIALOCAL", secret="t3mp", token=token)) == sigv4.MSG_INVALID_TOKEN
    late = _signed(url, key="ASIALOCAL", secret="t3mp").with_header(
        "X-Amz-Security-Token", "the-session-token"
    )
    assert _refused(late) == sigv4.MSG_BAD_SIGNATURE


def test_wrong_region_unknown_key_and_wrong_secret() -> None:
    assert _refused(_signed("http://h/objects", region="us-east-1")) == sigv4.MSG_BAD_REGION
    assert _refused(_signed("http://h/objects", key="AKIDOTHER")) == sigv4.MSG_INVALID_TOKEN
    assert _refused(_signed("http://h/objects", secret="wrong")) == sigv4.MSG_BAD_SIGNATURE


def test_wrong_service_is_refused() -> None:
    headers = sigv4.sign("GET", "http://h/objects", {}, None, "AKIDLOCAL", "s3cr3t", REGION, service="s3")
    request = Req("GET", "/objects", "", (("Host", "h"), *headers.items()))
    assert _refused(request) == sigv4.MSG_BAD_SERVICE


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_signature_older_or_newer_than_five_minutes_is_refused(
    monkeypatch: pytest.MonkeyPatch, skew: timedelta
) -> None:
    # Given a signature made 6 minutes away from now (botocore's clock moved)
    signed_at = datetime.now(UTC) + skew
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at.replace(tzinfo=None))
    request = _signed("http://h/objects")
    # When verified now, Then it is refused with API Gateway's message
    assert _refused(request).startswith(
        "Signature expired" if skew < timedelta(0) else "Signature not yet current"
    )


def test_within_five_minutes_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    signed_at = datetime.now(UTC) - timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at.replace(tzinfo=None))
    assert _verify(_signed("http://h/objects")) == CALLER


def _flip_last_hex(value: str) -> str:
    """The signature with its last hex digit changed (always a change: "0" becomes "1")."""
    return value[:-1] + ("1" if value[-1] == "0" else "0")
