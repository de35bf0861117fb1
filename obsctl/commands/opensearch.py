"""``obsctl opensearch``: put the index templates into a cluster (``bootstrap``).

The local platform adds ``start``, ``status`` and ``stop`` (a local node) to this command; see
``local_platform/commands/opensearch_node.py``.
"""

from __future__ import annotations

import argparse
from typing import Any

from obsctl.cli import CliError
from signals.config import ENV_OPENSEARCH_URL
from signals.logs import ALL_INDICES_PATTERN, INDEX_PREFIX

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
    return actions


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
