"""``obsctl logs`` and ``obsctl opensearch bootstrap`` signing for OpenSearch Serverless (``aoss``).

A local stand-in for the collection's front end (pytest-httpserver) checks every request's SigV4
signature the way the service does: the hop-by-hop headers (RFC 9110 7.6.1) are dropped on the way
in, as AOSS' load balancer does, then botocore's own signer recomputes the signature from what
arrived (method, path, query, the signed headers, the body) with the caller's secret, scoped to
``aoss`` and the region; ``x-amz-content-sha256`` must be present and match the body (AOSS requires
it). A verified request is forwarded to the real local node, so the commands work on real data.
opensearch-py 3.2.0 (opensearch-project/opensearch-py#1047) signs headers that do not survive the
front end; the pinned version must pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from obsctl.cli import main
from tests.integration.logs_corpus import Corpus, build_corpus

pytestmark = pytest.mark.integration

ACCESS_KEY = "AKIDLOGSCLITEST00001"
SECRET_KEY = "logs-cli-test-secret"
REGION = "eu-west-1"
SERVICE = "aoss"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer"}
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/"
    r"aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
FORBIDDEN = {"status": 403, "request-id": "local", "error": {"reason": "403 Forbidden", "type": "Forbidden"}}


def verify(method: str, url: str, headers: dict[str, str], body: bytes) -> str | None:
    """None when the signature holds for what reached the service; else why not."""
    received = {k.lower(): v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    match = _AUTH.match(received.get("authorization", ""))
    if match is None:
        return "no SigV4 Authorization header"
    if (match["key"], match["region"], match["service"]) != (ACCESS_KEY, REGION, SERVICE):
        return f"credential scope {match['key']}/{match['region']}/{match['service']}"
    amz_date = received.get("x-amz-date", "")
    if amz_date[:8] != match["date"]:
        return "x-amz-date does not match the credential scope"
    if received.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 missing or not the body's hash"
    signed = match["signed"].split(";")
    if "host" not in signed:
        return "host is not signed"
    missing = [name for name in signed if name not in received]
    if missing:
        return f"signed headers that did not reach the service: {missing}"
    request = AWSRequest(method=method, url=url, data=body, headers={h: received[h] for h in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), SERVICE, REGION)
    if signer.signed_headers(signer.headers_to_sign(request)) != match["signed"]:
        return f"SignedHeaders {match['signed']} are not what the service recomputes"
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if not hmac.compare_digest(expected, match["signature"]):
        return "signature mismatch"
    return None


@dataclass
class Front:
    """The stand-in's record of what it saw."""

    node: str
    verified: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        raw = request.environ.get("RAW_URI") or request.full_path
        url = f"http://{request.host}{raw}"
        why = verify(request.method, url, dict(request.headers), body)
        if why is not None:
            self.rejected.append(f"{request.method} {request.path}: {why}")
            return Response(json.dumps(FORBIDDEN), status=403, content_type="application/json")
        self.verified.append(f"{request.method} {request.path}")
        upstream = requests.request(
            request.method,
            self.node + raw,
            data=body,
            headers={"Content-Type": request.headers.get("Content-Type", "application/json")},
            timeout=30,
        )
        return Response(upstream.content, status=upstream.status_code, content_type="application/json")


@pytest.fixture(scope="module")
def corpus(opensearch_url: str) -> Corpus:
    return build_corpus(opensearch_url, rounds=2)


