"""The local HTTP API over loopback: IAM auth like API Gateway's, payload 2.0, logs and metrics.

Runs against `obsctl serve`'s stack (the session fixture `local_stack`): a moto server, the S3
fault proxy, the real function, the SigV4 gateway.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore.auth
import pytest

from local_platform.gateway import Credentials
from local_platform.stack import LocalStack
from obsctl import client, sigv4
from signals import logs as fields
from signals import metrics as M

pytestmark = pytest.mark.integration


def _get(stack: LocalStack, path: str, **kwargs):
    creds = stack.credentials
    kwargs.setdefault("access_key", creds.access_key)
    kwargs.setdefault("secret_key", creds.secret_key)
    kwargs.setdefault("region", stack.names.region)
    return client.request("GET", stack.url + path, **kwargs)


def _invocations(stack: LocalStack) -> int:
    return sum(1 for e in stack.gateway.exchanges if e.invoked)


def test_signed_request_lists_objects_and_pages(local_stack: LocalStack) -> None:
    first = _get(local_stack, "/objects?limit=2")
    assert first.status == 200
    body = first.json()
    assert body["count"] == 2 and len(body["items"]) == 2
    assert set(body["items"][0]) == {"key", "size", "last_modified", "etag", "storage_class"}
    assert body["next_token"]
    second = _get(local_stack, "/objects?limit=2&next_token=" + body["next_token"])
    assert second.status == 200
    assert {i["key"] for i in second.json()["items"]}.isdisjoint({i["key"] for i in body["items"]})
    assert first.request_id and first.request_id != second.request_id


@pytest.mark.parametrize(
    ("label", "kwargs", "message"),
    [
        ("unsigned", {"access_key": None, "secret_key": None}, sigv4.MSG_FORBIDDEN),
        ("wrong secret", {"secret_key": "not-the-secret"}, sigv4.MSG_BAD_SIGNATURE),
        ("wrong region", {"region": "us-east-1"}, sigv4.MSG_BAD_REGION),
        ("unknown key", {"access_key": "AKIDUNKNOWN"}, sigv4.MSG_INVALID_TOKEN),
    ],
)
def test_refused_before_the_handler_runs(
    local_stack: LocalStack, label: str, kwargs: dict[str, str | None], message: str
) -> None:
    before = _invocations(local_stack)
    response = _get(local_stack, "/objects?limit=1", **kwargs)
    assert response.status == 403, label
    assert response.json() == {"message": message}
    assert _invocations(local_stack) == before


def test_tampered_request_is_refused(local_stack: LocalStack) -> None:
    url = local_stack.url + "/objects?limit=1"
    creds = local_stack.credentials
    headers = sigv4.sign("GET", url, {}, None, creds.access_key, creds.secret_key, local_stack.names.region)
    before = _invocations(local_stack)
    response = client.request(
        "GET",
        url.replace("limit=1", "limit=9"),
        access_key=None,
        secret_key=None,
        region=local_stack.names.region,
        headers=headers,
    )
    assert response.status == 403
    assert response.json() == {"message": sigv4.MSG_BAD_SIGNATURE}
    assert _invocations(local_stack) == before


def test_expired_signature_is_refused(local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    old = (datetime.now(UTC) - timedelta(minutes=10)).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: old)
    before = _invocations(local_stack)
    response = _get(local_stack, "/objects?limit=1")
    assert response.status == 403
    assert response.json()["message"].startswith("Signature expired:")
    assert _invocations(local_stack) == before


def test_unknown_path_is_authenticated_then_answered_by_the_function(local_stack: LocalStack) -> None:
    # Like the deployed API: a $default route, AWS_IAM too, to the function
    before = _invocations(local_stack)
    unsigned = _get(local_stack, "/nothing-here", access_key=None, secret_key=None)
    assert (unsigned.status, unsigned.json()) == (403, {"message": sigv4.MSG_FORBIDDEN})
    assert _invocations(local_stack) == before
    signed = _get(local_stack, "/nothing-here")
    assert signed.status == 404
    assert signed.json()["error"] == "not_found"
    assert _invocations(local_stack) == before + 1
    exchange = next(e for e in local_stack.gateway.exchanges if e.request_id == signed.request_id)
    assert exchange.invoked


def test_bad_content_length_is_400_not_a_hang(local_stack: LocalStack) -> None:
    parts = urlsplit(local_stack.url)
    for value in ("abc", "-1"):
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
        connection.putrequest("POST", "/objects")
        connection.putheader("Content-Length", value)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 400, value
        assert json.loads(response.read()) == {"message": "Bad Request"}
        connection.close()


def test_s3_throttling_is_503_with_retry_after(local_stack: LocalStack) -> None:
    local_stack.proxy.set_fault("throttle")
    try:
        response = _get(local_stack, "/objects?limit=1")
    finally:
        local_stack.proxy.set_fault(None)
    assert response.status == 503
    assert int(response.headers["retry-after"]) > 0


def test_s3_failure_is_fixed_500_with_request_id(local_stack: LocalStack) -> None:
    local_stack.proxy.set_fault("error")
    try:
        response = _get(local_stack, "/objects?limit=1")
    finally:
        local_stack.proxy.set_fault(None)
    assert response.status == 500
    assert response.json() == {"error": "internal_error", "request_id": response.request_id}
    # and the catalog's metric filter counted the function's ERROR line, as CloudWatch Logs would
    cloudwatch = local_stack.emulator.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace=M.LOG_METRIC_NAMESPACE)["Metrics"]
    assert {x["MetricName"] for x in listed} == {M.LOGMETRIC_APP_ERRORS}


def test_logs_reach_cloudwatch_logs(local_stack: LocalStack) -> None:
    # Given one successful request
    response = _get(local_stack, "/objects?limit=3")
    assert response.status == 200
    exchange = next(e for e in local_stack.gateway.exchanges if e.request_id == response.request_id)
    logs = local_stack.emulator.client("logs")
    # Then the access log has one JSON line for it, with every key of the one format definition
    access = [
        json.loads(e["message"])
        for e in logs.filter_log_events(logGroupName=local_stack.names.access_log_group)["events"]
    ]
    line = next(a for a in access if a["requestId"] == response.request_id)
    assert set(line) == set(fields.ACCESS_LOG_FORMAT)
    assert (line["status"], line["routeKey"], line["httpMethod"]) == ("200", "GET /objects", "GET")
    assert line["callerArn"].endswith(":user/local-caller")
    # And the function's group has START, the handler's JSON lines with the correlation id, END, REPORT
    events = [
        e["message"]
        for e in logs.filter_log_events(logGroupName=local_stack.names.function_log_group)["events"]
        if exchange.lambda_request_id in e["message"] or response.request_id in e["message"]
    ]
    assert events[0].startswith(f"START RequestId: {exchange.lambda_request_id}")
    assert any(
        e.startswith("REPORT RequestId:") and "Duration:" in e and "Max Memory Used:" in e for e in events
    )
    app_lines = [json.loads(e) for e in events if e.startswith("{") and '"_aws"' not in e]
    assert app_lines and all(doc[fields.PT_CORRELATION_ID] == response.request_id for doc in app_lines)


def test_metrics_reach_cloudwatch(local_stack: LocalStack) -> None:
    assert _get(local_stack, "/objects?limit=1").status == 200
    listed = local_stack.emulator.client("cloudwatch").list_metrics()["Metrics"]
    present = {(x["Namespace"], x["MetricName"]) for x in listed}
    for name in (M.APIGW_COUNT, M.APIGW_4XX, M.APIGW_5XX, M.APIGW_LATENCY, M.APIGW_INTEGRATION_LATENCY):
        assert (M.APIGW_NAMESPACE, name) in present
    for name in (M.LAMBDA_INVOCATIONS, M.LAMBDA_ERRORS, M.LAMBDA_DURATION):
        assert (M.LAMBDA_NAMESPACE, name) in present
    # EMF lines the function printed became custom metrics
    assert (M.NAMESPACE, M.OBJECTS_LISTED) in present


def _obsctl_call(stack: LocalStack, *args: str, region: str | None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    if region is not None:
        environ["AWS_DEFAULT_REGION"] = region
    return subprocess.run(
        [sys.executable, "-m", "obsctl", "call", *args, "--endpoint", stack.url],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_obsctl_call_against_the_gateway(local_stack: LocalStack) -> None:
    # The CLI, in a separate process, as a user would run it, with the gateway's region in its
    # environment (the one rule: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else eu-west-1)
    result = _obsctl_call(local_stack, "GET", "/objects?limit=2", region=local_stack.names.region)
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.partition("\n")
    assert status == "HTTP 200"
    assert json.loads(body)["count"] == 2
    refused = _obsctl_call(local_stack, "GET", "/objects", "--unsigned", region=local_stack.names.region)
    assert refused.returncode == 1
    assert refused.stdout.startswith("HTTP 403")
    # Another region in the environment signs for that region, which this gateway refuses
    other = "ap-south-1" if local_stack.names.region != "ap-south-1" else "us-east-2"
    elsewhere = _obsctl_call(local_stack, "GET", "/objects", region=other)
    assert elsewhere.stdout.startswith("HTTP 403") and sigv4.MSG_BAD_REGION in elsewhere.stdout
    # and --region wins over the environment
    explicit = _obsctl_call(
        local_stack, "GET", "/objects", "--region", local_stack.names.region, region=other
    )
    assert explicit.stdout.startswith("HTTP 200"), explicit.stdout


def test_trace_reaches_the_local_xray_daemon(local_stack: LocalStack) -> None:
    # Given a request that lists objects
    response = _get(local_stack, "/objects?limit=1")
    exchange = next(e for e in local_stack.gateway.exchanges if e.request_id == response.request_id)
    assert exchange.trace_id
    # Then the function sent its subsegments for that trace: the handler, and S3 beneath it
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(local_stack.xray.segments(exchange.trace_id)) < 2:
        time.sleep(0.05)
    documents = {d["name"]: d for d in local_stack.xray.segments(exchange.trace_id)}
    assert {"## handler", "s3"} <= set(documents)
    assert documents["s3"]["parent_id"] == documents["## handler"]["id"]
    assert documents["s3"]["namespace"] == "aws"
    assert local_stack.xray.rejected == 0


def _environ(**changes: str) -> dict[str, str]:
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_REGION", "AWS_DEFAULT_REGION", "OBSCTL_"))
    }
    return {**kept, **changes}


def test_a_region_that_is_not_one_is_refused_before_anything_starts() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "obsctl", "serve", "--port", "0", "--region", "Europe"],
        env=_environ(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode != 0
    assert "--region is not an AWS region name: 'Europe'" in bad.stderr


class _Kept:
    """The session's stack, lent to ``obsctl serve``: its ``stop`` leaves it running."""

    def __init__(self, stack: LocalStack) -> None:
        self._stack = stack

    def __getattr__(self, name: str) -> object:
        return getattr(self._stack, name)

    def stop(self) -> None:
        pass


