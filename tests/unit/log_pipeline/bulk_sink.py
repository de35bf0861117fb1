"""A scripted ``_bulk`` endpoint: a real HTTP server on 127.0.0.1 that answers like OpenSearch.

It answers per item (statuses and errors, OpenSearch's response shape), and can misbehave on
demand: whole-request statuses, raw non-JSON bodies, slow answers, connection resets. It records
every document it received, so tests can assert what was resent. Used by the unit tests and the
benchmark's sink is separate (bench/shipper.py) because it must be as cheap as possible.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """What the scripted endpoint does with one request."""

    status: int = 200
    item_status: Callable[[int, dict[str, Any]], tuple[int, dict[str, Any] | None]] | None = None
    """Per item: (position, source) -> (status, error or None). None: every item 201."""
    body: bytes | None = None
    """A raw body instead of the bulk JSON (error pages)."""
    delay_s: float = 0.0
    reset: bool = False
    """Close the connection without answering (TCP RST)."""


@dataclass
class BulkRequest:
    number: int
    body_bytes: int
    actions: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


@dataclass
class ScriptedBulk:
    url: str
    script: Callable[[BulkRequest], Reply] = field(default=lambda _r: Reply())
    requests: list[BulkRequest] = field(default_factory=list)
    indexed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """event id -> the document that was indexed (last successful version)."""
    index_count: Counter[str] = field(default_factory=Counter)
    """event id -> how many times a document of it was indexed (201), over every request."""

    def received(self) -> Counter[str]:
        """How many times each event id was sent (across every request)."""
        return Counter(s["aws.cloudwatch.event_id"] for r in self.requests for s in r.sources)


def _handler_for(state: ScriptedBulk, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *_args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            lines = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
            with lock:
                request = BulkRequest(
                    len(state.requests) + 1, len(raw), lines[0::2], lines[1::2], dict(self.headers), raw
                )
                state.requests.append(request)
            reply = state.script(request)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if reply.reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if reply.body is not None:
                body = reply.body
            elif reply.status != 200:
                body = json.dumps(
                    {"error": {"type": "status_exception", "reason": "scripted"}, "status": reply.status}
                ).encode()
            else:
                items, errors = [], False
                for position, (action, source) in enumerate(
                    zip(request.actions, request.sources, strict=True)
                ):
                    status, error = reply.item_status(position, source) if reply.item_status else (201, None)
                    op = {
                        "_index": action["index"]["_index"],
                        "_id": action["index"].get("_id", f"auto-{request.number}-{position}"),
                        "status": status,
                    }
                    if error is not None:
                        op["error"] = error
                        errors = True
                    else:
                        op["result"] = "created"
                        with lock:
                            state.indexed[source["aws.cloudwatch.event_id"]] = source
                            state.index_count[source["aws.cloudwatch.event_id"]] += 1
                    items.append({"index": op})
                body = json.dumps({"took": 3, "errors": errors, "items": items}).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def running_sink() -> Iterator[ScriptedBulk]:
    lock = threading.Lock()
    state = ScriptedBulk(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state, lock))
    server.daemon_threads = True
    server.handle_error = lambda *_args: None  # type: ignore[method-assign] # resets are scripted
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
