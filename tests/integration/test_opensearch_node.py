"""The local OpenSearch node: a real JVM from Maven Central jars, started and stopped like the suite does.

Each test that needs a node starts its own (about 3 s warm), because what is under test is the
lifecycle itself: start, serve, stop, and leave nothing behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from local_platform import opensearch
from obsctl import cli
from signals.config import ENV_OPENSEARCH_URL

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def _port_is_open(url: str) -> bool:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _env_without_java(tmp_path: Path) -> dict[str, str]:
    """An empty PATH and no JAVA_HOME, so neither java nor mvn can be found."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", ENV_OPENSEARCH_URL)}
    env["PATH"] = str(bin_dir)
    return env


def test_node_indexes_searches_and_leaves_nothing_behind_when_stopped():
    # Given a freshly started node
    handle = opensearch.start_node()
    try:
        # Then it listens on loopback only, with single-node health and no security plugin in the way
        assert urlsplit(handle.url).hostname == "127.0.0.1"
        health = requests.get(f"{handle.url}/_cluster/health", timeout=10).json()
        assert health["status"] in ("green", "yellow")
        assert health["number_of_nodes"] == 1
        assert health["cluster_name"] == opensearch.CLUSTER_NAME

        # When a document is indexed into a new index (auto-create allowed) and searched for
        doc = {"message": "hello from the local node", "aws": {"lambda": {"request_id": "req-123"}}}
        created = requests.post(f"{handle.url}/logs-test/_doc?refresh=true", json=doc, timeout=30)
        assert created.status_code == 201, created.text
        found = requests.post(
            f"{handle.url}/logs-test/_search",
            json={"query": {"match": {"aws.lambda.request_id": "req-123"}}},
            timeout=30,
        ).json()

        # Then exactly that document comes back
        assert found["hits"]["total"]["value"] == 1
        assert found["hits"]["hits"][0]["_source"] == doc
        # And the common analysis module is loaded (templates may name its tokenizers)
        tokens = requests.post(
            f"{handle.url}/_analyze", json={"tokenizer": "pattern", "text": "a-b c"}, timeout=30
        ).json()
        assert [token["token"] for token in tokens["tokens"]] == ["a", "b", "c"]
        rss = handle.rss_bytes()
        assert rss is not None and rss < 1536 * 1024**2  # 512m heap: the whole JVM stays far below
        assert handle.home.is_dir()
    finally:
        # When it is stopped
        handle.stop()

    # Then the JVM is gone, the port is closed and the data folder removed
    assert not handle.is_running()
    assert not _port_is_open(handle.url)
    assert not handle.home.exists()
    handle.stop()  # idempotent


def test_node_exits_and_removes_its_data_when_the_starting_process_is_killed(tmp_path):
    # Given a Python process that starts a node, reports it, then dies without any cleanup (SIGKILL)
    script = (
        "import json, os, signal\n"
        "from local_platform import opensearch\n"
        "h = opensearch.start_node()\n"
        "print(json.dumps({'pid': h.pid, 'home': str(h.home), 'url': h.url}), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, timeout=180
    )
    assert result.returncode == -9, result.stderr
    node = json.loads(result.stdout)

    # Then the JVM notices, shuts down and deletes its home by itself
    orphan = opensearch.NodeHandle(url=node["url"], pid=node["pid"], home=Path(node["home"]))
    assert _wait_until(lambda: not orphan.is_running(), 30)
    assert _wait_until(lambda: not Path(node["home"]).exists(), 10)
    assert not _port_is_open(node["url"])


def test_cli_start_status_bootstrap_stop_round_trip(tmp_path, monkeypatch, capsys):
    # Given a state file of our own, so a developer's background node is never touched
    state_file = tmp_path / "state.json"
    monkeypatch.setattr(opensearch, "STATE_FILE", state_file)
    monkeypatch.delenv(ENV_OPENSEARCH_URL, raising=False)
    try:
        # When `start` runs, it prints only the URL and records the node
        assert cli.main(["opensearch", "start"]) == 0
        url = capsys.readouterr().out.strip()
        assert json.loads(state_file.read_text())["url"] == url

        # Then `status` reports it healthy, and a second `start` reuses it
        assert cli.main(["opensearch", "status"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["url"] == url
        assert status["health"] in ("green", "yellow")
        assert status["rss_mb"] > 0
        assert cli.main(["opensearch", "start"]) == 0
        assert capsys.readouterr().out.strip() == url

        # When `bootstrap` runs without --endpoint, it applies the index templates to that node
        assert cli.main(["opensearch", "bootstrap"]) == 0
        applied = capsys.readouterr().out.split()
        templates = requests.get(f"{url}/_index_template", timeout=30).json()["index_templates"]
        assert applied
        assert sorted(applied) == sorted(template["name"] for template in templates)

        # When `stop` runs, the node is gone and `status` exits 1
        assert cli.main(["opensearch", "stop"]) == 0
        assert not _port_is_open(url)
        assert not Path(status["home"]).exists()
        assert not state_file.exists()
        assert cli.main(["opensearch", "status"]) == 1
        assert json.loads(capsys.readouterr().out) == {"running": False}
    finally:
        leftover = opensearch.find_running_node(state_file)
        if leftover is not None:
            leftover.stop()


def test_start_failure_names_the_cause_and_leaves_nothing_behind(tmp_path, monkeypatch):
    # Given the requested HTTP port is taken, and temporary folders go to a place we can inspect
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_root))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # Then the start fails with the JVM's own reason on the first line
        with pytest.raises(opensearch.OpenSearchNodeError) as caught:
            opensearch.start_node(http_port=port)

    first_line = str(caught.value).splitlines()[0]
    assert first_line.startswith("OpenSearch exited with status 1 while starting: BindHttpException")
    assert f"127.0.0.1:{port}" in first_line
    # And the node's temporary home is gone
    assert list(temp_root.iterdir()) == []


