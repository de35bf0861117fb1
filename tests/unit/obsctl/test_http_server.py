"""The loopback server base every local stand-in uses: limits, errors as answers, the raw target."""

from __future__ import annotations

import http.client
from collections.abc import Iterator

import pytest

from local_platform.http_server import HttpRequest, HttpResponse, LoopbackServer

SEEN: list[HttpRequest] = []


def _echo(request: HttpRequest) -> HttpResponse:
    SEEN.append(request)
    if request.target == "/boom":
        raise RuntimeError("handler bug")
    return HttpResponse(200, (("X-Target", request.target),), request.body)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    SEEN.clear()
    with LoopbackServer(_echo, name="test-server", max_body_bytes=16) as running:
        yield running


def _request(
    server: LoopbackServer, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    host, port = server.address
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for key, value in headers.items():
            connection.putheader(key, value.encode())
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_body_and_raw_target_reach_the_handler(server: LoopbackServer) -> None:
    status, headers, body = _request(server, "POST", "//a/./b?x=%2F", {"Content-Length": "3"}, b"abc")
    assert (status, body, headers["x-target"]) == (200, b"abc", "//a/./b?x=%2F")
    assert SEEN[-1].client_ip == "127.0.0.1"


@pytest.mark.parametrize("value", ["²", "-1", "+3", "0x3", "3, 4"])
def test_a_content_length_that_is_not_ascii_digits_is_400_and_closes(
    server: LoopbackServer, value: str
) -> None:
    status, headers, _ = _request(server, "POST", "/", {"Content-Length": value})
    assert (status, headers["connection"]) == (400, "close")
    assert SEEN == []


def test_over_the_limit_is_413_before_reading(server: LoopbackServer) -> None:
    status, headers, _ = _request(server, "POST", "/", {"Content-Length": "17"})
    assert (status, headers["connection"]) == (413, "close")
    assert SEEN == []


def test_a_handler_exception_is_a_500_answer_and_the_server_keeps_serving(server: LoopbackServer) -> None:
    status, _, body = _request(server, "GET", "/boom", {})
    assert (status, body) == (500, b"internal error")
    assert [type(e) for e in server.errors] == [RuntimeError]
    assert _request(server, "GET", "/fine", {})[0] == 200


def test_head_gets_headers_only(server: LoopbackServer) -> None:
    status, headers, body = _request(server, "HEAD", "/x", {})
    assert (status, headers["content-length"], body) == (200, "0", b"")


def test_stop_releases_the_port() -> None:
    server = LoopbackServer(_echo, name="short-lived").start()
    host, port = server.address
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection(host, port, timeout=1).request("GET", "/")


def _raw(server: LoopbackServer, data: bytes) -> bytes:
    """Send ``data`` as is; return everything the server answers before closing."""
    import socket

    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def test_a_chunked_body_is_read_whole(server: LoopbackServer) -> None:
    body = b"4;ext=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: t\r\n\r\n"
    answer = _raw(
        server,
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body,
    )
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\nabcdefg")
    assert SEEN[-1].body == b"abcdefg"


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        (b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"400"),
        (b"Transfer-Encoding: gzip, chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n", b"5\r\nhelloXX0\r\n\r\n", b"400"),
        (b"Transfer-Encoding: chunked\r\n", b"11\r\n" + b"x" * 17 + b"\r\n0\r\n\r\n", b"413"),
        (b"Transfer-Encoding: chunked\r\n", b"10\r\n" + b"x" * 16 + b"\r\n1\r\nx\r\n0\r\n\r\n", b"413"),
    ],
    ids=[
        "with-content-length",
        "other-coding",
        "signed-size",
        "no-crlf-after-data",
        "one-chunk-over",
        "sum-over",
    ],
)
def test_bad_or_oversized_chunked_bodies_are_refused(
    server: LoopbackServer, headers: bytes, body: bytes, status: bytes
) -> None:
    answer = _raw(server, b"POST /c HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer
    assert SEEN == []