@pytest.fixture
def front(httpserver: HTTPServer, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> Front:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    recorder = Front(corpus.url)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(recorder.handle)
    return recorder


def _aoss(httpserver: HTTPServer, *argv: str) -> list[str]:
    return [*argv, "--endpoint", httpserver.url_for("/").rstrip("/"), "--auth", "aoss", "--region", REGION]


def test_search_pages_are_signed_for_aoss_and_use_no_point_in_time(httpserver, front, corpus, capsys):
    argv = _aoss(httpserver, "logs", "search", "--index", corpus.index, "--from", corpus.start.isoformat())
    code = main([*argv, "--limit", "1000", "--page-size", "5", "--output", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert front.rejected == []
    assert json.loads(out)["count"] == corpus.indexed
    assert len(front.verified) == -(-corpus.indexed // 5) + (corpus.indexed % 5 == 0)
    assert not any("point_in_time" in line or "scroll" in line for line in front.verified)


def test_request_story_through_the_signature_check(httpserver, front, corpus, capsys):
    ids = corpus.rounds[1]
    code = main(_aoss(httpserver, "logs", "request", ids.api_ok, "--index", corpus.index, "--output", "json"))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["request"]["lambda_request_ids"] == [ids.lambda_ok]
    assert front.rejected == [] and front.verified


def test_bootstrap_puts_templates_through_the_signature_check(httpserver, front, capsys):
    code = main(_aoss(httpserver, "opensearch", "bootstrap"))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.split() == ["logs-application", "logs-platform", "logs-access"]
    assert front.rejected == []
    assert sorted(front.verified) == [
        f"PUT /_index_template/logs-{k}" for k in ("access", "application", "platform")
    ]


def test_wrong_secret_is_403_with_the_access_policy_hint(httpserver, front, corpus, capsys, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    code = main(_aoss(httpserver, "logs", "search", "--index", corpus.index))
    _, err = capsys.readouterr()
    assert code == 2
    assert front.rejected == [
        "POST /logs-*-" + corpus.index.rsplit("-", 1)[1] + "/_search: signature mismatch"
    ]
    assert err.count("\n") == 1
    assert err.startswith(
        f"obsctl: error: search refused by {httpserver.url_for('/').rstrip('/')} (HTTP 403: "
    )
    assert "aoss:APIAccessAll" in err and "data access policy" in err


def test_the_check_rejects_a_signature_over_hop_by_hop_headers(httpserver, front):
    # What opensearch-py 3.2.0 does (opensearch-project/opensearch-py#1047): sign every header of the
    # prepared request, Connection included. The front end drops it, so the signature cannot hold.
    url = httpserver.url_for("/_search")
    body = b'{"size":0}'
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json", "Connection": "keep-alive"},
    )
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), SERVICE, REGION)
    signer.add_auth(request)
    signed = request.headers["Authorization"]
    # botocore itself no longer signs Connection; force it into SignedHeaders as 3.2.0 did.
    names = "connection;content-type;host;x-amz-content-sha256;x-amz-date"
    canonical = "\n".join(
        [
            "POST",
            "/_search",
            "",
            "".join(
                f"{name}:{value}\n"
                for name, value in (
                    ("connection", "keep-alive"),
                    ("content-type", "application/json"),
                    ("host", urlsplit(url).netloc),
                    ("x-amz-content-sha256", hashlib.sha256(body).hexdigest()),
                    ("x-amz-date", request.headers["X-Amz-Date"]),
                )
            ),
            names,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    request.context["timestamp"] = request.headers["X-Amz-Date"]
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    authorization = re.sub(
        r"SignedHeaders=[^,]+, Signature=[0-9a-f]+", f"SignedHeaders={names}, Signature={signature}", signed
    )
    headers = {k: str(v) for k, v in request.headers.items()} | {"Authorization": authorization}
    response = requests.post(url, data=body, headers=headers, timeout=10)
    assert response.status_code == 403
    assert front.rejected == ["POST /_search: signed headers that did not reach the service: ['connection']"]
    # and the same request signed over end-to-end headers only passes
    clean = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    clean.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    signer.add_auth(clean)
    good = requests.post(url, data=body, headers={k: str(v) for k, v in clean.headers.items()}, timeout=10)
    assert good.status_code == 200, good.text


def test_the_pinned_client_signs_only_end_to_end_headers(httpserver, front, corpus, capsys):
    # opensearch-py 3.2.0 signs every header of the prepared request (hop-by-hop ones too, with a
    # botocore older than 1.4x that does not skip them); 3.1 signs host and x-amz-date and sends
    # x-amz-content-sha256 alongside, as AOSS requires. Nothing a proxy may drop may be signed.
    code = main(_aoss(httpserver, "logs", "search", "--index", corpus.index, "--limit", "1"))
    capsys.readouterr()
    assert code == 0
    (request, _response) = httpserver.log[-1]
    match = _AUTH.match(request.headers["Authorization"])
    assert match is not None
    signed = set(match["signed"].split(";"))
    assert {"host", "x-amz-date"} <= signed
    assert not signed & HOP_BY_HOP
    assert request.headers["X-Amz-Content-SHA256"]
