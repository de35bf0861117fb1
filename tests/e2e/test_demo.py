"""`make demo` end to end: the whole local platform, with the session's real OpenSearch node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from obsctl.demo import run_demo
from signals import config as env

pytestmark = pytest.mark.e2e


def test_demo_runs_end_to_end(tmp_path: Path, opensearch_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the session's OpenSearch (so the demo does not start a second node)
    monkeypatch.setenv(env.ENV_OPENSEARCH_URL, opensearch_url)
    monkeypatch.delenv("GRAFANA_URL", raising=False)
    # When the demo runs
    summary = run_demo(tmp_path)
    # Then it wrote the summary it returned
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    # and every step reported what it did
    assert summary["objects_listed"] == 250
    assert summary["requests"] == sum(summary["responses"].values())
    assert summary["responses"]["200"] >= 7
    assert summary["responses"]["400"] == 6 and summary["responses"]["403"] == 4
    assert summary["log_events"] > summary["requests"]
    assert summary["docs_indexed"] >= summary["log_events"] - summary.get(
        "emf_skipped", summary["log_events"]
    )
    assert summary["docs_dead_lettered"] == 0
    assert summary["alarms_fired"] >= 1
    assert summary["notifications_delivered"] >= summary["alarms_fired"]
    assert summary["dashboards_written"] == 4
