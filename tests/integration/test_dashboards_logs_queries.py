"""The logs dashboard's Lucene queries, interpolated as Grafana does, against a real OpenSearch node.

Grafana's OpenSearch data source inserts variables with the ``lucene`` format (reserved characters
escaped, so an API Gateway request id ending in ``=`` stays one term) except a custom "All" value,
which goes in unformatted. This test applies those two rules, indexes documents of each kind into
indices made by the shipper's own templates, and checks that every panel's query parses and that
the request id and trace id filters narrow every panel to the right documents.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests

from dashboards import inventory, panels, render
from log_pipeline.templates import index_templates
from signals import logs as fields

pytestmark = pytest.mark.integration

API_REQUEST_ID = "JHy4BgnkoAMEV8g="
LAMBDA_REQUEST_ID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"
FUNCTION = "obs-platform-objects-api"


def lucene_escape(value: str) -> str:
    """Grafana's ``luceneEscape`` (the ``lucene`` variable format)."""
    return re.sub(r'([!*+\-=<>\s&|()\[\]{}^~?:\\/"])', r"\\\1", value)


def interpolate(query: str, values: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = values[name]
        return value if value == "*" else lucene_escape(value)  # "*" is the function's custom all value

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", substitute, query)


DOCS: list[dict[str, Any]] = [
    {
        fields.EVENT_KIND: fields.KIND_APPLICATION,
        fields.LOG_LEVEL: "ERROR",
        fields.SERVICE_NAME: "objects-api",
        fields.LAMBDA_REQUEST_ID: LAMBDA_REQUEST_ID,
        fields.CORRELATION_ID: API_REQUEST_ID,
        fields.TRACE_ID: TRACE_ID,
        fields.LAMBDA_FUNCTION_NAME: FUNCTION,
        fields.ERROR_TYPE: "ClientError",
        fields.MESSAGE: "the failing request",
    },
    {
        fields.EVENT_KIND: fields.KIND_PLATFORM,
        fields.LAMBDA_PLATFORM_TYPE: "report",
        fields.LAMBDA_REQUEST_ID: LAMBDA_REQUEST_ID,
        fields.LAMBDA_DURATION_MS: 812.5,
        fields.LAMBDA_BILLED_DURATION_MS: 813,
        fields.LAMBDA_MAX_MEMORY_USED_MB: 80,
        fields.TRACE_ID: TRACE_ID,
        fields.LAMBDA_FUNCTION_NAME: FUNCTION,
        fields.MESSAGE: "REPORT of the failing request",
    },
    {
        fields.EVENT_KIND: fields.KIND_ACCESS,
        fields.HTTP_REQUEST_ID: API_REQUEST_ID,
        fields.HTTP_STATUS: 500,
        fields.HTTP_LATENCY_MS: 815.0,
        fields.MESSAGE: "access line of the failing request",
    },
    {
        fields.EVENT_KIND: fields.KIND_APPLICATION,
        fields.LOG_LEVEL: "INFO",
        fields.SERVICE_NAME: "objects-api",
        fields.LAMBDA_REQUEST_ID: str(uuid.uuid4()),
        fields.CORRELATION_ID: "Zx9-otherReq=",
        fields.TRACE_ID: "1-00000000-111",
        fields.LAMBDA_FUNCTION_NAME: FUNCTION,
        fields.MESSAGE: "another request",
    },
    {
        fields.EVENT_KIND: fields.KIND_APPLICATION,
        fields.LOG_LEVEL: "INFO",
        fields.SERVICE_NAME: "log-shipper",
        fields.LAMBDA_REQUEST_ID: str(uuid.uuid4()),
        fields.LAMBDA_FUNCTION_NAME: "obs-platform-log-shipper",
        fields.MESSAGE: "batch shipped",
    },
]


def _nested(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {fields.TIMESTAMP: "2026-01-01T00:00:00Z"}
    for dotted, value in doc.items():
        *parents, leaf = dotted.split(".")
        node = out
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return out


@pytest.fixture(scope="module")
def search(opensearch_url: str) -> Any:
    session = requests.Session()
    suffix = uuid.uuid4().hex[:8]
    for name, body in index_templates().items():
        response = session.put(f"{opensearch_url}/_index_template/{name}", json=body, timeout=30)
        assert response.status_code < 300, response.text
    indices = set()
    for doc in DOCS:
        index = f"{fields.INDEX_PREFIX}-{doc[fields.EVENT_KIND]}-dashtest{suffix}"
        indices.add(index)
        response = session.post(f"{opensearch_url}/{index}/_doc?refresh=true", json=_nested(doc), timeout=30)
        assert response.status_code < 300, response.text

    def run(query: str) -> list[str]:
        response = session.post(
            f"{opensearch_url}/{fields.INDEX_PREFIX}-*-dashtest{suffix}/_search",
            json={"size": 50, "query": {"query_string": {"query": query, "analyze_wildcard": True}}},
            timeout=30,
        )
        assert response.status_code == 200, f"{query}: {response.text[:300]}"
        return sorted(hit["_source"]["message"] for hit in response.json()["hits"]["hits"])

    yield run
    for index in indices:
        session.delete(f"{opensearch_url}/{index}", timeout=30)


def stream(values: dict[str, str], search: Any) -> list[str]:
    model = render.models()[panels.LOGS_UID]
    stream_panel = next(p for p in inventory.panels(model) if p["type"] == "logs")
    return list(search(interpolate(stream_panel["targets"][0]["query"], values)))


ALL = {"request_id": "", "trace_id": "", "function": "*"}


def test_every_panel_query_parses_and_finds_its_documents(search: Any) -> None:
    model = render.models()[panels.LOGS_UID]
    for panel, target in inventory.targets(model):
        hits = search(interpolate(target["query"], ALL))
        assert hits, f"{panel['title']} finds nothing"


def test_without_filters_the_stream_shows_everything(search: Any) -> None:
    assert len(stream(ALL, search)) == len(DOCS)


def test_an_api_request_id_with_reserved_characters_narrows_to_that_request(search: Any) -> None:
    assert stream({**ALL, "request_id": API_REQUEST_ID}, search) == [
        "access line of the failing request",
        "the failing request",
    ]


def test_a_lambda_request_id_narrows_to_that_invocation(search: Any) -> None:
    assert stream({**ALL, "request_id": LAMBDA_REQUEST_ID}, search) == [
        "REPORT of the failing request",
        "the failing request",
    ]


def test_a_trace_id_keeps_only_that_trace_and_documents_without_traces(search: Any) -> None:
    hits = stream({**ALL, "trace_id": TRACE_ID}, search)
    assert "another request" not in hits
    assert {"the failing request", "REPORT of the failing request"} <= set(hits)


def test_the_function_filter_keeps_access_logs(search: Any) -> None:
    hits = stream({**ALL, "function": FUNCTION}, search)
    assert "batch shipped" not in hits
    assert "access line of the failing request" in hits
