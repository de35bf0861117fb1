"""Files rendered from ``signals`` for Terraform, which cannot import Python."""

from __future__ import annotations

import json

from signals.logs import ACCESS_LOG_FORMAT

__all__ = ["ACCESS_LOG_FORMAT_PATH", "render_files"]

ACCESS_LOG_FORMAT_PATH = "infra/modules/http_api/access_log_format.json"


def render_files() -> dict[str, str]:
    return {ACCESS_LOG_FORMAT_PATH: json.dumps(ACCESS_LOG_FORMAT, indent=2, sort_keys=True) + "\n"}
