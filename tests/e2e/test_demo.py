"""`make demo` (and `make demo-keep`) end to end: the whole local platform, run as a user runs it, in
its own process, on what `terraform apply` of infra/live created in its emulator.

The demo gets the session's OpenSearch node through OPENSEARCH_URL (so it does not start a second
one) and otherwise runs on its embedded defaults.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from signals import logs as fields

if TYPE_CHECKING:
    from tests.conftest import DemoRun

pytestmark = pytest.mark.e2e


def _listening(url: str) -> bool:
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


def _wait_for_output(demo_run: DemoRun, marker: str, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while True:
        output = demo_run.output.read_text(encoding="utf-8", errors="replace")
        if marker in output or demo_run.process.poll() is not None or time.monotonic() > deadline:
            return output
        time.sleep(0.5)


def test_demo_runs_end_to_end_on_what_terraform_created_and_keeps_serving(
    demo_run: DemoRun, opensearch_url: str
) -> None:
    """``make demo-keep`` as a user runs it: ``obsctl demo --keep`` in its own process, with the
    session's OpenSearch node and no Grafana (tests/conftest.py starts it as soon as the tests are
    collected: it applies infra/live in its own emulator, about 90 s, while the unit tests run)."""
    # When the demo has run and keeps its services up
    output = _wait_for_output(demo_run, "press Ctrl-C to stop")
    assert "press Ctrl-C to stop" in output, output[-5000:]
    out_dir = demo_run.out_dir / "demo"
    _check_the_run(out_dir, output, opensearch_url)
    # and, kept up, the printed command tells that request's story
    lines = output.splitlines()
    (kept,) = [line for line in lines if line.startswith("kept running: API ")]
    api_url = kept.split()[3].rstrip(",")
    (command,) = [line.strip() for line in lines if " logs request " in line and "--endpoint" in line]
    assert _listening(api_url)
    result = subprocess.run(
        [sys.executable, "-m", "obsctl", *command.split()[1:]],
        capture_output=True,
        text=True,
        timeout=120,
        env=demo_run.environ,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "-- 5 events (1 access, 1 application, 3 platform)" in result.stdout.splitlines()
    # When Ctrl-C comes, everything stops and the demo exits 0
    demo_run.process.send_signal(signal.SIGINT)
    assert demo_run.process.wait(timeout=120) == 0
    assert not _listening(api_url)


def _check_the_run(tmp_path: Path, output: str, opensearch_url: str) -> None:
    # It showed its progress, step by step
    for step in ("[1/4] API traffic", "[2/4] an incident", "[3/4] log shipping", "[4/4] dashboards"):
        assert step in output
    summary = json.loads((tmp_path / "summary.json").read_text())
    # It ran on what Terraform created: every resource of both roots but the emulator's gaps
    assert summary["terraform_resources_applied"] == {"bootstrap": 1, "live": 103}
    assert summary["terraform_resources_planned"] == {"bootstrap": 1, "live": 105}
    assert summary["terraform_not_created"] == [
        "module.grafana.aws_grafana_workspace.this",
        "module.grafana.aws_grafana_workspace_service_account.publisher",
    ]
    assert summary["iam_checks_passed"] == 7
    # and it evaluated the alarms as CloudWatch holds them (the percentile ones need CloudWatch)
    evaluated = summary["alarms_evaluated"]
    assert evaluated["metric"] + evaluated["metric_skipped_percentile"] == 29
    assert evaluated["composite"] == 8
    # and every step reported what it did
    assert summary["objects_listed"] == 250
    assert summary["requests"] == sum(summary["responses"].values())
    assert summary["responses"]["200"] >= 7
    assert summary["responses"]["400"] == 6
    assert summary["responses"]["403"] == 4
    assert summary["log_events"] > summary["requests"]
    # every log line became a document, except the EMF lines (CloudWatch makes metrics of those)
    assert summary["docs_indexed"] + summary["emf_lines_skipped"] == summary["log_events"]
    assert summary["docs_dead_lettered"] == 0
    assert summary["trace_segments"] > 0
    # the staged S3 outage fired the API's 5xx alarm and paged once through the incident composite
    assert "api-5xx-rate" in summary["alarms_fired"]
    assert "api-incident" in summary["alarms_fired"]
    assert summary["notifications_delivered"] >= len(summary["alarms_fired"])
    assert summary["dashboards_written"] == 4
    # and it ended with the `obsctl logs` command for one real request of the run
    assert f"logs request {summary['example_request_id']} --endpoint {opensearch_url}" in output
    assert (tmp_path / "dashboards").is_dir()
    # and every chat message links to logs that exist where the demo ran: its own node's search API
    _every_logs_link_answers(tmp_path / "alerts-notifications.json", opensearch_url)


def _every_logs_link_answers(messages_path: Path, opensearch_url: str) -> None:
    import requests

    messages = json.loads(messages_path.read_text())
    assert messages
    found_5xx = False
    for message in messages:
        steps = dict(step.split(": ", 1) for step in message["content"]["nextSteps"])
        link = steps["Matching logs in OpenSearch"]
        assert link.startswith(f"{opensearch_url}/logs-") and "/_search?q=" in link
        response = requests.get(link, timeout=30)
        assert response.status_code == 200, (link, response.text[:500])
        hits = response.json()["hits"]["hits"]
        if message["content"]["title"].endswith("-api-5xx-rate is ALARM"):
            # the staged S3 outage's 5xx access lines, shipped by the logs step, are what it finds
            assert hits and all(hit["_source"][fields.HTTP_STATUS] >= 500 for hit in hits)
            found_5xx = True
    assert found_5xx
