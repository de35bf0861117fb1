"""What every ``make demo`` step receives.

``obsctl demo`` starts the local stack once, runs its steps in order (API traffic, log shipping,
alerting, dashboards), and writes ``summary`` to ``build/demo/summary.json`` at the end. A step
adds its own keys to ``summary`` and reports progress through ``say``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from local_platform.deployment import Platform
from local_platform.names import LocalNames

__all__ = ["DemoContext", "SimClock"]


class SimClock:
    """A clock that starts at real time and can be advanced; thread-safe reads."""

    def __init__(self, start: datetime | None = None) -> None:
        from datetime import UTC

        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        from datetime import timedelta

        self._now = self._now + timedelta(seconds=seconds)
        return self._now


@dataclass
class DemoContext:
    aws_endpoint: str
    """URL of the in-process AWS emulator (moto server) on 127.0.0.1."""
    api_url: str
    """Base URL of the local SigV4 gateway, e.g. http://127.0.0.1:8080."""
    access_key: str
    secret_key: str
    names: LocalNames
    out_dir: Path
    """build/demo: steps write their artefacts under it."""
    started_at: datetime
    summary: dict[str, Any] = field(default_factory=dict)
    opensearch_url: str | None = None
    """Set by the step that starts (or finds) OpenSearch; None before it."""
    say: Callable[[str], None] = print
    request_ids: list[str] = field(default_factory=list)
    """API request ids the traffic step sent (the log step checks each is searchable)."""
    send: Callable[[str, str], tuple[int, dict[str, Any], str]] | None = None
    """``send(method, path_and_query)`` -> (status, json body, API request id): a SigV4-signed call
    through the local gateway (the whole path: auth, handler, logs, metrics). Its request id is
    appended to ``request_ids``."""
    set_s3_fault: Callable[[str | None], None] | None = None
    """Inject an S3 fault into the function's next calls: ``"error"`` (500s), ``"throttle"`` (503s),
    or None to clear. Used to stage incidents."""
    clock: SimClock | None = None
    """The local stack's clock: timestamps of log events and metric datapoints come from it, so a
    demo can play an incident over simulated minutes while the requests themselves are real."""
    platform: Platform | None = None
    """What ``terraform apply`` of infra/live created, read back from the emulator (functions'
    configuration, buckets, log groups, filters, topics, alarms)."""

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator, with the local credentials and region."""
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.aws_endpoint,
            region_name=self.names.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )
