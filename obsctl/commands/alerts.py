"""``obsctl alerts``: render the alarm catalog, list it, and backtest an alarm on a recorded series."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "alerts",
        help="render the alarm catalog (Terraform JSON, Grafana rules) and backtest alarms",
        description=(
            "Alerts as code: the catalog in alerts/catalog.py is rendered to Terraform JSON and Grafana "
            "provisioning JSON, and any alarm can be replayed on a recorded metric series exactly as "
            "CloudWatch would evaluate it."
        ),
    )
    actions = parser.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    render = actions.add_parser(
        "render",
        help="write infra/modules/alerting/catalog.tf.json and alerts/rendered/grafana-alert-rules.json",
        description="Render the catalog's generated files (deterministic; CI fails when they drift).",
    )
    render.add_argument("--root", type=Path, default=Path("."), help="repository root (default: .)")
    render.add_argument("--check", action="store_true", help="only compare; exit 1 when a file differs")
    render.set_defaults(func=_render)

    listing = actions.add_parser("list", help="list every alarm with its severity and threshold")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=_list)

    backtest = actions.add_parser(
        "backtest",
        help="replay one alarm over a metric series and print its state transitions as JSON",
        description=(
            "Replay an alarm over a series the way CloudWatch evaluates it (period aggregation, M out of "
            "N, missing-data treatment, metric math, initial INSUFFICIENT_DATA). Prints "
            '{"transitions": [{"timestamp", "state", "reason"}], "final_state"} and, with --expect, the '
            "false alarms of a normal series or the detection delay of an incident."
        ),
    )
    which = backtest.add_mutually_exclusive_group(required=True)
    which.add_argument("--alarm", metavar="NAME", help="a catalog alarm (see `obsctl alerts list`)")
    which.add_argument(
        "--spec", type=Path, metavar="FILE", help="one alarm as JSON, PutMetricAlarm spellings"
    )
    backtest.add_argument(
        "--series",
        type=Path,
        required=True,
        metavar="FILE",
        help='JSON [{"timestamp", "value"}] (an object of such lists per metric id for metric math) or CSV '
        "with header timestamp,value; null or empty value = no data",
    )
    backtest.add_argument(
        "--plot", type=Path, metavar="PNG", help="also draw the series, threshold and states"
    )
    backtest.add_argument("--expect", choices=("normal", "incident"), help="judge the result")
    backtest.add_argument("--incident-start", metavar="TS", help="ISO-8601 UTC start of the incident")
    backtest.set_defaults(func=_backtest)

    notification = actions.add_parser(
        "notification",
        help="print the Chatbot custom notification for one alarm state change (to test a channel)",
        description=(
            "Run an EventBridge alarm state change through the notifier Lambda's formatter (the one that "
            "posts in production) and print its custom notification, e.g. to publish it by hand: "
            "aws sns publish --topic-arn ARN --message file://notification.json"
        ),
    )
    notification.add_argument("--alarm", required=True, metavar="NAME", help="catalog alarm")
    notification.add_argument("--state", choices=("ALARM", "OK", "INSUFFICIENT_DATA"), default="ALARM")
    notification.add_argument("--value", type=float, help="current value to show")
    notification.add_argument("--region", default="eu-west-1", help="region of the alarm links")
    notification.add_argument("--account-id", default="123456789012", help="account of the alarm ARN")
    notification.add_argument(
        "--name-prefix", help="prefix of the deployed alarm names (default: the project's)"
    )
    notification.add_argument("--runbook-base-url", help="base URL the runbook links start with")
    logs = notification.add_mutually_exclusive_group()
    logs.add_argument(
        "--opensearch-dashboards-url", help="OpenSearch Dashboards the logs link opens (the default)"
    )
    logs.add_argument(
        "--opensearch-search-url",
        metavar="URL",
        help="an OpenSearch node without Dashboards: the logs link is its _search?q= on the alarm's query",
    )
    notification.set_defaults(func=_notification)

    sample = actions.add_parser(
        "sample",
        help="write a metric series of the repository's deterministic samples (normal week or an incident)",
    )
    sample.add_argument("--alarm", required=True, metavar="NAME", help="catalog alarm whose metric to write")
    sample.add_argument(
        "--incident", metavar="NAME", help="5xx-burst, latency-regression, shipper-outage, throttling"
    )
    sample.add_argument("--out", type=Path, required=True, metavar="FILE", help="JSON file to write")
    sample.set_defaults(func=_sample)


def _notification(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from alerts import catalog
    from alerts.notify import LinkContext
    from notifier.config import Config
    from notifier.events import alarm_state_change
    from notifier.message import Skipped, load_routing, notification
    from obsctl.cli import CliError

    try:
        catalog.get_alarm(args.alarm)
    except KeyError:
        raise CliError(f"no alarm named {args.alarm!r}: see `obsctl alerts list`") from None
    defaults = LinkContext(region=args.region)
    config = Config(
        chat_topic_arn=f"arn:aws:sns:{args.region}:{args.account_id}:chat",  # not published to
        name_prefix=args.name_prefix or defaults.name_prefix,
        runbook_base_url=args.runbook_base_url or defaults.runbook_base_url,
        opensearch_dashboards_url=None if args.opensearch_search_url else (
            args.opensearch_dashboards_url or defaults.opensearch_dashboards_url
        ),
        opensearch_search_url=args.opensearch_search_url,
    )  # fmt: skip
    reason = "Sample notification from `obsctl alerts notification`."
    if args.value is not None:
        reason += f" Current value: {args.value:g}."
    event = alarm_state_change(
        f"{config.name_prefix}-{args.alarm}", new_state=args.state,
        old_state="OK" if args.state != "OK" else "ALARM", reason=reason, at=datetime.now(UTC),
        region=args.region, account_id=args.account_id,
    )  # fmt: skip
    message = notification(event, load_routing(), config)
    if isinstance(message, Skipped):
        raise CliError(f"{args.alarm} does not post to chat: {message.reason}")
    print(json.dumps(message, indent=2, sort_keys=True))
    return 0


def _render(args: argparse.Namespace) -> int:
    from alerts.render import render_files

    changed = []
    for relative, content in sorted(render_files().items()):
        path = args.root / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        changed.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    verb = "differs" if args.check else "written"
    for relative in changed:
        print(f"{relative}: {verb}")
    if not changed:
        print("alerts: rendered files are up to date")
    return 1 if args.check and changed else 0


def _list(args: argparse.Namespace) -> int:
    from alerts import catalog
    from alerts.model import CompositeAlarm

    rows = []
    for alarm in (*catalog.ALL_METRIC_ALARMS, *catalog.COMPOSITES):
        if isinstance(alarm, CompositeAlarm):
            condition = alarm.rule
        else:
            condition = (
                f"{alarm.comparison} {alarm.threshold:g}, "
                f"{alarm.datapoints_to_alarm}/{alarm.evaluation_periods} x {alarm.period}s, "
                f"missing={alarm.treat_missing_data}"
            )
        rows.append({"name": alarm.name, "severity": alarm.severity, "condition": condition})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            print(f"{row['name']:<36} {row['severity']:<7} {row['condition']}")
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from alerts import catalog
    from alerts.backtest import backtest, run
    from alerts.model import CompositeAlarm
    from alerts.series import InputError, load_series, load_spec, parse_timestamp
    from obsctl.cli import CliError

    try:
        if args.spec:
            alarm: Any = load_spec(args.spec)
        else:
            try:
                alarm = catalog.get_alarm(args.alarm)
            except KeyError:
                raise CliError(f"no alarm named {args.alarm!r}: see `obsctl alerts list`") from None
            if isinstance(alarm, CompositeAlarm):
                raise CliError(f"{alarm.name} is a composite alarm: backtest its children ({alarm.rule})")
        series = load_series(args.series)
        incident_start = None
        if args.expect == "incident":
            if not args.incident_start:
                raise CliError("--expect incident needs --incident-start TS")
            incident_start = parse_timestamp(args.incident_start, "--incident-start")
        document = backtest(alarm, series, expect=args.expect, incident_start=incident_start)
        if args.plot:
            from alerts.plot import plot

            result, datapoints = run(alarm, series)
            document["plot"] = str(plot(alarm, result, datapoints, args.plot))
    except (InputError, ValueError) as exc:
        raise CliError(str(exc)) from None
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _sample(args: argparse.Namespace) -> int:
    from alerts import catalog, samples
    from alerts.model import MetricAlarm
    from alerts.series import dump_series
    from obsctl.cli import CliError

    try:
        alarm = catalog.get_alarm(args.alarm)
        incident = samples.get_incident(args.incident) if args.incident else None
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None
    data = samples.incident_data(incident) if incident else samples.normal_week()
    if isinstance(alarm, MetricAlarm):
        text = dump_series(data.get(alarm.metric, []))
    elif hasattr(alarm, "metrics"):
        parts = {stat.id: json.loads(dump_series(data.get(stat.metric, []))) for stat in alarm.metrics}
        text = json.dumps(parts, indent=1) + "\n"
    else:
        raise CliError(f"{alarm.name} is a composite alarm: write samples for its children")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}" + (f" (incident starts {incident.start})" if incident else ""))
    return 0
