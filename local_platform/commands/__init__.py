"""The local platform's commands, added to ``obsctl`` through the ``obsctl.plugins`` entry point."""

from __future__ import annotations

import argparse
from typing import Any

from obsctl.plugins import register_local_opensearch

__all__ = ["register"]


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
