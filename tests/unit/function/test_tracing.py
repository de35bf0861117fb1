"""The X-Ray emitter: header and daemon-address parsing, sampling, and the datagram format."""

from __future__ import annotations

import json
import socket

import pytest

from function.tracing import XRayEmitter, parse_daemon_address, parse_trace_header

ROOT = "1-6746f2a9-4b0e1c5d6f7a8b9c0d1e2f3a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("169.254.79.129:2000", ("169.254.79.129", 2000)),
        ("tcp:127.0.0.1:2000 udp:127.0.0.2:2001", ("127.0.0.2", 2001)),
        ("localhost", None),
        ("", None),
        ("host:port", None),
    ],
)
def test_daemon_address(value, expected):
    assert parse_daemon_address(value) == expected


def test_trace_header():
    header = parse_trace_header(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0")
    assert header is not None
    assert (header.root, header.parent, header.sampled) == (ROOT, "53995c3f42cd8ad8", True)
    assert parse_trace_header(f"Root={ROOT};Sampled=1") is None
    unsampled = parse_trace_header(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0")
    assert unsampled is not None and not unsampled.sampled


def _daemon() -> socket.socket:
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(0.3)
    return daemon


def test_unsampled_trace_sends_nothing():
    daemon = _daemon()
    try:
        environ = {
            "_X_AMZN_TRACE_ID": f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        }
        emitter = XRayEmitter.from_environ(environ)
        emitter.end(emitter.begin("## handler"))
        emitter.close()
        with pytest.raises(TimeoutError):
            daemon.recv(65536)
    finally:
        daemon.close()


def test_fault_with_exception_is_sent_as_documented():
    daemon = _daemon()
    try:
        environ = {
            "_X_AMZN_TRACE_ID": f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        }
        emitter = XRayEmitter.from_environ(environ)
        segment = emitter.begin("s3", namespace="aws")
        try:
            raise ConnectionError("read timeout")
        except ConnectionError as exc:
            segment.add_exception(exc, remote=True)
        segment.fault = True
        emitter.end(segment)
        emitter.close()
        header, _, document = daemon.recv(65536).partition(b"\n")
    finally:
        daemon.close()
    assert json.loads(header) == {"format": "json", "version": 1}
    doc = json.loads(document)
    assert doc["fault"] is True and "error" not in doc
    (exception,) = doc["cause"]["exceptions"]
    assert exception["type"] == "ConnectionError"
    assert exception["remote"] is True
    assert exception["stack"][0]["label"] == "test_fault_with_exception_is_sent_as_documented"
    assert len(doc["id"]) == 16


def test_missing_daemon_never_fails():
    closed = _daemon()
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there any more: the kernel answers with ICMP unreachable
    emitter = XRayEmitter.from_environ(
        {
            "_X_AMZN_TRACE_ID": f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
        }
    )
    assert emitter.active
    segments = [emitter.begin("## handler") for _ in range(3)]
    for segment in segments:  # later sends on the socket see the ICMP error as ConnectionRefused
        emitter.end(segment)
    emitter.close()
    assert all(segment.end_time is not None for segment in segments)
