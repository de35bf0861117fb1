"""The shipper's settings, read once from the environment and validated at cold start.

An explicit ``ShipperConfig`` beats the environment: tests, the CLI and the demo build one directly;
only the Lambda handler calls ``ShipperConfig.from_env``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from signals import config as env_names

AuthMode = Literal["aoss", "es", "none"]
AUTH_MODES: tuple[AuthMode, ...] = ("aoss", "es", "none")

DEFAULT_BULK_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_BULK_MAX_DOCS = 5_000
DEFAULT_DEAD_LETTER_PREFIX = "dead-letters/"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class ShipperConfig:
    endpoint: str
    """OpenSearch base URL (collection endpoint, domain endpoint or local node)."""
    auth: AuthMode = "none"
    region: str | None = None
    dead_letter_bucket: str | None = None
    dead_letter_kms_key: str | None = None
    dead_letter_prefix: str = DEFAULT_DEAD_LETTER_PREFIX
    bulk_max_bytes: int = DEFAULT_BULK_MAX_BYTES
    bulk_max_docs: int = DEFAULT_BULK_MAX_DOCS
    ship_emf: bool = False
    use_document_id: bool = False
    """Send the CloudWatch event id as ``_id`` (plain OpenSearch or a SEARCH collection only)."""
    max_request_timeout_s: float = 30.0
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 5.0

    def __post_init__(self) -> None:
        if not self.endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"{env_names.ENV_OPENSEARCH_ENDPOINT} must be an http(s) URL, got {self.endpoint!r}"
            )
        if self.auth not in AUTH_MODES:
            raise ConfigError(
                f"{env_names.ENV_OPENSEARCH_AUTH} must be one of {AUTH_MODES}, got {self.auth!r}"
            )
        if self.auth != "none" and self.endpoint.startswith("http://"):
            raise ConfigError(
                f"{env_names.ENV_OPENSEARCH_ENDPOINT} must be an https:// URL with "
                f"{env_names.ENV_OPENSEARCH_AUTH}={self.auth} (SigV4-signed traffic must be encrypted); "
                f"http:// is only allowed with {env_names.ENV_OPENSEARCH_AUTH}=none, got {self.endpoint!r}"
            )
        if self.auth != "none" and not self.region:
            raise ConfigError(f"{env_names.ENV_AWS_REGION} is required for SigV4 ({self.auth})")
        if self.bulk_max_bytes < 1024:
            raise ConfigError(f"{env_names.ENV_BULK_MAX_BYTES} must be at least 1024")
        if self.bulk_max_docs < 1:
            raise ConfigError(f"{env_names.ENV_BULK_MAX_DOCS} must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShipperConfig:
        """Build from environment variables; raise ConfigError naming the bad or missing one."""
        endpoint = env.get(env_names.ENV_OPENSEARCH_ENDPOINT, "").strip()
        if not endpoint:
            raise ConfigError(f"{env_names.ENV_OPENSEARCH_ENDPOINT} is not set")
        if "://" not in endpoint:
            endpoint = "https://" + endpoint  # AOSS and domain endpoints are usually given bare
        auth = env.get(env_names.ENV_OPENSEARCH_AUTH, "aoss").strip().lower()
        if auth not in AUTH_MODES:
            raise ConfigError(f"{env_names.ENV_OPENSEARCH_AUTH} must be one of {AUTH_MODES}, got {auth!r}")
        return cls(
            endpoint=endpoint.rstrip("/"),
            auth=auth,
            region=env.get(env_names.ENV_AWS_REGION) or None,
            dead_letter_bucket=env.get(env_names.ENV_DEAD_LETTER_BUCKET) or None,
            dead_letter_kms_key=env.get(env_names.ENV_DEAD_LETTER_KMS_KEY) or None,
            dead_letter_prefix=env.get(env_names.ENV_DEAD_LETTER_PREFIX) or DEFAULT_DEAD_LETTER_PREFIX,
            bulk_max_bytes=_int(env, env_names.ENV_BULK_MAX_BYTES, DEFAULT_BULK_MAX_BYTES),
            bulk_max_docs=_int(env, env_names.ENV_BULK_MAX_DOCS, DEFAULT_BULK_MAX_DOCS),
            ship_emf=_bool(env, env_names.ENV_SHIP_EMF, False),
            use_document_id=_bool(env, env_names.ENV_USE_DOCUMENT_ID, False),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")
