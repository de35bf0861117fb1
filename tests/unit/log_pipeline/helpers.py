"""Small builders shared by the shipper's tests (imported by file path via conftest's directory)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from log_pipeline.subscription import Payload

BASE_TS = 1_764_236_400_000  # 2025-11-27T09:40:00Z


def powertools_line(i: int, request_id: str, trace_id: str, **extra: Any) -> str:
    return json.dumps(
        {
            "level": "INFO",
            "location": "app:42",
            "message": f"listing objects #{i}",
            "timestamp": "2025-11-27 09:40:00,000+0000",
            "service": "objects-api",
            "cold_start": i == 0,
            "function_name": "obs-platform-objects-api",
            "function_memory_size": "256",
            "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:obs-platform-objects-api",
            "function_request_id": request_id,
            "correlation_id": f"api-{i}",
            "xray_trace_id": trace_id,
            "prefix": "reports/",
            **extra,
        }
    )


def make_payload(count: int, *, group: str = "/aws/lambda/obs-platform-objects-api", pad: int = 0) -> Payload:
    """A realistic mix: Powertools lines, START/END/REPORT, plain text; ``pad`` extra bytes each."""
    events: list[Any] = []
    for i in range(count):
        request_id = f"00000000-0000-4000-8000-{i:012d}"
        trace_id = f"1-6746f0a1-{i:024x}"
        kind = i % 4
        if kind == 0:
            message = f"START RequestId: {request_id} Version: $LATEST\n"
        elif kind == 1:
            message = powertools_line(i, request_id, trace_id, padding="x" * pad)
        elif kind == 2:
            message = f"plain text line {i} " + "y" * pad
        else:
            message = (
                f"REPORT RequestId: {request_id}\tDuration: {i + 0.5} ms\tBilled Duration: {i + 1} ms\t"
                "Memory Size: 256 MB\tMax Memory Used: 70 MB\t\n"
            )
        events.append({"id": f"{38_000_000 + i:056d}", "timestamp": BASE_TS + i, "message": message})
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": "2025/11/27/[$LATEST]0123456789abcdef0123456789abcdef",
        "subscriptionFilters": ["obs-platform-to-opensearch"],
        "logEvents": events,
    }


@dataclass
class FakeContext:
    remaining_ms: int = 30_000
    aws_request_id: str = "11111111-2222-4333-8444-555555555555"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.remaining_ms - (time.monotonic() - self.started) * 1000))


@dataclass
class FakeTime:
    """A monotonic clock whose sleeps advance it instantly (backoff without waiting)."""

    offset: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


def dead_letter_records(s3: Any, bucket: str) -> list[dict[str, Any]]:
    records = []
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        records.append(json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()))
    return records
