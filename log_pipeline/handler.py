"""Lambda entry point of the log shipper (CloudWatch Logs subscription -> OpenSearch).

Thin on purpose: configuration is read and validated once per execution environment, the HTTP
session is module-level (reused across invocations), and the work is in ``pipeline.Shipper``.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from log_pipeline.pipeline import Shipper

__all__ = ["handler", "shipper"]


@functools.cache
def shipper() -> Shipper:
    """The shipper of this execution environment, built once from its environment
    (``shipper.cache_clear()`` makes the next invocation read the environment again)."""
    from log_pipeline.config import ShipperConfig

    return Shipper(ShipperConfig.from_env(os.environ))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return shipper().handle(event, context)
