"""The local gateway under attack: each hole found in the security review, over real HTTP.

Requests are signed by botocore (``SigV4Auth``, as every AWS SDK signs) and sent byte for byte with
``http.client``, so the test controls exactly what reaches the gateway: duplicated headers, an
unusual request target, a lying ``Content-Length``. Each case was first written against the old
gateway and failed there.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.client import HTTPMessage
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from local_platform.gateway import MAX_PAYLOAD_BYTES, Credentials
from local_platform.stack import LocalStack
from obsctl import sigv4

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Sent:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> object:
        return json.loads(self.body)


def _netloc(stack: LocalStack) -> str:
    return urlsplit(stack.url).netloc


def _signed(
    stack: LocalStack,
    method: str,
    target: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    credentials: Credentials | None = None,
    scheme: str = "http",
    host: str | None = None,
    unsigned_payload: bool = False,
    auth: type[SigV4Auth] = SigV4Auth,
) -> list[tuple[str, str]]:
    """The headers botocore signs for ``target`` (sent as written), Host included."""
    creds = credentials or stack.credentials
    netloc = host or _netloc(stack)
    request = AWSRequest(method=method, url=f"{scheme}://{netloc}{target}", data=body)
    for key, value in headers:
        request.headers[key] = value  # HTTPHeaders appends: duplicates are kept
    if unsigned_payload:
        request.context["payload_signing_enabled"] = False
    boto = BotoCredentials(creds.access_key, creds.secret_key, creds.session_token)
    auth(boto, sigv4.SERVICE, stack.names.region).add_auth(request)
    return [("Host", netloc), *((k, str(v)) for k, v in request.headers.items())]


def _send(
    stack: LocalStack, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes = b""
) -> Sent:
    parts = urlsplit(stack.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        names = {k.lower() for k, _ in headers}
        for key, value in headers:
            connection.putheader(key, value)
        if body and not names & {"content-length", "transfer-encoding"}:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return Sent(response.status, response.read(), {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()


def _last_event(stack: LocalStack, request_id: str) -> dict[str, object]:
    exchange = next(e for e in stack.gateway.exchanges if e.request_id == request_id)
    assert exchange.event is not None, "the function did not run"
    return exchange.event


def _invocations(stack: LocalStack) -> int:
    return sum(1 for e in stack.gateway.exchanges if e.invoked)


def _refused(stack: LocalStack, sent: Sent, message: str, before: int) -> None:
    assert (sent.status, sent.json()) == (403, {"message": message})
    assert _invocations(stack) == before


# --- one request, one meaning ---------------------------------------------------------------------
def test_one_signature_covers_one_query_value(local_stack: LocalStack) -> None:
    # Given a request signed for prefix=reports%2Bx (the value "reports+x")
    target = "/objects?limit=1&prefix=reports%2Bx"
    headers = _signed(local_stack, "GET", target)
    accepted = _send(local_stack, "GET", target, headers)
    assert accepted.status == 200
    query = _last_event(local_stack, accepted.headers["apigw-requestid"])["queryStringParameters"]
    assert query == {"limit": "1", "prefix": "reports+x"}
    # When the same signature is replayed with prefix=reports+x (the value "reports x")
    before = _invocations(local_stack)
    replayed = _send(local_stack, "GET", target.replace("%2B", "+"), headers)
    # Then it is refused: it is another request
    _refused(local_stack, replayed, sigv4.MSG_BAD_SIGNATURE, before)


def test_plus_is_a_space_for_the_signature_and_the_function_alike(local_stack: LocalStack) -> None:
    target = "/objects?limit=1&prefix=reports+x"
    sent = _send(
        local_stack, "GET", target, _signed(local_stack, "GET", "/objects?limit=1&prefix=reports%20x")
    )
    assert sent.status == 200
    query = _last_event(local_stack, sent.headers["apigw-requestid"])["queryStringParameters"]
    assert query == {"limit": "1", "prefix": "reports x"}


def test_a_duplicated_header_cannot_smuggle_an_unsigned_value(local_stack: LocalStack) -> None:
    signed = _signed(local_stack, "GET", "/objects?limit=1", headers=[("X-Tenant", "good")])
    before = _invocations(local_stack)
    # An extra value under another spelling, before the signed one
    smuggled = [("x-tenant", "evil"), *signed]
    _refused(
        local_stack, _send(local_stack, "GET", "/objects?limit=1", smuggled), sigv4.MSG_BAD_SIGNATURE, before
    )


def test_a_header_signed_with_all_its_values_reaches_the_function_as_signed(local_stack: LocalStack) -> None:
    headers = _signed(local_stack, "GET", "/objects?limit=1", headers=[("X-Tenant", "a"), ("X-Tenant", "b")])
    sent = _send(local_stack, "GET", "/objects?limit=1", headers)
    assert sent.status == 200
    assert _last_event(local_stack, sent.headers["apigw-requestid"])["headers"]["x-tenant"] == "a,b"  # type: ignore[index]


def test_path_with_a_double_slash_is_canonicalised_like_botocore(local_stack: LocalStack) -> None:
    # botocore signs //objects as /objects; the gateway must agree (and pass the raw path on)
    target = "//objects?limit=1"
    sent = _send(local_stack, "GET", target, _signed(local_stack, "GET", target))
    assert sent.status != 403, sent.body
    event = _last_event(local_stack, sent.headers["apigw-requestid"])
    assert event["rawPath"] == "//objects"


# --- what must be signed ---------------------------------------------------------------------------
def test_unsigned_payload_is_refused(local_stack: LocalStack) -> None:
    body = b'{"a": 1}'
    headers = _signed(local_stack, "POST", "/objects", body=body, scheme="https", unsigned_payload=True)
    assert ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD") in headers
    before = _invocations(local_stack)
    _refused(
        local_stack, _send(local_stack, "POST", "/objects", headers, body), sigv4.MSG_BAD_SIGNATURE, before
    )


class _HostOnly(SigV4Auth):
    def headers_to_sign(self, request: AWSRequest) -> HTTPMessage:
        headers = super().headers_to_sign(request)
        for name in list(headers.keys()):
            if name != "host":
                del headers[name]
        return headers


def test_x_amz_date_must_be_signed(local_stack: LocalStack) -> None:
    headers = _signed(local_stack, "GET", "/objects?limit=1", auth=_HostOnly)
    assert "SignedHeaders=host," in dict(headers)["Authorization"]
    before = _invocations(local_stack)
    _refused(
        local_stack, _send(local_stack, "GET", "/objects?limit=1", headers), sigv4.MSG_BAD_SIGNATURE, before
    )


def test_a_request_signed_for_another_host_is_refused(local_stack: LocalStack) -> None:
    headers = _signed(
        local_stack, "GET", "/objects?limit=1", host="abc123.execute-api.eu-west-1.amazonaws.com"
    )
    before = _invocations(local_stack)
    _refused(local_stack, _send(local_stack, "GET", "/objects?limit=1", headers), sigv4.MSG_FORBIDDEN, before)


# --- temporary credentials ---------------------------------------------------------------------------
@pytest.fixture
def temporary_caller(local_stack: LocalStack) -> Iterator[Credentials]:
    creds = Credentials(
        access_key="ASIA" + secrets.token_hex(8).upper(),
        secret_key=secrets.token_urlsafe(30),
        session_token=secrets.token_urlsafe(60),
        user_name="local-session",
    )
    local_stack.gateway.add_caller(creds)
    try:
        yield creds
    finally:
        local_stack.gateway.remove_caller(creds.access_key)


def test_a_long_term_key_with_any_token_is_refused(local_stack: LocalStack) -> None:
    before = _invocations(local_stack)
    # unsigned garbage next to a valid signature
    garbage = [*_signed(local_stack, "GET", "/objects?limit=1"), ("X-Amz-Security-Token", "garbage")]
    _refused(
        local_stack, _send(local_stack, "GET", "/objects?limit=1", garbage), sigv4.MSG_INVALID_TOKEN, before
    )
    # a bogus token, signed
    creds = local_stack.credentials
    bogus = Credentials(creds.access_key, creds.secret_key, session_token="bogus")
    signed = _signed(local_stack, "GET", "/objects?limit=1", credentials=bogus)
    _refused(
        local_stack, _send(local_stack, "GET", "/objects?limit=1", signed), sigv4.MSG_INVALID_TOKEN, before
    )


def test_temporary_credentials_need_their_own_signed_token(
    local_stack: LocalStack, temporary_caller: Credentials
) -> None:
    target = "/objects?limit=1"
    accepted = _send(
        local_stack, "GET", target, _signed(local_stack, "GET", target, credentials=temporary_caller)
    )
    assert accepted.status == 200, accepted.body
    iam = _last_event(local_stack, accepted.headers["apigw-requestid"])["requestContext"]["authorizer"]["iam"]  # type: ignore[index]
    assert iam["accessKey"] == temporary_caller.access_key
    assert ":assumed-role/" in iam["userArn"]
    before = _invocations(local_stack)
    for token in (None, temporary_caller.session_token + "x"):  # type: ignore[operator]
        wrong = Credentials(temporary_caller.access_key, temporary_caller.secret_key, session_token=token)
        sent = _send(local_stack, "GET", target, _signed(local_stack, "GET", target, credentials=wrong))
        _refused(local_stack, sent, sigv4.MSG_INVALID_TOKEN, before)
    # the right token, added after signing (unsigned)
    unsigned_token = [
        *_signed(
            local_stack,
            "GET",
            target,
            credentials=Credentials(temporary_caller.access_key, temporary_caller.secret_key),
        ),
        ("X-Amz-Security-Token", temporary_caller.session_token or ""),
    ]
    _refused(local_stack, _send(local_stack, "GET", target, unsigned_token), sigv4.MSG_BAD_SIGNATURE, before)


# --- bodies ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["²", "١٢", "+5", "-1", "5 5", "0x10", "1e3", "99999999999999999999999"])
def test_content_length_must_be_ascii_digits(local_stack: LocalStack, value: str) -> None:
    parts = urlsplit(local_stack.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.putrequest("POST", "/objects")
        connection.putheader("Content-Length", value.encode())
        connection.endheaders()
        response = connection.getresponse()
        assert response.status in (400, 413), value
        assert json.loads(response.read())["message"] in ("Bad Request", "Request Entity Too Large")
    finally:
        connection.close()


def test_conflicting_content_lengths_are_400(local_stack: LocalStack) -> None:
    sent = _send(
        local_stack,
        "POST",
        "/objects",
        [("Host", _netloc(local_stack)), ("Content-Length", "2"), ("Content-Length", "3")],
        b"abc",
    )
    assert (sent.status, sent.json()) == (400, {"message": "Bad Request"})


def test_a_chunked_body_is_the_body_that_was_signed(local_stack: LocalStack) -> None:
    body = b'{"a": 1}'
    headers = [*_signed(local_stack, "POST", "/objects", body=body), ("Transfer-Encoding", "chunked")]
    chunked = b"3\r\n" + body[:3] + b"\r\n5\r\n" + body[3:] + b"\r\n0\r\n\r\n"
    sent = _send(local_stack, "POST", "/objects", headers, chunked)
    assert sent.status != 403, sent.body
    event = _last_event(local_stack, sent.headers["apigw-requestid"])
    assert base64.b64decode(str(event["body"])) == body
    # and a chunk that lies about its size is a 400, never a desynchronised connection
    lying = _send(local_stack, "POST", "/objects", headers, b"9\r\n" + body + b"\r\n0\r\n\r\n")
    assert (lying.status, lying.headers.get("connection")) == (400, "close")


def test_body_over_10_mb_is_413_before_auth(local_stack: LocalStack) -> None:
    before = _invocations(local_stack)
    at_limit = _send(
        local_stack, "POST", "/objects", [("Host", _netloc(local_stack))], b"x" * MAX_PAYLOAD_BYTES
    )
    assert at_limit.status == 403  # read, then refused for want of a signature
    # Over the limit: answered from the headers alone, before a byte of the body is read
    over = _send(
        local_stack,
        "POST",
        "/objects",
        [("Host", _netloc(local_stack)), ("Content-Length", str(MAX_PAYLOAD_BYTES + 1))],
    )
    assert (over.status, over.json()) == (413, {"message": "Request Entity Too Large"})
    assert over.headers.get("connection") == "close"
    assert _invocations(local_stack) == before
