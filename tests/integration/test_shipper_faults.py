"""The shipper against hostile servers: the real local OpenSearch node behind a fault-injecting proxy.

Given a proxy that forwards each ``_bulk`` request to the real node and then misbehaves with the
answer (trickles it a byte at a time, sends an endless body, drops an item), or an S3 endpoint that
accepts and never answers, when the shipper handles a batch within a Lambda's time budget, then it
returns (or raises for Lambda to retry) within that budget, reads a bounded amount, and every event
is indexed or dead-lettered with its reason.
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import requests

from log_pipeline.config import ShipperConfig
from log_pipeline.dead_letters import DeadLetterWriteError, DirectoryDeadLetters, S3DeadLetters, read_records
from log_pipeline.delivery import MAX_BAD_RESPONSES
from log_pipeline.pipeline import Shipper
from log_pipeline.subscription import encode_payload
from log_pipeline.templates import apply_index_templates
from log_pipeline.transport import MAX_RESPONSE_BYTES
from signals import logs as fields

pytestmark = pytest.mark.integration


class FaultProxy:
    """Forwards each request to ``upstream`` (the real node), then answers per ``mode``:
    ``pass``, ``trickle`` (one byte every 0.5 s), ``endless`` (a body that never ends),
    ``drop_item`` (the node's answer without its last item) or ``blackhole`` (never answers)."""

    def __init__(self, upstream: str | None) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.requests = 0
        self.stopping = threading.Event()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy.serve(self.rfile, self.connection)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, rfile: Any, connection: socket.socket) -> None:
        request_line = rfile.readline()
        if not request_line:
            return
        self.requests += 1
        if self.mode == "blackhole":  # accepts, reads nothing more, never answers
            self.stopping.wait(120)
            return
        method, path, _version = request_line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (line := rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = rfile.read(int(headers.get("content-length", "0")))
        assert self.upstream is not None
        parts = urlsplit(self.upstream)
        upstream = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
        upstream.request(method, path, body=body, headers={"Content-Type": "application/x-ndjson"})
        answer = upstream.getresponse()
        status, content = answer.status, answer.read()
        upstream.close()
        if self.mode == "drop_item":
            parsed = orjson.loads(content)
            parsed["items"] = parsed["items"][:-1]
            content = orjson.dumps(parsed)
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n"
        try:
            if self.mode == "endless":
                connection.sendall(head.encode() + b"\r\n" + content[:-2])
                filler = b" " * 65_536
                while not self.stopping.is_set():
                    connection.sendall(filler)
                return
            whole = head.encode() + f"Content-Length: {len(content)}\r\n\r\n".encode() + content
            if self.mode == "trickle":
                for byte in whole:
                    if self.stopping.wait(0.5):
                        return
                    connection.sendall(bytes([byte]))
                return
            connection.sendall(whole)
        except OSError:
            return  # the client gave up: what it should do

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def node(opensearch_url: str) -> str:
    url = opensearch_url.rstrip("/")
    apply_index_templates(url, "none", None)
    return url


@pytest.fixture
def proxy(node: str) -> Iterator[FaultProxy]:
    with FaultProxy(node) as running:
        yield running


class Budget:
    """A Lambda context with ``seconds`` left when made."""

    aws_request_id = "faults"

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.ends - time.monotonic()) * 1000)


def payload_of(count: int) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:12]
    now = int(time.time() * 1000)
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/faults",
        "logStream": tag,
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": f"{tag}{i:04d}", "timestamp": now + i, "message": f"line {i} of {tag}"}
            for i in range(count)
        ],
    }


def copies_in_node(node: str, payload: dict[str, Any]) -> int:
    requests.post(f"{node}/{fields.ALL_INDICES_PATTERN}/_refresh", timeout=30).raise_for_status()
    query = {"query": {"term": {fields.CW_LOG_STREAM: payload["logStream"]}}}
    response = requests.post(f"{node}/{fields.ALL_INDICES_PATTERN}/_count", json=query, timeout=30)
    response.raise_for_status()
    return int(response.json()["count"])


def dead_reasons(directory: Path) -> dict[str, str]:
    return {e["id"]: e["reason"] for _where, r in read_records(str(directory)) for e in r.get("events", [])}


def shipper_for(url: str, directory: Path) -> Shipper:
    config = ShipperConfig(endpoint=url, region="eu-west-1")
    return Shipper(config, dead_letters=DirectoryDeadLetters(directory), write=lambda _l: None)


def test_a_trickled_answer_cannot_hold_the_shipper_past_its_budget(proxy, tmp_path):
    # Given: the answer comes one byte every 0.5 s; the invocation has 8 s
    proxy.mode = "trickle"
    payload = payload_of(5)
    started = time.monotonic()

    # When
    summary = shipper_for(proxy.url, tmp_path).handle(encode_payload(payload), Budget(8.0))

    # Then: done within the budget, every event kept with the reason
    elapsed = time.monotonic() - started
    assert elapsed < 8.0, f"took {elapsed:.1f}s on an 8s budget"
    dead = dead_reasons(tmp_path)
    assert summary["docs_dead_lettered"] == 5 and set(dead) == {e["id"] for e in payload["logEvents"]}
    assert all("deadline reached" in reason for reason in dead.values()), dead


