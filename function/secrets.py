"""The paging-token keys from Secrets Manager, read once per cold start.

In AWS the key is not in the environment: ``NEXT_TOKEN_SECRET_ARN`` names a Secrets Manager secret
(infra/live). Rotation is Secrets Manager's own: writing a new value moves the ``AWSCURRENT``
staging label to it and ``AWSPREVIOUS`` to the old one. The function signs with ``AWSCURRENT``
(required) and still verifies tokens signed with ``AWSPREVIOUS`` (optional: a secret written once
has none) for their lifetime.

botocore directly (as for S3): one client, the same timeouts and standard retries as the S3
client, the endpoint from botocore's standard resolution (``AWS_ENDPOINT_URL_SECRETS_MANAGER``
points it at an emulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, cast

from botocore.config import Config as BotocoreConfig
from botocore.exceptions import BotoCoreError, ClientError

__all__ = [
    "CURRENT_STAGE",
    "PREVIOUS_STAGE",
    "ClientSettings",
    "SecretReadError",
    "SecretSource",
    "TokenKeys",
    "create_secrets_client",
    "read_token_keys",
]

CURRENT_STAGE = "AWSCURRENT"
PREVIOUS_STAGE = "AWSPREVIOUS"


class SecretReadError(Exception):
    """The secret could not be read; the message is safe to log (never holds a secret value)."""


class SecretSource(Protocol):
    def get_secret_value(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class TokenKeys:
    current: str
    previous: str | None

    def __repr__(self) -> str:
        return f"TokenKeys(previous={'set' if self.previous is not None else 'none'})"


@dataclass(frozen=True)
class ClientSettings:
    region: str
    connect_timeout: float
    read_timeout: float
    max_attempts: int


def create_secrets_client(settings: ClientSettings) -> SecretSource:
    import botocore.session

    client_config = BotocoreConfig(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
    )
    session = botocore.session.get_session()
    return cast(
        "SecretSource", session.create_client("secretsmanager", settings.region, config=client_config)
    )


def read_token_keys(client: SecretSource, secret_arn: str) -> TokenKeys:
    """AWSCURRENT (required) and AWSPREVIOUS (None when the secret has no previous version)."""
    current = _read(client, secret_arn, CURRENT_STAGE)
    if current is None:
        raise SecretReadError(f"has no {CURRENT_STAGE} version")
    return TokenKeys(current=current, previous=_read(client, secret_arn, PREVIOUS_STAGE))


def _read(client: SecretSource, secret_arn: str, stage: str) -> str | None:
    try:
        response = client.get_secret_value(SecretId=secret_arn, VersionStage=stage)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code == "ResourceNotFoundException" and stage != CURRENT_STAGE:
            return None
        raise SecretReadError(f"could not be read ({stage}): {code}") from exc
    except BotoCoreError as exc:
        raise SecretReadError(f"could not be read ({stage}): {type(exc).__name__}") from exc
    value = response.get("SecretString")
    if not isinstance(value, str):
        raise SecretReadError(f"{stage} version has no SecretString (a binary secret is not supported)")
    return value
