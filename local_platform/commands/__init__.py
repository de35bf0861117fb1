"""The local platform's commands, added to ``obsctl`` through the ``obsctl.plugins`` entry point."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from obsctl.cli import CliError
from obsctl.plugins import register_local_opensearch

__all__ = ["LOCAL_EXTRA_MODULES", "register", "require_local_extra"]

LOCAL_EXTRA_MODULES = ("moto", "aws_lambda_powertools")
"""What the ``[local]`` extra installs that ``serve`` and ``demo`` import (``pip install .`` lacks them)."""


def require_local_extra(command: str) -> None:
    """Fail with what to install, before anything starts, when the ``[local]`` extra is missing."""
    missing = [name for name in LOCAL_EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise CliError(
            f"obsctl {command} needs the local platform's extra (missing: {', '.join(missing)}): "
            "pip install 'obs-platform[local]' (from a checkout: make setup-local)"
        )


def _running_node_url() -> str | None:
    from local_platform import opensearch

    handle = opensearch.find_running_node()
    return handle.url if handle is not None else None


def register(sub: Any, commands: dict[str, argparse._SubParsersAction[Any]]) -> None:
    """Add ``serve``, ``demo`` and ``opensearch start|status|stop``; find the node ``start`` left running."""
    from local_platform.commands import demo, opensearch_node, serve

    serve.register(sub)
    demo.register(sub)
    if "opensearch" in commands:
        opensearch_node.register_actions(commands["opensearch"])
    register_local_opensearch(_running_node_url)