def test_an_endless_answer_is_read_up_to_the_cap(proxy, tmp_path):
    # Given: the node's answer followed by a body that never ends
    proxy.mode = "endless"
    payload = payload_of(3)
    started = time.monotonic()

    # When
    summary = shipper_for(proxy.url, tmp_path).handle(encode_payload(payload), Budget(20.0))

    # Then: each answer was abandoned at the cap (not read until the deadline: that would be a
    # timeout), resent while time allowed, and the events kept
    dead = dead_reasons(tmp_path)
    assert summary["docs_dead_lettered"] == 3
    assert all(f"exceeds {MAX_RESPONSE_BYTES} bytes" in reason for reason in dead.values())
    assert time.monotonic() - started < 20.0


def test_an_answer_missing_items_is_resent_a_bounded_number_of_times(proxy, node, tmp_path):
    # Given: the node indexes every document, but the answer lacks its last item
    proxy.mode = "drop_item"
    payload = payload_of(4)

    # When
    summary = shipper_for(proxy.url, tmp_path).handle(encode_payload(payload), Budget(20.0))

    # Then: at most 1 + MAX_BAD_RESPONSES sends, then dead-lettered with the reason
    assert proxy.requests == 1 + MAX_BAD_RESPONSES
    assert copies_in_node(node, payload) <= 4 * (1 + MAX_BAD_RESPONSES)
    dead = dead_reasons(tmp_path)
    assert summary["docs_dead_lettered"] == 4 and len(dead) == 4
    assert all("without one item per document" in reason for reason in dead.values())


def test_a_dead_letter_endpoint_that_never_answers_is_bounded_by_the_budget(monkeypatch):
    # Given: OpenSearch unreachable (a closed port) and an S3 endpoint that accepts and never answers
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    import boto3  # noqa: F401 - imported ahead: a warm execution environment has it loaded

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with FaultProxy(None) as s3:
        s3.mode = "blackhole"
        store = S3DeadLetters(None, "dead-letters", None, "dl/", endpoint_url=s3.url)
        config = ShipperConfig(endpoint=unreachable, region="eu-west-1")
        shipper = Shipper(config, dead_letters=store, write=lambda _l: None)
        started = time.monotonic()

        # When / Then: the write fails in time, so Lambda's retry keeps the batch
        with pytest.raises(DeadLetterWriteError, match="no answer within"):
            shipper.handle(encode_payload(payload_of(2)), Budget(10.0))
        elapsed = time.monotonic() - started
    assert elapsed < 10.0, f"took {elapsed:.1f}s on a 10s budget"
    assert s3.requests >= 1


def _deep(depth: int, opener: str = '{"a":', closer: str = "}") -> str:
    return opener * depth + "1" + closer * depth


HOSTILE_LINES = [
    '{"level":"INFO","message":"body","body":' + _deep(200) + "}",
    '{"level":"INFO","message":"body","body":' + _deep(254) + "}",
    '{"level":"INFO","message":"body","body":' + _deep(255) + "}",
    '{"level":"INFO","message":"body","body":' + _deep(1_000) + "}",
    '{"level":"INFO","message":' + _deep(900, "[", "]") + "}",
    '{"level":"INFO","message":"big","function_memory_size":"99999999999999999999999","n":123456789012345678901234}',
    '{"function_request_id":"a","requestId":"b","level":"INFO","level":{"x":1},"status":1,"status":"x"}',
    '{"message":"\\ud800 lone surrogate"}',
    '{"level":"INFO","message":"long","blob":"' + "é" * 20_000 + '"}',
    '{"type":"platform.report","record":{"requestId":"r","metrics":' + _deep(300) + "}}",
]


def test_hostile_lines_are_indexed_by_the_real_node_in_one_attempt(node, tmp_path):
    # Given: lines a remote caller can make a function log, between ordinary ones
    tag = uuid.uuid4().hex[:12]
    payload = payload_of(len(HOSTILE_LINES) * 2)
    for position, line in enumerate(HOSTILE_LINES):
        payload["logEvents"][position * 2 + 1]["message"] = line
    shipper = shipper_for(node, tmp_path)

    # When: invoked as Lambda invokes (again after an exception, three attempts)
    attempts = 0
    summary = None
    while summary is None and attempts < 3:
        attempts += 1
        try:
            summary = shipper.handle(encode_payload(payload), Budget(30.0))
        except Exception:  # noqa: S112 - Lambda retries on any error
            continue

    # Then: one attempt; every event indexed exactly once or dead-lettered with its reason
    assert attempts == 1 and summary is not None, tag
    dead = dead_reasons(tmp_path)
    assert all(dead.values())
    assert summary["docs_indexed"] + len(dead) == len(payload["logEvents"])
    assert copies_in_node(node, payload) == summary["docs_indexed"]
