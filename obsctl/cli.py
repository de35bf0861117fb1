"""``obsctl``: the one command-line tool of the platform.

Each sub-command lives in its own module under ``obsctl/commands/`` and exposes
``register(subparsers)`` (returning the sub-parsers of its actions, if it has any); heavy imports
happen inside the command, so ``obsctl --help`` is fast. Optional packages add commands through
:mod:`obsctl.plugins` (the local platform adds ``serve``, ``demo`` and ``opensearch start|status|stop``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from obsctl.plugins import load_plugins

__all__ = ["COMMAND_MODULES", "CliError", "build_parser", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "call",
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
            "Operate the observability platform: call the API with SigV4, bootstrap and search "
            "OpenSearch, ship and replay logs, render and backtest alarms, render and publish "
            "dashboards. With the development checkout (the [local] extra) it also runs the whole "
            "platform locally: serve, demo, opensearch start|status|stop."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands: dict[str, argparse._SubParsersAction[Any]] = {}
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"obsctl.commands.{name}")
        actions = module.register(sub)
        if actions is not None:
            commands[name] = actions
    load_plugins(sub, commands)
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
