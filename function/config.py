"""The function's settings: one typed, immutable model, read and validated once per cold start.

Reading the environment in one place means a missing or malformed setting fails the first
invocation with a message naming it, instead of surfacing later as an S3 or HMAC error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from function.callers import AllowedCallers, CallerSettingError, parse_allowed_callers
from function.pagination import DEFAULT_LIFETIME
from signals import lambda_env
from signals.config import (
    ENV_ALLOWED_CALLERS,
    ENV_AWS_DEFAULT_REGION,
    ENV_AWS_REGION,
    ENV_BUCKET_NAME,
    ENV_PREVIOUS_TOKEN_SECRET,
    ENV_S3_CONNECT_TIMEOUT,
    ENV_S3_MAX_ATTEMPTS,
    ENV_S3_READ_TIMEOUT,
    ENV_TOKEN_LIFETIME,
    ENV_TOKEN_SECRET,
)
from signals.lambda_env import ConfigError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_READ_TIMEOUT",
    "MAX_ATTEMPTS_LIMIT",
    "MAX_CONNECT_TIMEOUT",
    "MAX_READ_TIMEOUT",
    "MIN_SECRET_LENGTH",
    "Config",
    "ConfigError",
    "load_config",
]

MIN_SECRET_LENGTH = 32
"""HMAC-SHA256 keys shorter than the hash output weaken the token signature."""

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_MAX_ATTEMPTS = 3
MAX_CONNECT_TIMEOUT = 30.0
MAX_READ_TIMEOUT = 60.0
MAX_ATTEMPTS_LIMIT = 10
DEFAULT_TOKEN_LIFETIME = DEFAULT_LIFETIME
"""How long a ``next_token`` is honoured after it was issued (seconds)."""
MAX_TOKEN_LIFETIME = 7 * 24 * 3600

# S3 bucket naming rules (general purpose buckets): 3-63 chars, lowercase letters, digits, dots, hyphens.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d$")


@dataclass(frozen=True)
class Config:
    bucket_name: str
    token_secret: bytes
    region: str
    allowed_callers: AllowedCallers = field(default_factory=AllowedCallers)
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    previous_token_secret: bytes | None = None
    s3_connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    s3_read_timeout: float = DEFAULT_READ_TIMEOUT
    s3_max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __repr__(self) -> str:
        # Keep the secret out of logs and tracebacks.
        return (
            f"Config(bucket_name={self.bucket_name!r}, region={self.region!r}, "
            f"s3_connect_timeout={self.s3_connect_timeout}, s3_read_timeout={self.s3_read_timeout}, "
            f"s3_max_attempts={self.s3_max_attempts}, allowed_callers={len(self.allowed_callers)}, "
            f"token_lifetime={self.token_lifetime})"
        )


def load_config(environ: Mapping[str, str]) -> Config:
    """Build the config from an environment mapping (``os.environ`` in the handler)."""
    return Config(
        bucket_name=_bucket_name(environ),
        token_secret=_secret(environ),
        region=_region(environ),
        s3_connect_timeout=_seconds(
            environ, ENV_S3_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT
        ),
        s3_read_timeout=_seconds(environ, ENV_S3_READ_TIMEOUT, DEFAULT_READ_TIMEOUT, MAX_READ_TIMEOUT),
        s3_max_attempts=_attempts(environ),
        allowed_callers=_allowed_callers(environ),
        token_lifetime=_token_lifetime(environ),
        previous_token_secret=_previous_secret(environ),
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    return lambda_env.required(environ, name)


def _bucket_name(environ: Mapping[str, str]) -> str:
    value = _required(environ, ENV_BUCKET_NAME)
    if not _BUCKET_NAME.match(value) or ".." in value:
        raise ConfigError(ENV_BUCKET_NAME, f"is not a valid S3 bucket name: {value!r}")
    return value


def _secret(environ: Mapping[str, str]) -> bytes:
    value = _required(environ, ENV_TOKEN_SECRET)
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(ENV_TOKEN_SECRET, f"must be at least {MIN_SECRET_LENGTH} characters long")
    return value.encode("utf-8")


def _region(environ: Mapping[str, str]) -> str:
    # The Lambda runtime sets both; AWS_REGION wins as in the AWS SDKs.
    value = environ.get(ENV_AWS_REGION, "").strip() or environ.get(ENV_AWS_DEFAULT_REGION, "").strip()
    if not value:
        raise ConfigError(ENV_AWS_REGION, "is not set")
    if not _REGION.match(value):
        raise ConfigError(ENV_AWS_REGION, f"is not a valid AWS region: {value!r}")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    return lambda_env.seconds(environ, name, default, maximum)


def _attempts(environ: Mapping[str, str]) -> int:
    return lambda_env.integer(environ, ENV_S3_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS_LIMIT)


def _allowed_callers(environ: Mapping[str, str]) -> AllowedCallers:
    # Unset or empty admits nobody: callers are opted in, never out.
    try:
        return parse_allowed_callers(environ.get(ENV_ALLOWED_CALLERS, ""))
    except CallerSettingError as exc:
        raise ConfigError(ENV_ALLOWED_CALLERS, str(exc)) from exc


def _token_lifetime(environ: Mapping[str, str]) -> int:
    return lambda_env.integer(environ, ENV_TOKEN_LIFETIME, DEFAULT_TOKEN_LIFETIME, 60, MAX_TOKEN_LIFETIME)


def _previous_secret(environ: Mapping[str, str]) -> bytes | None:
    # During a rotation, tokens signed with the previous secret stay valid for their lifetime.
    value = environ.get(ENV_PREVIOUS_TOKEN_SECRET, "").strip()
    if not value:
        return None
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(ENV_PREVIOUS_TOKEN_SECRET, f"must be at least {MIN_SECRET_LENGTH} characters long")
    return value.encode("utf-8")
