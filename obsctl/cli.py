"""``obsctl``: the one command-line tool of the platform.

Each sub-command lives in its own module under ``obsctl/commands/`` and exposes
``register(subparsers)``; heavy imports happen inside the command, so ``obsctl --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "serve",
    "call",
    "demo",
    "opensearch",
    "logs",
    "ship",
    "alerts",
    "dashboards",
)


class CliError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="obsctl",
        description=(
            "Drive the observability platform locally and against AWS: run the local stack, call the "
            "API with SigV4, run a local OpenSearch, ship logs and search them, render and backtest alarms, "
            "render and publish dashboards."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"obsctl.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except CliError as exc:
        print(f"obsctl: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
