"""Property: the gateway accepts exactly what botocore signs, and no single-byte tamper of it.

Random method, path, query, headers, body and credentials (long-term or temporary) are signed with
botocore's ``SigV4Auth`` (the SDKs' signer) and handed to the gateway's own request parsing and
authentication (``Request.from_http`` then ``authenticate``), as the HTTP server would. Every
signed request must be accepted. Then every byte of the method, the request target, each header's
name and value and the body is replaced, one at a time, by another byte: each such request must be
refused. The only tampers that may pass are the equivalences HTTP and URIs define and AWS shares:
the case of a header name and the case of the hex digits of a ``%XX`` escape in the query (both
decode to the same bytes, so the function receives the same values).
"""

from __future__ import annotations

import random
import string
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from local_platform.gateway.auth import Credentials, authenticate, loopback_hosts
from local_platform.gateway.request import BadTarget, Request
from local_platform.http_server import HttpRequest
from obsctl import sigv4

REGION = "eu-west-1"
PORT = 8080
HOST = f"127.0.0.1:{PORT}"
LONG_TERM = Credentials("AKIAEXAMPLELOCAL", "long-term-secret")
TEMPORARY = Credentials("ASIAEXAMPLELOCAL", "temporary-secret", session_token="FwoGZXIvYXdzEXAMPLETOKEN")
CALLERS = (LONG_TERM, TEMPORARY)
HOSTS = loopback_hosts(PORT)
PATH_SAFE = "-_.~!$&'()*+,;=:@"
HEX = frozenset(string.hexdigits)

texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
segments = texts.filter(lambda s: s not in (".", ".."))
header_names = st.from_regex(r"x-[a-z0-9-]{1,8}", fullmatch=True)
header_values = st.from_regex(r"[!-~]([ !-~]{0,10}[!-~])?", fullmatch=True).filter(lambda v: "  " not in v)


@st.composite
def signed_requests(draw: st.DrawFn) -> tuple[HttpRequest, Credentials]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    path = "/" + "/".join(quote(s, safe=PATH_SAFE) for s in draw(st.lists(segments, min_size=1, max_size=3)))
    if draw(st.booleans()):
        path += "/"
    pairs = draw(st.lists(st.tuples(texts, st.one_of(st.just(""), texts)), max_size=3))
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=3))
    body = draw(st.binary(max_size=32))
    caller = draw(st.sampled_from(CALLERS))
    target = path + (f"?{query}" if query else "")
    aws_request = AWSRequest(method=method, url=f"http://{HOST}{target}", data=body)
    for name, value in headers:
        aws_request.headers[name] = value
    boto = BotoCredentials(caller.access_key, caller.secret_key, caller.session_token)
    SigV4Auth(boto, sigv4.SERVICE, REGION).add_auth(aws_request)
    sent = (("Host", HOST), *((k, str(v)) for k, v in aws_request.headers.items()))
    return HttpRequest(method, target, sent, body, "127.0.0.1"), caller


def _accepted(http: HttpRequest) -> sigv4.Caller | None:
    try:
        request = Request.from_http(http, datetime.now(UTC))
        return authenticate(request, callers=CALLERS, region=REGION, hosts=HOSTS)
    except (sigv4.AuthFailure, BadTarget):
        return None


def _replace(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1 :]


SPECIALS = "/.%+&=;,?# \t"


def _others(rng: random.Random, original: str, printable: bool) -> list[str]:
    """Replacements for one character: its other case, one special character and two random bytes."""
    pool = [chr(b) for b in (range(0x20, 0x7F) if printable else [*range(0x21, 0x7F), *range(0x80, 0x100)])]
    candidates = {original.swapcase(), rng.choice(SPECIALS), rng.choice(pool), rng.choice(pool)}
    allowed = set(pool) | set(SPECIALS) if not printable else set(pool)
    return sorted(c for c in candidates if c != original and len(c) == 1 and c in allowed)


def _tampers(http: HttpRequest, rng: random.Random) -> list[tuple[str, HttpRequest]]:
    """Each byte of each signed part replaced by a few other bytes, one at a time, with a label."""
    out: list[tuple[str, HttpRequest]] = []
    for i, char in enumerate(http.method):
        for other in _others(rng, char, False):
            out.append((f"method[{i}]={other!r}", replace(http, method=_replace(http.method, i, other))))
    query_start = http.target.find("?")
    for i, char in enumerate(http.target):
        in_escape = query_start != -1 and i > query_start and _inside_escape(http.target, i)
        for other in _others(rng, char, False):
            if in_escape and char in HEX and other.lower() == char.lower():
                continue  # %2f == %2F: the same byte
            out.append((f"target[{i}]={other!r}", replace(http, target=_replace(http.target, i, other))))
    for h, (name, value) in enumerate(http.headers):
        for i, char in enumerate(name):
            for other in _others(rng, char, False):
                if other.lower() == char.lower():
                    continue  # header names are case-insensitive
                out.append((f"{name}.name[{i}]", _with_header(http, h, _replace(name, i, other), value)))
        for i, char in enumerate(value):
            for other in _others(rng, char, True):
                out.append(
                    (f"{name}.value[{i}]={other!r}", _with_header(http, h, name, _replace(value, i, other)))
                )
    for i in range(len(http.body)):
        byte = rng.choice([b for b in range(256) if b != http.body[i]])
        out.append((f"body[{i}]", replace(http, body=http.body[:i] + bytes([byte]) + http.body[i + 1 :])))
    return out


def _inside_escape(target: str, i: int) -> bool:
    return (i >= 1 and target[i - 1] == "%") or (i >= 2 and target[i - 2] == "%")


def _with_header(http: HttpRequest, index: int, name: str, value: str) -> HttpRequest:
    headers = list(http.headers)
    headers[index] = (name, value)
    return replace(http, headers=tuple(headers))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(signed_requests(), st.randoms(use_true_random=False))
def test_gateway_accepts_exactly_what_botocore_signed(
    signed: tuple[HttpRequest, Credentials], rng: random.Random
) -> None:
    http, caller = signed
    # Given a request botocore signed, Then the gateway accepts it as that caller
    assert _accepted(http) == caller.caller
    # And no single-byte tamper of a signed part gets through
    passed = [label for label, tampered in _tampers(http, rng) if _accepted(tampered) is not None]
    assert passed == [], (http, passed)
