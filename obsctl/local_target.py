"""What ``obsctl`` assumes about a loopback endpoint: the local platform's gateway.

The local platform (``local_platform``, a development-only package) imports these settings from
here, so ``obsctl call`` and the gateway agree without ``obsctl`` importing the local platform.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_CALLER_KEY",
    "ENV_CALLER_ACCESS_KEY",
    "ENV_CALLER_SECRET_KEY",
    "LOCAL_REGION",
    "is_loopback",
    "local_caller_keys",
]

ENV_CALLER_ACCESS_KEY = "OBSCTL_ACCESS_KEY_ID"
ENV_CALLER_SECRET_KEY = "OBSCTL_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name
DEFAULT_CALLER_KEY = "testing"
LOCAL_REGION = "eu-west-1"


def local_caller_keys() -> tuple[str, str]:
    """Access key and secret of the local caller: ``testing``/``testing`` unless set in the environment."""
    return (
        os.environ.get(ENV_CALLER_ACCESS_KEY, DEFAULT_CALLER_KEY),
        os.environ.get(ENV_CALLER_SECRET_KEY, DEFAULT_CALLER_KEY),
    )


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
