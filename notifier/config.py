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
ENV_OPENSEARCH_SEARCH_URL: Final = "OPENSEARCH_SEARCH_URL"


class ConfigError(ValueError):
    """A required setting is missing or empty."""


@dataclass(frozen=True)
class Config:
    chat_topic_arn: str
    """The SNS topic AWS Chatbot subscribes to (custom notifications only)."""
    name_prefix: str
    """Deployed alarm names are ``<name_prefix>-<catalog name>``."""
    runbook_base_url: str
    opensearch_dashboards_url: str | None = None
    """OpenSearch Dashboards (AWS): the logs link opens Discover on the alarm's query."""
    opensearch_search_url: str | None = None
    """A plain OpenSearch node with no Dashboards in front (the local demo): the logs link is the
    node's own URI search (``<node>/<index pattern>/_search?q=``), which answers there. When both
    are set, this one makes the logs links."""

    def __post_init__(self) -> None:
        if not self.opensearch_dashboards_url and not self.opensearch_search_url:
            raise ConfigError(
                f"notifier: set {ENV_OPENSEARCH_DASHBOARDS_URL} (OpenSearch Dashboards) or "
                f"{ENV_OPENSEARCH_SEARCH_URL} (an OpenSearch node's URL) for the logs links"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        names = (ENV_CHAT_TOPIC_ARN, ENV_NAME_PREFIX, ENV_RUNBOOK_BASE_URL)
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise ConfigError(f"notifier: missing setting(s) {', '.join(missing)}")
        return cls(
            chat_topic_arn=env[ENV_CHAT_TOPIC_ARN],
            name_prefix=env[ENV_NAME_PREFIX],
            runbook_base_url=env[ENV_RUNBOOK_BASE_URL],
            opensearch_dashboards_url=env.get(ENV_OPENSEARCH_DASHBOARDS_URL) or None,
            opensearch_search_url=env.get(ENV_OPENSEARCH_SEARCH_URL) or None,
        )
