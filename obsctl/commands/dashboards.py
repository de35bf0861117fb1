"""``obsctl dashboards``: render the Grafana dashboards, publish them (and the alert rules) to Grafana."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["REGION_ENVS", "TOKEN_ENV", "publish_with_token", "register"]

TOKEN_ENV = "GRAFANA_TOKEN"  # noqa: S105 - the name of the variable, not a token
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "dashboards",
        help="render the Grafana dashboards, or publish them with their data sources and alert rules",
        description=(
            "Dashboards as code: dashboards/*.dashboard.py (grafanalib) rendered to deterministic JSON, "
            "published to (Managed) Grafana through its HTTP API."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    render = actions.add_parser(
        "render",
        help="write one JSON file per dashboard",
        description="Render every dashboards/*.dashboard.py to JSON (sorted keys, stable panel ids).",
    )
    render.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: dashboards/rendered in the repository)",
    )
    render.set_defaults(func=_render)

    publish = actions.add_parser(
        "publish",
        help="upsert folder, data sources, dashboards and Grafana alert rules",
        description=(
            f"Publish to Grafana with a service account token from ${TOKEN_ENV}, or mint a short-lived "
            "Managed Grafana token with --workspace-id and --service-account (deleted afterwards). "
            "Reads first and writes only what differs: a second run changes nothing."
        ),
    )
    publish.add_argument(
        "--url", required=True, help="Grafana base URL, e.g. https://g-abc.grafana-workspace..."
    )
    publish.add_argument("--folder", default=None, help="folder title (default: 'Observability platform')")
    publish.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    publish.add_argument(
        "--region", default=None, help="AWS region of the data sources (default: $AWS_REGION)"
    )
    publish.add_argument(
        "--opensearch-url",
        default=None,
        help="OpenSearch (Serverless collection) endpoint for the logs data source",
    )
    publish.add_argument(
        "--opensearch-auth", choices=("aoss", "none"), default="aoss",
        help="aoss: SigV4 for OpenSearch Serverless (default); none: a local node",
    )  # fmt: skip
    publish.add_argument(
        "--alert-rules", type=Path, default=None,
        help="Grafana alert rules file (default: alerts/rendered/grafana-alert-rules.json if present); its "
        "${OBS_*} placeholders are taken from the environment, as Grafana's file provisioning does",
    )  # fmt: skip
    publish.add_argument("--no-alert-rules", action="store_true", help="publish dashboards only")
    publish.add_argument(
        "--workspace-id", default=None, help="Managed Grafana workspace id (g-...) to mint a token"
    )
    publish.add_argument(
        "--service-account", default=None, help="workspace service account name (with --workspace-id)"
    )
    publish.set_defaults(func=_publish)


def _render(args: argparse.Namespace) -> int:
    from dashboards import render

    out: Path = args.out or render.DASHBOARD_DIR / "rendered"
    try:
        written = render.write(out)
    except OSError as exc:
        from obsctl.cli import CliError

        raise CliError(f"cannot write dashboards to {out}: {exc.strerror or exc}") from None
    for path in written:
        print(path)
    return 0


def _publish(args: argparse.Namespace) -> int:
    from obsctl.cli import CliError

    region = args.region or next((os.environ[e] for e in REGION_ENVS if os.environ.get(e)), None)
    if not region:
        raise CliError("no AWS region for the data sources: pass --region or set AWS_REGION")
    if args.workspace_id or args.service_account:
        if not (args.workspace_id and args.service_account):
            raise CliError("--workspace-id and --service-account go together")
        return _with_minted_token(args, region)
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise CliError(f"no Grafana token: set {TOKEN_ENV} (or pass --workspace-id and --service-account)")
    return publish_with_token(args, region, token)


def _with_minted_token(args: argparse.Namespace, region: str) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from dashboards.token import TokenError, find_service_account, service_account_token
    from obsctl.cli import CliError

    client = boto3.client("grafana", region_name=region)
    try:
        account_id = find_service_account(client, args.workspace_id, args.service_account)
        with service_account_token(client, args.workspace_id, account_id) as token:
            return publish_with_token(args, region, token)
    except TokenError as exc:
        raise CliError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise CliError(f"Managed Grafana: {exc}") from None


def publish_with_token(args: argparse.Namespace, region: str, token: str) -> int:
    from dashboards import publish, render
    from dashboards.grafana_api import GrafanaClient, GrafanaError
    from obsctl.cli import CliError

    try:
        target = publish.Target(
            region=region,
            opensearch_url=args.opensearch_url,
            opensearch_auth=args.opensearch_auth,
            folder_title=args.folder or publish.DEFAULT_FOLDER_TITLE,
        )
        alerting = None
        if not args.no_alert_rules:
            rules_file = args.alert_rules or (render.DASHBOARD_DIR.parent / publish.ALERT_RULES_FILE)
            if args.alert_rules or rules_file.exists():
                names = publish.alerting_placeholders()
                bindings = {name: os.environ[name] for name in names if os.environ.get(name)}
                alerting = publish.load_alerting(rules_file, bindings)
        client = GrafanaClient(args.url, token)
        publisher = publish.Publisher(client, target, dry_run=args.dry_run)
        changes = publisher.publish(render.models(), alerting)
    except (GrafanaError, ValueError) as exc:
        raise CliError(str(exc)) from None
    verb = "would" if args.dry_run else "did"
    for change in changes:
        print(change.line())
    counts = {
        action: sum(c.action == action for c in changes) for action in ("create", "update", "unchanged")
    }
    print(
        f"{'dry run: ' if args.dry_run else ''}{verb} create {counts['create']}, update {counts['update']}, "
        f"leave {counts['unchanged']} unchanged",
        file=sys.stderr,
    )
    if not args.opensearch_url:
        print(
            "note: no --opensearch-url: the logs dashboard's OpenSearch data source is not provisioned",
            file=sys.stderr,
        )
    return 0
