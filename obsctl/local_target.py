"""What ``obsctl`` assumes about a loopback endpoint: the local platform's gateway.

The local platform (``local_platform``, a development-only package) imports these settings from
here, so ``obsctl call`` and the gateway agree without ``obsctl`` importing the local platform.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_CALLER_KEY",
    "ENV_CALLER_ACCESS_KEY",
    "ENV_CALLER_SECRET_KEY",
    "ENV_CALLER_SESSION_TOKEN",
    "LOCAL_REGION",
    "is_loopback",
    "local_caller_keys",
    "local_region",
    "local_session_token",
]

ENV_CALLER_ACCESS_KEY = "OBSCTL_ACCESS_KEY_ID"
ENV_CALLER_SECRET_KEY = "OBSCTL_SECRET_ACCESS_KEY"  # noqa: S105 - a variable name
ENV_CALLER_SESSION_TOKEN = "OBSCTL_SESSION_TOKEN"  # noqa: S105 - a variable name
DEFAULT_CALLER_KEY = "testing"
LOCAL_REGION = "eu-west-1"
"""The local region when neither ``--region`` nor ``AWS_REGION``/``AWS_DEFAULT_REGION`` says otherwise."""
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")


def local_region(explicit: str | None = None) -> str:
    """The region of the local platform: ``explicit`` (``--region``), else ``$AWS_REGION``, else
    ``$AWS_DEFAULT_REGION``, else ``eu-west-1``. The gateway (``obsctl serve``) and ``obsctl call``
    against it both use this rule, so they agree whenever they share the environment.

    Raises ValueError for something that is not a region name (``eu-west-1``, ``us-gov-west-1``).
    """
    region = explicit or next((os.environ[v] for v in REGION_ENVS if os.environ.get(v)), LOCAL_REGION)
    if not _REGION_RE.fullmatch(region):
        source = "--region" if explicit else next(v for v in REGION_ENVS if os.environ.get(v))
        raise ValueError(f"{source} is not an AWS region name: {region!r} (for example {LOCAL_REGION})")
    return region


def local_caller_keys() -> tuple[str, str]:
    """Access key and secret of the local caller: ``testing``/``testing`` unless set in the environment."""
    return (
        os.environ.get(ENV_CALLER_ACCESS_KEY, DEFAULT_CALLER_KEY),
        os.environ.get(ENV_CALLER_SECRET_KEY, DEFAULT_CALLER_KEY),
    )


def local_session_token() -> str | None:
    """The local caller's session token, if it plays temporary credentials (``$OBSCTL_SESSION_TOKEN``).

    With a token the gateway accepts the local key only with that token, signed, as AWS accepts
    STS credentials; without one the key is long-term and any token is refused.
    """
    return os.environ.get(ENV_CALLER_SESSION_TOKEN) or None


def is_loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