def test_serve_starts_the_platform_in_the_flag_region_and_prints_how_to_call_it(
    local_stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``obsctl serve`` in this process, on the session's platform (each real start applies infra/live,
    about 90 s; the e2e demo test runs one as a user does). The flag's region wins over the environment's
    (the precedence itself: tests/unit/obsctl/test_local_region.py)."""
    import local_platform.stack
    from obsctl.cli import main

    asked: dict[str, object] = {}

    def start_stack(port: int, *, region: str, say: object) -> _Kept:
        asked.update(port=port, region=region)
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()  # Ctrl-C, once served
        return _Kept(local_stack)

    monkeypatch.setattr(local_platform.stack, "start_stack", start_stack)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    previous = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["serve", "--port", "0", "--region", "us-west-2"]) == 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    out = capsys.readouterr().out
    assert asked == {"port": 0, "region": "us-west-2"}
    assert "applying infra/live into an empty AWS emulator (us-west-2)" in out
    assert "terraform      created 103 of 105 resources of infra/live" in out
    assert f"--endpoint {local_stack.url}" in out
    assert out.rstrip().endswith("stopped")


def test_obsctl_call_signs_with_temporary_credentials_from_its_environment(local_stack: LocalStack) -> None:
    # Given the gateway admits an STS-style caller (key, secret and session token)
    temporary = Credentials(
        access_key="ASIALOCALEXAMPLE",
        secret_key="tmp-secret",
        session_token="tok-1",
        user_name="local-session",
    )
    local_stack.gateway.add_caller(temporary)
    environ = _environ(
        OBSCTL_ACCESS_KEY_ID=temporary.access_key,
        OBSCTL_SECRET_ACCESS_KEY=temporary.secret_key,
        OBSCTL_SESSION_TOKEN="tok-1",
        AWS_REGION=local_stack.names.region,
    )

    def call(environ: dict[str, str]) -> str:
        command = [
            sys.executable,
            "-m",
            "obsctl",
            "call",
            "GET",
            "/objects?limit=1",
            "--endpoint",
            local_stack.url,
        ]
        done = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=60, check=False)
        return done.stdout

    try:
        # Then obsctl call with that environment signs with the token and is let in
        assert call(environ).startswith("HTTP 200")
        # and the key without its token, or with another one, is refused as AWS refuses it
        without = {k: v for k, v in environ.items() if k != "OBSCTL_SESSION_TOKEN"}
        assert sigv4.MSG_INVALID_TOKEN in call(without)
        assert sigv4.MSG_INVALID_TOKEN in call({**environ, "OBSCTL_SESSION_TOKEN": "tok-2"})
    finally:
        local_stack.gateway.remove_caller(temporary.access_key)
