"""``obsctl opensearch``: run a local OpenSearch node and put the index templates into a cluster.

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
from signals.config import ENV_OPENSEARCH_URL
from signals.logs import ALL_INDICES_PATTERN, INDEX_PREFIX

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
        help="Apply the log pipeline's index templates (and, on a managed domain, an ISM retention policy).",
        description=(
            "Apply the index templates of log_pipeline/ (never done on the shipper's hot path) with the same "
            "opensearch-py client as `obsctl logs`. On a managed domain (--auth es) also put an ISM policy "
            "that deletes logs-* indices after --retention-days (OpenSearch Serverless has no ISM: its "
            "retention is the collection's lifecycle policy, set by Terraform). The endpoint defaults to "
            f"${ENV_OPENSEARCH_URL}, then to the node `start` left running."
        ),
    )
    bootstrap.add_argument("--endpoint", help="cluster URL, e.g. https://xyz.eu-west-1.aoss.amazonaws.com")
    bootstrap.add_argument(
        "--auth",
        choices=("auto", *AUTH_MODES),
        default="auto",
        help="none for a local node; SigV4 for aoss (Serverless) or es (managed domain); "
        "auto (default): from the endpoint's host name",
    )
    bootstrap.add_argument(
        "--region", help="AWS region for SigV4 (default: from the endpoint, then $AWS_REGION)"
    )
    bootstrap.add_argument(
        "--retention-days",
        type=int,
        default=30,
        help="ISM retention on a managed domain, 1..3650 days (default 30, as the collection's lifecycle)",
    )
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
    from log_pipeline.templates import index_templates
    from obsctl.opensearch_client import OpenSearchClientError, build_client, call, resolve_target

    if not 1 <= args.retention_days <= 3650:
        raise CliError("--retention-days must be 1..3650")
    try:
        target = resolve_target(args.endpoint, args.auth, args.region)
        client = build_client(target)
        for name, body in index_templates().items():
            call(
                target,
                lambda name=name, body=body: client.indices.put_index_template(name=name, body=body),
                what=f"PUT _index_template/{name}",
            )
            print(name)
        if target.auth == "es":
            name, policy = ism_policy(args.retention_days)
            call(target, lambda: _put_ism_policy(client, name, policy), what=f"PUT ISM policy {name}")
            print(name)
    except OpenSearchClientError as exc:
        raise CliError(str(exc)) from None
    return 0


ISM_POLICY_NAME = f"{INDEX_PREFIX}-retention"


def ism_policy(retention_days: int) -> tuple[str, dict[str, Any]]:
    """The ISM policy of a managed domain: delete a logs-* index ``retention_days`` after creation
    (the daily indices make index age the age of its oldest events, give or take a day)."""
    return ISM_POLICY_NAME, {
        "policy": {
            "description": f"obs-platform: delete {ALL_INDICES_PATTERN} indices after {retention_days} days",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [{"index_patterns": [ALL_INDICES_PATTERN], "priority": 100}],
        }
    }


def _put_ism_policy(client: Any, name: str, policy: dict[str, Any]) -> None:
    """Create the policy, or update it in place (ISM needs the current seq_no/primary_term)."""
    from opensearchpy.exceptions import NotFoundError

    path = f"/_plugins/_ism/policies/{name}"
    try:
        current = client.transport.perform_request("GET", path)
    except NotFoundError:
        client.transport.perform_request("PUT", path, body=policy)
        return
    params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    client.transport.perform_request("PUT", path, params=params, body=policy)
