"""A local X-Ray daemon: receives the segment documents the function sends over UDP and keeps them.

The X-Ray daemon protocol is a UDP datagram ``{"format": "json", "version": 1}\\n<segment document>``
on ``AWS_XRAY_DAEMON_ADDRESS``. This receiver parses each datagram and indexes the documents by trace
id, so tests and the demo can check what an operator would see in the X-Ray console (the subsegment
tree under the function segment that Lambda's active tracing records).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict
from typing import Any

__all__ = ["HEADER", "XRayDaemon"]

HEADER = b'{"format": "json", "version": 1}\n'


class XRayDaemon:
    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._segments: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.rejected = 0
        self._thread = threading.Thread(target=self._serve, name="local-xray-daemon", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._socket.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> XRayDaemon:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()

    def segments(self, trace_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._segments.get(trace_id, []))

    @property
    def segment_count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._segments.values())

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                datagram = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            header, sep, body = datagram.partition(b"\n")
            try:
                if not sep or json.loads(header) != json.loads(HEADER):
                    raise ValueError("bad header")
                document = json.loads(body)
                trace_id = str(document["trace_id"])
            except (ValueError, KeyError, TypeError):
                self.rejected += 1
                continue
            with self._lock:
                self._segments[trace_id].append(document)
