"""``obsctl opensearch``: run a local OpenSearch node and put the index templates into a cluster.

``start`` leaves a node running in the background and prints only its URL, so a shell can do
``export OPENSEARCH_URL=$(obsctl opensearch start)``; ``status`` and ``stop`` find it again from another
process through ``build/opensearch/state.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from obsctl.cli import CliError
from signals.config import ENV_OPENSEARCH_URL

AUTH_MODES = ("none", "aoss", "es")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "opensearch",
        help="Run a local OpenSearch node (start, status, stop) and apply the index templates (bootstrap).",
        description=(
            "A single OpenSearch node in a JVM built from Maven Central jars (cached in ~/.m2), bound to "
            "127.0.0.1 with security off and its data in a temporary folder removed at stop. Needs Java "
            "17+ and Maven. Set OPENSEARCH_URL to use an existing cluster instead."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

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

    bootstrap = actions.add_parser(
        "bootstrap",
        help="Apply the log pipeline's index templates to a cluster.",
        description=(
            "Apply the index templates of log_pipeline/ (never done on the shipper's hot path). The "
            f"endpoint defaults to ${ENV_OPENSEARCH_URL}, then to the node `start` left running."
        ),
    )
    bootstrap.add_argument("--endpoint", help="cluster URL, e.g. https://xyz.eu-west-1.aoss.amazonaws.com")
    bootstrap.add_argument(
        "--auth",
        choices=AUTH_MODES,
        default="none",
        help="none for a local node; SigV4 for aoss (Serverless) or es (managed domain)",
    )
    bootstrap.add_argument("--region", help="AWS region for SigV4 (default: $AWS_REGION)")
    bootstrap.set_defaults(func=_bootstrap)


def _start(args: argparse.Namespace) -> int:
    from obsctl.local import opensearch

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
    from obsctl.local import opensearch

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
    from obsctl.local import opensearch

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


def _bootstrap(args: argparse.Namespace) -> int:
    endpoint = args.endpoint or os.environ.get(ENV_OPENSEARCH_URL)
    if not endpoint:
        from obsctl.local import opensearch

        running = opensearch.find_running_node()
        if running is None:
            raise CliError(
                f"no endpoint: pass --endpoint, set {ENV_OPENSEARCH_URL}, or run `obsctl opensearch start`"
            )
        endpoint = running.url
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if args.auth != "none" and not region:
        raise CliError(f"--auth {args.auth} signs with SigV4 and needs --region (or $AWS_REGION)")
    try:
        from log_pipeline.templates import apply_index_templates
    except ImportError as exc:
        raise CliError(f"the log pipeline's index templates are not available: {exc}") from exc
    try:
        applied = apply_index_templates(endpoint, args.auth, region if args.auth != "none" else None)
    except (OSError, ValueError, RuntimeError) as exc:
        raise CliError(f"applying the index templates to {endpoint} failed: {exc}") from exc
    for name in applied:
        print(name)
    return 0
