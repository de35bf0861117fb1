"""Extension points for optional packages.

``obsctl`` is the operator's CLI against a real account and never imports the development-only
local platform (``local_platform``). That package extends the CLI instead: it declares an entry
point in the ``obsctl.plugins`` group whose ``register(sub, commands)`` adds its own commands
(``serve``, ``demo``) and actions (``opensearch start|status|stop``) and may register a finder for
the local OpenSearch node. A plugin whose package is not installed is skipped.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ENTRY_POINT_GROUP", "find_local_opensearch", "load_plugins", "register_local_opensearch"]

ENTRY_POINT_GROUP = "obsctl.plugins"

_local_opensearch_finders: list[Callable[[], str | None]] = []


def register_local_opensearch(finder: Callable[[], str | None]) -> None:
    """Register a callable that returns the URL of a local OpenSearch node, or None when none runs."""
    _local_opensearch_finders.append(finder)


def find_local_opensearch() -> str | None:
    """The URL of a local OpenSearch node a plugin knows about, or None."""
    for finder in _local_opensearch_finders:
        url = finder()
        if url:
            return url
    return None


def load_plugins(sub: Any, commands: dict[str, argparse._SubParsersAction[Any]]) -> list[str]:
    """Let every installed plugin add its commands; returns the names of the plugins loaded.

    ``commands`` maps a command name to the sub-parsers of its actions, so a plugin can add an
    action to an existing command.
    """
    loaded = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            register = entry.load()
        except ModuleNotFoundError:
            continue  # declared by the distribution but not installed with it
        register(sub, commands)
        loaded.append(entry.name)
    return loaded
