"""The function's settings: one typed, immutable model, read and validated once per cold start.

Reading the environment in one place means a missing or malformed setting fails the first
invocation with a message naming it, instead of surfacing later as an S3 or HMAC error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from function.callers import AllowedCallers, CallerSettingError, parse_allowed_callers
from function.pagination import DEFAULT_LIFETIME
from function.secrets import (
    ClientSettings,
    SecretReadError,
    SecretSource,
    TokenKeys,
    create_secrets_client,
    read_token_keys,
)
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
    ENV_TOKEN_SECRET_ARN,
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
_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$"
)

SecretsClientFactory = Callable[[ClientSettings], SecretSource]
"""Creates the Secrets Manager client (tests pass a stub; the default is botocore's)."""


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


def load_config(
    environ: Mapping[str, str], *, secrets_client: SecretsClientFactory = create_secrets_client
) -> Config:
    """Build the config from an environment mapping (``os.environ`` in the handler).

    The token keys come from ``NEXT_TOKEN_SECRET`` (and ``NEXT_TOKEN_PREVIOUS_SECRET``) when set
    (the local stack, tests), otherwise from the Secrets Manager secret ``NEXT_TOKEN_SECRET_ARN``
    (AWS): one client, created only then.
    """
    region = _region(environ)
    connect_timeout = _seconds(environ, ENV_S3_CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT)
    read_timeout = _seconds(environ, ENV_S3_READ_TIMEOUT, DEFAULT_READ_TIMEOUT, MAX_READ_TIMEOUT)
    max_attempts = _attempts(environ)
    bucket_name = _bucket_name(environ)
    allowed_callers = _allowed_callers(environ)
    token_lifetime = _token_lifetime(environ)
    settings = ClientSettings(region, connect_timeout, read_timeout, max_attempts)
    token_secret, previous_secret = _token_keys(environ, settings, secrets_client)
    return Config(
        bucket_name=bucket_name,
        token_secret=token_secret,
        region=region,
        s3_connect_timeout=connect_timeout,
        s3_read_timeout=read_timeout,
        s3_max_attempts=max_attempts,
        allowed_callers=allowed_callers,
        token_lifetime=token_lifetime,
        previous_token_secret=previous_secret,
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    return lambda_env.required(environ, name)


def _bucket_name(environ: Mapping[str, str]) -> str:
    value = _required(environ, ENV_BUCKET_NAME)
    if not _BUCKET_NAME.match(value) or ".." in value:
        raise ConfigError(ENV_BUCKET_NAME, f"is not a valid S3 bucket name: {value!r}")
    return value


def _token_keys(
    environ: Mapping[str, str], settings: ClientSettings, secrets_client: SecretsClientFactory
) -> tuple[bytes, bytes | None]:
    if environ.get(ENV_TOKEN_SECRET, "").strip():
        return _key(environ[ENV_TOKEN_SECRET].strip(), ENV_TOKEN_SECRET), _previous_secret(environ)
    arn = environ.get(ENV_TOKEN_SECRET_ARN, "").strip()
    if not arn:
        raise ConfigError(ENV_TOKEN_SECRET_ARN, f"is not set (nor {ENV_TOKEN_SECRET})")
    if not _SECRET_ARN.match(arn):
        raise ConfigError(ENV_TOKEN_SECRET_ARN, f"is not a Secrets Manager secret ARN: {arn!r}")
    try:
        keys: TokenKeys = read_token_keys(secrets_client(settings), arn)
    except SecretReadError as exc:
        raise ConfigError(ENV_TOKEN_SECRET_ARN, str(exc)) from exc
    previous = None if keys.previous is None else _key(keys.previous, f"{ENV_TOKEN_SECRET_ARN} (AWSPREVIOUS)")
    return _key(keys.current, f"{ENV_TOKEN_SECRET_ARN} (AWSCURRENT)"), previous


def _key(value: str, setting: str) -> bytes:
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(setting, f"must be at least {MIN_SECRET_LENGTH} characters long")
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
    return _key(value, ENV_PREVIOUS_TOKEN_SECRET) if value else None
