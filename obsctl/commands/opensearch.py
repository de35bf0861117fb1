"""``obsctl opensearch``: put the index templates into a cluster (``bootstrap``).

The local platform adds ``start``, ``status`` and ``stop`` (a local node) to this command; see
``local_platform/commands/opensearch_node.py``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from obsctl.cli import CliError
from obsctl.plugins import find_local_opensearch
from signals.config import ENV_OPENSEARCH_URL

__all__ = ["AUTH_MODES", "register"]

AUTH_MODES = ("none", "aoss", "es")


def register(sub: Any) -> argparse._SubParsersAction[Any]:
    parser: argparse.ArgumentParser = sub.add_parser(
        "opensearch",
        help="Apply the index templates (bootstrap); with the local platform, run a local node too.",
        description=(
            "bootstrap applies the log pipeline's index templates to a cluster. In a development "
            "checkout the local platform adds start, status and stop: a single OpenSearch node in a JVM "
            "built from Maven Central jars (cached in ~/.m2), bound to 127.0.0.1 with security off and "
            "its data in a temporary folder removed at stop (needs Java 17+ and Maven). Set "
            "OPENSEARCH_URL to use an existing cluster instead."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

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
    return actions


def _bootstrap(args: argparse.Namespace) -> int:
    endpoint = args.endpoint or os.environ.get(ENV_OPENSEARCH_URL)
    if not endpoint:
        endpoint = find_local_opensearch()
        if endpoint is None:
            raise CliError(
                f"no endpoint: pass --endpoint, set {ENV_OPENSEARCH_URL}, or run `obsctl opensearch start`"
            )
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
