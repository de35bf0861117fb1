"""obsctl demo: the whole platform locally, end to end (what `make demo` runs)."""

from __future__ import annotations

import argparse
from typing import Any

from local_platform.commands import require_local_extra

__all__ = ["STEP_NAMES", "register", "run"]

STEP_NAMES = ("traffic", "logs", "alerts", "dashboards")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run the platform locally end to end and write build/demo/summary.json",
        description=(
            "Start the local stack (an empty AWS emulator that `terraform apply` of infra/live fills, "
            "about 90 s; the function as Terraform configured it), send scripted API traffic (paging, "
            "bad parameters, unsigned, tampered and wrong-region requests), ship the logs into a real "
            "local OpenSearch, stage an incident and deliver the alarms Terraform created as Chatbot "
            "notifications to a local webhook, render the dashboards (publishing them when GRAFANA_URL "
            "and GRAFANA_TOKEN are set), then stop everything. Exit status 0 when every check held."
        ),
    )
    parser.add_argument("--out", default="build/demo", help="output folder (default build/demo)")
    parser.add_argument(
        "--only",
        action="append",
        choices=STEP_NAMES,
        help="run only this step (repeatable; traffic is needed by the others)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the local stack and OpenSearch running at the end, until Ctrl-C, "
        "so the printed `obsctl logs` commands work (make demo-keep)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require_local_extra("demo")
    from local_platform.demo.run import main

    return main(args.out, set(args.only) if args.only else None, keep=args.keep)
