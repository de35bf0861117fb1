"""Lambda entry point of the log shipper (CloudWatch Logs subscription -> OpenSearch).

Thin on purpose: configuration is read and validated once per execution environment, the HTTP
session is module-level (reused across invocations), and the work is in ``pipeline.Shipper``.
"""

from __future__ import annotations

import os
from typing import Any

from log_pipeline.pipeline import Shipper

_SHIPPER: Shipper | None = None


def _shipper() -> Shipper:
    global _SHIPPER  # built once per execution environment
    if _SHIPPER is None:
        from log_pipeline.config import ShipperConfig

        _SHIPPER = Shipper(ShipperConfig.from_env(os.environ))
    return _SHIPPER


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _shipper().handle(event, context)
