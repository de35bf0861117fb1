"""`make demo-keep`: the demo leaves its services up until Ctrl-C, so the printed commands work."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from signals import config as env

pytestmark = pytest.mark.e2e


def _listening(url: str) -> bool:
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


def test_keep_serves_until_interrupted_and_the_printed_command_works(
    tmp_path: Path, opensearch_url: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ[env.ENV_OPENSEARCH_URL] = opensearch_url
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "obsctl",
            "demo",
            "--keep",
            "--only",
            "traffic",
            "--only",
            "logs",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environ,
    )
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        for line in demo.stdout:
            lines.append(line.rstrip("\n"))
            if "press Ctrl-C to stop" in line:
                break
        # Given the demo printed one request's command and is waiting
        (kept,) = [line for line in lines if line.startswith("kept running: API ")]
        api_url = kept.split()[3].rstrip(",")
        (command,) = [line.strip() for line in lines if " logs request " in line and "--endpoint" in line]
        assert _listening(api_url)
        # When the printed command runs, it tells that request's story
        argv = command.split()
        result = subprocess.run(
            [sys.executable, "-m", "obsctl", *argv[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            env=environ,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "-- 5 events (1 access, 1 application, 3 platform)" in result.stdout.splitlines()
        # When Ctrl-C comes, everything stops and the demo exits 0
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=120) == 0
        assert not _listening(api_url)
    finally:
        if demo.poll() is None:
            demo.kill()
