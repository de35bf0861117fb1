"""Target resolution, error lines and the query body of ``obsctl logs`` (no OpenSearch needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from opensearchpy import exceptions as ose

from obsctl.log_search import Filters, QueryError, histogram_interval, parse_duration, parse_time
from obsctl.opensearch_client import OpenSearchClientError, Target, describe_error, resolve_target
from signals import logs as fields

AOSS = "https://abc123def456.eu-west-1.aoss.amazonaws.com"
DOMAIN = "https://search-logs-xyz.us-east-2.es.amazonaws.com"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("OPENSEARCH_URL", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("endpoint", "auth", "region", "expected"),
    [
        (AOSS, "auto", None, Target(AOSS, "aoss", "eu-west-1")),
        (AOSS + "/", None, None, Target(AOSS, "aoss", "eu-west-1")),
        (DOMAIN, "auto", None, Target(DOMAIN, "es", "us-east-2")),
        ("http://127.0.0.1:9200", "auto", None, Target("http://127.0.0.1:9200", "none", None)),
        (
            "http://127.0.0.1:9200",
            "aoss",
            "ap-south-1",
            Target("http://127.0.0.1:9200", "aoss", "ap-south-1"),
        ),
        (AOSS, "none", None, Target(AOSS, "none", None)),
    ],
)
def test_resolve_target(endpoint, auth, region, expected):
    assert resolve_target(endpoint, auth, region) == expected


def test_region_falls_back_to_aws_region(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert resolve_target("http://proxy.internal:8443", "aoss").region == "sa-east-1"


def test_endpoint_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENSEARCH_URL", AOSS)
    assert resolve_target(None).auth == "aoss"


@pytest.mark.parametrize(
    ("endpoint", "auth", "message"),
    [
        ("http://127.0.0.1:9200", "es", "SigV4 (es) needs a region: pass --region or set AWS_REGION"),
        ("ftp://x", "auto", "not an http(s) URL: 'ftp://x'"),
        ("127.0.0.1:9200", "auto", "not an http(s) URL: '127.0.0.1:9200'"),
    ],
)
def test_bad_targets_are_one_line(endpoint, auth, message):
    with pytest.raises(OpenSearchClientError) as caught:
        resolve_target(endpoint, auth)
    assert str(caught.value) == message


def _error(status: int, body: object) -> ose.TransportError:
    cls = {400: ose.RequestError, 401: ose.AuthenticationException, 403: ose.AuthorizationException}.get(
        status, ose.NotFoundError if status == 404 else ose.TransportError
    )
    return cls(status, "error", body)


def test_403_on_aoss_names_both_policies():
    body = {"status": 403, "request-id": "x", "error": {"reason": "403 Forbidden", "type": "Forbidden"}}
    line = describe_error(_error(403, body), Target(AOSS, "aoss", "eu-west-1"), what="search")
    assert line.startswith(f"search refused by {AOSS} (HTTP 403: 403 Forbidden); ")
    assert "aoss:APIAccessAll" in line and "data access policy" in line and "\n" not in line


def test_403_on_a_domain_names_its_policies():
    line = describe_error(
        _error(403, {"message": "User: x is not authorized"}), Target(DOMAIN, "es", "us-east-2")
    )
    assert "(HTTP 403: User: x is not authorized)" in line and "es:ESHttpGet" in line


def test_401_on_a_plain_node():
    body = {
        "error": {
            "root_cause": [{"type": "security_exception", "reason": "missing authentication credentials"}]
        }
    }
    line = describe_error(_error(401, body), Target("http://127.0.0.1:9200", "none"), what="search")
    assert line.startswith(
        "search refused by http://127.0.0.1:9200 (HTTP 401: missing authentication credentials)"
    )


def test_bad_query_keeps_opensearch_reason():
    body = {
        "error": {
            "root_cause": [{"type": "query_shard_exception", "reason": "Failed to parse query [a:(]"}],
            "type": "search_phase_execution_exception",
            "reason": "all shards failed",
        }
    }
    line = describe_error(_error(400, body), Target("http://n", "none"), what="search")
    assert line == "OpenSearch refused the search: Failed to parse query [a:(]"


def test_missing_index():
    body = {"error": {"type": "index_not_found_exception", "reason": "no such index [logs-x]"}}
    line = describe_error(_error(404, body), Target("http://n", "none"), index="logs-x")
    assert line.startswith("no index matches logs-x at http://n: nothing shipped there yet?")


def test_unsupported_api_on_serverless():
    line = describe_error(
        _error(404, "Not Found"), Target(AOSS, "aoss", "eu-west-1"), what="point-in-time search"
    )
    assert "does not support this API" in line and "OpenSearch Serverless" in line


def test_query_body_uses_the_schema_names():
    start = datetime(2026, 12, 2, 10, tzinfo=UTC)
    body = Filters(
        query="S3",
        start=start,
        services=("objects-api",),
        levels=("error",),
        request_id="r",
        trace_id="t",
        kinds=("access",),
    ).query_body()
    text = json.dumps(body)
    for name in (
        fields.TIMESTAMP,
        fields.SERVICE_NAME,
        fields.LAMBDA_FUNCTION_NAME,
        fields.LOG_LEVEL,
        fields.HTTP_REQUEST_ID,
        fields.CORRELATION_ID,
        fields.LAMBDA_REQUEST_ID,
        fields.TRACE_ID,
        fields.EVENT_KIND,
        fields.MESSAGE,
    ):
        assert f'"{name}"' in text
    assert '"ERROR"' in text and "2026-12-02T10:00:00.000Z" in text


@pytest.mark.parametrize("text", ["", "15", "m", "-5m", "0m", "1y"])
def test_bad_durations(text):
    with pytest.raises(QueryError):
        parse_duration(text)


def test_times():
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert parse_time("15m", now) == datetime(2026, 12, 2, 11, 45, tzinfo=UTC)
    assert parse_time("2026-12-02T10:00:00Z") == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert parse_time("2026-12-02") == datetime(2026, 12, 2, tzinfo=UTC)
    with pytest.raises(QueryError):
        parse_time("yesterday")


def test_histogram_interval_stays_near_thirty_bars():
    start = datetime(2001, 1, 1, tzinfo=UTC)
    for end in (
        datetime(2001, 1, 1, 0, 15, tzinfo=UTC),
        datetime(2001, 1, 2, tzinfo=UTC),
        datetime(2030, 1, 1, tzinfo=UTC),
    ):
        width = histogram_interval(start, end)
        assert (end - start).total_seconds() / width <= 30


class _Cluster:
    """A cluster with ``n`` events and no point in time (404 on create_pit, as OpenSearch < 2.4)."""

    def __init__(self, n: int, pit_status: int = 404) -> None:
        self.docs = [
            {
                fields.TIMESTAMP: f"2026-12-02T10:00:{i:02d}.000Z",
                fields.CW_EVENT_ID: f"{i:03d}",
                fields.EVENT_KIND: "access",
            }
            for i in range(n)
        ]
        self.pit_status = pit_status
        self.bodies: list[dict[str, object]] = []

    def create_pit(self, **_kwargs):
        cls = ose.AuthorizationException if self.pit_status == 403 else ose.TransportError
        raise cls(self.pit_status, "nope", {"error": {"type": "x", "reason": "no pit here"}})

    def search(self, body, **_kwargs):
        self.bodies.append(body)
        docs = sorted(self.docs, key=lambda d: (d[fields.TIMESTAMP], d[fields.CW_EVENT_ID]), reverse=True)
        if "search_after" in body:
            after = tuple(body["search_after"])
            docs = [d for d in docs if (d[fields.TIMESTAMP], d[fields.CW_EVENT_ID]) < after]
        page = docs[: body["size"]]
        hits = [
            {"_index": "i", "_source": d, "sort": [d[fields.TIMESTAMP], d[fields.CW_EVENT_ID]]} for d in page
        ]
        return {"hits": {"hits": hits}}


def test_no_point_in_time_falls_back_to_plain_search_after():
    from obsctl.log_search import Searcher

    cluster = _Cluster(23)
    searcher = Searcher(cluster, Target("http://n", "none"), page_size=5)
    got = [hit.source[fields.CW_EVENT_ID] for hit in searcher.events(Filters(), limit=100)]
    assert got == [f"{i:03d}" for i in range(22, -1, -1)]
    assert all("pit" not in body for body in cluster.bodies) and len(cluster.bodies) == 5


def test_a_refused_point_in_time_is_one_line():
    from obsctl.log_search import Searcher

    searcher = Searcher(
        _Cluster(23, pit_status=403), Target(AOSS.replace("aoss", "es"), "es", "eu-west-1"), page_size=5
    )
    with pytest.raises(
        OpenSearchClientError, match=r"^point-in-time search refused by .* \(HTTP 403: no pit here\)"
    ):
        list(searcher.events(Filters(), limit=100))
