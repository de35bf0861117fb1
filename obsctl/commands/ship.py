"""obsctl ship (placeholder: registered so the CLI lists it; implemented by its issue)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("ship", help="(not implemented yet)")
    parser.set_defaults(func=lambda _args: 1)
