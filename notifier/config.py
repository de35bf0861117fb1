"""The notifier's configuration, read once at cold start; a missing setting is named in the error."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

ENV_CHAT_TOPIC_ARN: Final = "CHAT_TOPIC_ARN"
ENV_NAME_PREFIX: Final = "NAME_PREFIX"
ENV_RUNBOOK_BASE_URL: Final = "RUNBOOK_BASE_URL"
ENV_OPENSEARCH_DASHBOARDS_URL: Final = "OPENSEARCH_DASHBOARDS_URL"


class ConfigError(ValueError):
    """A required setting is missing or empty."""


@dataclass(frozen=True)
class Config:
    chat_topic_arn: str
    """The SNS topic AWS Chatbot subscribes to (custom notifications only)."""
    name_prefix: str
    """Deployed alarm names are ``<name_prefix>-<catalog name>``."""
    runbook_base_url: str
    opensearch_dashboards_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        names = (ENV_CHAT_TOPIC_ARN, ENV_NAME_PREFIX, ENV_RUNBOOK_BASE_URL, ENV_OPENSEARCH_DASHBOARDS_URL)
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise ConfigError(f"notifier: missing setting(s) {', '.join(missing)}")
        return cls(*(env[name] for name in names))
