"""Documents for the ``obsctl logs`` tests, made by the real shipper from the demo's kinds of events.

Each round is the function's log stream (``tests/events/cloudwatch_function_logs.json``: START, Powertools
lines, a runtime ERROR line, END, REPORT, a second invocation that times out) and the API's access log
(``cloudwatch_access_logs.json``: a 200, an unsigned 403, a 503), with every id made unique per round
and the second invocation correlated with the 503 (its API request). The shipper's own code
(``Shipper.handle`` on an encoded subscription event) indexes them into the node, so the documents
are exactly what the platform stores.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from log_pipeline.config import ShipperConfig
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import encode_payload
from log_pipeline.templates import apply_index_templates
from signals import logs as fields

EVENTS = Path(__file__).resolve().parents[1] / "events"
LAMBDA_OK = "6f1c3c9e-2b7a-4f0e-9d6a-1b2c3d4e5f60"
LAMBDA_TIMEOUT = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
API_OK = "Cq3xYjQ8oAMEVHw="
API_UNSIGNED = "Cq3xZhR2oAMEVJk="
API_TIMEOUT = "Cq3xbGL4oAMEVLq="
TRACE = "1-6746f0a1-3b2c1d4e5f60718293a4b5c6"


class _Context:
    aws_request_id = "logs-cli-test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Round:
    """The ids of one round (one copy of the sample traffic)."""

    lambda_ok: str
    lambda_timeout: str
    api_ok: str
    api_unsigned: str
    api_timeout: str
    trace: str


@dataclass
class Corpus:
    url: str
    tag: str
    start: datetime
    end: datetime
    index: str
    """An index pattern that holds only this corpus (its own UTC day)."""
    rounds: list[Round] = field(default_factory=list)
    indexed: int = 0
    service: str = ""

    def search_all(self) -> list[dict[str, Any]]:
        """Every document of the corpus, straight from OpenSearch (the reference for the CLI)."""
        body = {"size": 10_000, "query": {"match_all": {}}, "sort": [{fields.TIMESTAMP: "asc"}]}
        response = requests.post(f"{self.url}/{self.index}/_search", json=body, timeout=30)
        response.raise_for_status()
        return [hit["_source"] for hit in response.json()["hits"]["hits"]]


def _round_ids(tag: str, number: int) -> Round:
    u = uuid.uuid4().hex
    return Round(
        lambda_ok=f"{u[:8]}-{u[8:12]}-4{u[13:16]}-9{u[17:20]}-{u[20:32]}",
        lambda_timeout=f"{u[:8]}-{u[8:12]}-4{u[13:16]}-a{u[17:20]}-{u[20:28]}{number:04d}",
        api_ok=f"Ok{tag}{number:03d}=",
        api_unsigned=f"Un{tag}{number:03d}=",
        api_timeout=f"To{tag}{number:03d}=",
        trace=f"1-{u[:8]}-{tag}{number:012d}",
    )


def _payload(name: str, ids: Round, base_ms: int, tag: str, service: str) -> dict[str, Any]:
    text = (EVENTS / name).read_text()
    for old, new in (
        (LAMBDA_OK, ids.lambda_ok),
        (LAMBDA_TIMEOUT, ids.lambda_timeout),
        (API_UNSIGNED, ids.api_unsigned),
        (API_TIMEOUT, ids.api_timeout),
        (TRACE, ids.trace),
        ('\\"service\\": \\"objects-api\\"', f'\\"service\\": \\"{service}\\"'),
    ):
        text = text.replace(old, new)
    payload: dict[str, Any] = json.loads(text)
    for i, event in enumerate(payload["logEvents"]):
        message = event["message"]
        # The sample's second invocation carries the first request's correlation id; in the demo it
        # is the API request that timed out (the 503 line).
        if ids.lambda_timeout in message and API_OK in message:
            message = message.replace(API_OK, ids.api_timeout)
        event["message"] = message.replace(API_OK, ids.api_ok)
        event["id"] = f"{tag}{len(name)}{base_ms}{i:04d}"  # unique across both log groups
        event["timestamp"] = base_ms + i * 7
    return payload


def ship(url: str, payload: dict[str, Any]) -> int:
    shipper = Shipper(
        ShipperConfig(endpoint=url, region="eu-west-1", use_document_id=True), write=lambda _line: None
    )
    summary = shipper.handle(encode_payload(payload), _Context())
    assert summary["docs_dead_lettered"] == 0, summary
    return int(summary["docs_indexed"])


def refresh(url: str) -> None:
    requests.post(f"{url}/{fields.ALL_INDICES_PATTERN}/_refresh", timeout=30).raise_for_status()


def build_corpus(url: str, rounds: int = 6, day: datetime | None = None) -> Corpus:
    """``rounds`` copies of the sample traffic on a UTC day of their own, one second apart."""
    url = url.rstrip("/")
    apply_index_templates(url, "none", None)
    tag = uuid.uuid4().hex[:6]
    if day is None:
        day = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(days=random.randrange(7000))
    start = day.replace(hour=10, minute=0, second=0, microsecond=0)
    corpus = Corpus(
        url=url,
        tag=tag,
        start=start,
        end=start + timedelta(seconds=rounds + 1),
        index=f"{fields.INDEX_PREFIX}-*-{start:%Y.%m.%d}",
        service=f"objects-api-{tag}",
    )
    for number in range(rounds):
        ids = _round_ids(tag, number)
        base_ms = int((start + timedelta(seconds=number)).timestamp() * 1000)
        for name in ("cloudwatch_access_logs.json", "cloudwatch_function_logs.json"):
            corpus.indexed += ship(url, _payload(name, ids, base_ms, tag, corpus.service))
        corpus.rounds.append(ids)
    refresh(url)
    return corpus


def ship_now(url: str, tag: str, service: str) -> Round:
    """One more round, timestamped now (for tail and --since)."""
    ids = _round_ids(tag, random.randrange(1000, 9999))
    base_ms = int(time.time() * 1000)
    for name in ("cloudwatch_access_logs.json", "cloudwatch_function_logs.json"):
        ship(url, _payload(name, ids, base_ms, tag, service))
    refresh(url)
    return ids