def test_stale_state_is_cleaned_up_but_only_our_own_folders_are_deleted(tmp_path, monkeypatch, capsys):
    # Given state files naming a process that is gone (pid 2**22 + 1 is above Linux's pid_max)
    monkeypatch.setattr(opensearch, "STATE_FILE", tmp_path / "state.json")
    leftover_home = tmp_path / "obs-opensearch-leftover"
    precious = tmp_path / "precious"
    for home in (leftover_home, precious):
        (home / "data").mkdir(parents=True)
        opensearch.STATE_FILE.write_text(
            json.dumps({"url": "http://127.0.0.1:9", "pid": 2**22 + 1, "home": str(home)})
        )

        # Then `status` reports nothing running and forgets the stale record
        assert cli.main(["opensearch", "status"]) == 1
        assert json.loads(capsys.readouterr().out) == {"running": False}
        assert not opensearch.STATE_FILE.exists()

    # And the node home left behind is removed, while a folder that is not a node home is kept
    assert not leftover_home.exists()
    assert (precious / "data").is_dir()


def test_missing_java_fails_with_what_to_install(tmp_path, monkeypatch):
    # Given a PATH without java (and no JAVA_HOME)
    env = _env_without_java(tmp_path)
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.delenv("JAVA_HOME", raising=False)

    # Then starting a node fails, naming the missing tool and the packages to install, without a JVM
    with pytest.raises(opensearch.MissingToolError) as caught:
        opensearch.start_node()
    message = str(caught.value)
    assert "java not found on PATH" in message
    assert "apt-get install openjdk-17-jdk-headless maven" in message


def test_missing_java_is_a_one_line_cli_error(tmp_path):
    # Given the CLI run with a PATH without java
    result = subprocess.run(
        [sys.executable, "-m", "obsctl", "opensearch", "start"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=_env_without_java(tmp_path),
        timeout=60,
    )

    # Then it exits 2 with one line saying what to install, and no traceback
    assert result.returncode == 2
    assert result.stderr.startswith("obsctl: error: OpenSearch needs Java 17+")
    assert "apt-get install" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_session_uses_opensearch_url_untouched_without_starting_a_node(monkeypatch):
    # Given OPENSEARCH_URL pointing at an existing cluster (nothing listens there: nothing is called)
    monkeypatch.setenv(ENV_OPENSEARCH_URL, "http://127.0.0.1:9/some/prefix/")
    monkeypatch.setattr(opensearch, "start_node", _must_not_start)

    # Then the session yields it exactly as given
    with opensearch.opensearch_session() as url:
        assert url == "http://127.0.0.1:9/some/prefix/"


def test_session_without_opensearch_url_starts_and_stops_a_node(monkeypatch):
    # Given no OPENSEARCH_URL
    monkeypatch.delenv(ENV_OPENSEARCH_URL, raising=False)

    # When a session runs, a node answers inside it and is gone after it
    with opensearch.opensearch_session() as url:
        assert requests.get(f"{url}/_cluster/health", timeout=10).json()["status"] in ("green", "yellow")
    assert not _port_is_open(url)


def test_bad_heap_is_rejected_before_anything_starts():
    with pytest.raises(opensearch.OpenSearchNodeError, match="between 128m and 1g"):
        opensearch.start_node(heap="2g")
    with pytest.raises(opensearch.OpenSearchNodeError, match="look like 512m"):
        opensearch.start_node(heap="lots")


def _must_not_start(*_args, **_kwargs):
    raise AssertionError("start_node must not be called when OPENSEARCH_URL is set")
