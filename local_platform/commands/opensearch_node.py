"""``obsctl opensearch start|status|stop``: a local OpenSearch node, added to the CLI by the local platform.

``start`` leaves a node running in the background and prints only its URL, so a shell can do
``export OPENSEARCH_URL=$(obsctl opensearch start)``; ``status`` and ``stop`` find it again from another
process through ``build/opensearch/state.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from obsctl.cli import CliError

__all__ = ["register_actions"]


def register_actions(actions: argparse._SubParsersAction[Any]) -> None:
    start = actions.add_parser(
        "start",
        help="Start a node in the background and print its URL (reuses one that is already running).",
        description="Start a node in the background; prints only its URL on stdout.",
    )
    start.add_argument("--port", type=int, default=0, help="HTTP port (default: a free port)")
    start.add_argument("--heap", default="512m", help="JVM heap, 128m..1g (default: 512m)")
    start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for health")
    start.set_defaults(func=_start)

    status = actions.add_parser(
        "status",
        help="Print the running node as JSON (url, pid, health); exit 1 if none is running.",
        description="Print url, pid, health, rss_mb and home of the node `start` left running.",
    )
    status.set_defaults(func=_status)

    stop = actions.add_parser(
        "stop",
        help="Stop the node `start` left running and delete its data (no-op if none).",
        description="SIGTERM, then SIGKILL after a grace period; the node's temporary home is removed.",
    )
    stop.set_defaults(func=_stop)


def _start(args: argparse.Namespace) -> int:
    from local_platform import opensearch

    running = opensearch.find_running_node()
    if running is not None:
        print(f"OpenSearch is already running (pid {running.pid})", file=sys.stderr)
        print(running.url)
        return 0
    try:
        handle = opensearch.start_node(args.timeout, heap=args.heap, http_port=args.port, detach=True)
    except opensearch.OpenSearchNodeError as exc:
        summary, _, detail = str(exc).partition("\n")
        if detail:  # the node's log tail: context for the one-line error below it
            print(detail, file=sys.stderr)
        raise CliError(summary) from exc
    print(
        f"OpenSearch {opensearch.OPENSEARCH_VERSION} started (pid {handle.pid}); "
        "stop it with: obsctl opensearch stop",
        file=sys.stderr,
    )
    print(handle.url)
    return 0


def _status(_args: argparse.Namespace) -> int:
    from local_platform import opensearch

    handle = opensearch.find_running_node()
    if handle is None:
        print(json.dumps({"running": False}))
        return 1
    rss = handle.rss_bytes()
    report: dict[str, Any] = {
        "running": True,
        "url": handle.url,
        "pid": handle.pid,
        "home": str(handle.home),
        "rss_mb": round(rss / 1024**2, 1) if rss is not None else None,
    }
    try:
        report["health"] = opensearch.cluster_health(handle.url).get("status")
    except opensearch.OpenSearchNodeError as exc:
        report["health"] = "unreachable"
        report["error"] = str(exc)
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0 if report["health"] in ("green", "yellow") else 1


def _stop(_args: argparse.Namespace) -> int:
    from local_platform import opensearch

    handle = opensearch.find_running_node()
    if handle is None:
        print("no local OpenSearch node is running", file=sys.stderr)
        return 0
    try:
        handle.stop()
    except opensearch.OpenSearchNodeError as exc:
        raise CliError(str(exc)) from exc
    print(f"stopped OpenSearch (pid {handle.pid})", file=sys.stderr)
    return 0
