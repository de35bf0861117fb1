"""`make demo` end to end: the whole local platform, run as a user runs it, in its own process.

The demo gets the session's OpenSearch node through OPENSEARCH_URL (so it does not start a second
one) and otherwise runs on its embedded defaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from signals import config as env
from signals import logs as fields

pytestmark = pytest.mark.e2e


def test_demo_runs_end_to_end(tmp_path: Path, opensearch_url: str) -> None:
    # Given the session's OpenSearch and no Grafana
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ[env.ENV_OPENSEARCH_URL] = opensearch_url
    # When the demo runs
    result = subprocess.run(
        [sys.executable, "-m", "obsctl", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environ,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # Then it showed its progress, step by step, and a query to paste
    for step in ("[1/4] API traffic", "[2/4] an incident", "[3/4] log shipping", "[4/4] dashboards"):
        assert step in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
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
    assert f"logs request {summary['example_request_id']} --endpoint {opensearch_url}" in result.stdout
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
