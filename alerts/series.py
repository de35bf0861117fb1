"""Read and write backtest inputs: metric series (JSON or CSV) and one-alarm specs (JSON).

Series JSON is ``[{"timestamp": ISO-8601 UTC, "value": number | null}]`` (null: no data in that
period); for a metric-math alarm it is an object mapping each metric id to such a list. CSV has the
header ``timestamp,value`` and an empty value for a missing period. A spec is one alarm with
CloudWatch's ``PutMetricAlarm`` spellings.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.engine import Point
from alerts.model import COMPARISONS, TREAT_MISSING_DATA, MetricAlarm


class InputError(ValueError):
    """A series or spec file cannot be used; the message says where and why."""


def parse_timestamp(text: Any, where: str) -> float:
    if not isinstance(text, str):
        raise InputError(f"{where}: timestamp must be an ISO-8601 string")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{where}: cannot read timestamp {text!r} (use ISO-8601, e.g. 2026-01-01T00:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise InputError(f"{where}: timestamp {text!r} has no time zone (append Z for UTC)")
    return moment.astimezone(UTC).timestamp()


def _value(raw: Any, where: str) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise InputError(f"{where}: value must be a number or null")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InputError(f"{where}: value {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: value {raw!r} is not finite")
    return value


def _points(items: Any, where: str) -> list[Point]:
    if not isinstance(items, list):
        raise InputError(f"{where}: expected a list of {{timestamp, value}} objects")
    points: list[Point] = []
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict) or "timestamp" not in item:
            raise InputError(f"{here}: expected an object with timestamp and value")
        points.append((parse_timestamp(item["timestamp"], here), _value(item.get("value"), here)))
    return sorted(points, key=lambda p: p[0])


def load_series(path: Path) -> list[Point] | dict[str, list[Point]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read series file {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != ["timestamp", "value"]:
            raise InputError(f"{path}: CSV header must be exactly 'timestamp,value'")
        return sorted(
            (
                (
                    parse_timestamp(row["timestamp"], f"{path}:{n + 2}"),
                    _value(row["value"], f"{path}:{n + 2}"),
                )
                for n, row in enumerate(reader)
            ),
            key=lambda p: p[0],
        )
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if isinstance(document, dict):
        return {str(key): _points(items, f"{path}:{key}") for key, items in document.items()}
    return _points(document, str(path))


def dump_series(points: list[Point]) -> str:
    return (
        json.dumps(
            [
                {"timestamp": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "value": v}
                for t, v in points
            ],
            indent=1,
        )
        + "\n"
    )


_SPEC_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "namespace": str, "metric_name": str, "dimensions": dict, "statistic": str, "period": int,
    "evaluation_periods": int, "datapoints_to_alarm": int, "threshold": (int, float), "comparison": str,
    "treat_missing_data": str,
}  # fmt: skip


def load_spec(path: Path) -> MetricAlarm:
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read spec file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    return spec_alarm(spec, str(path))


def spec_alarm(spec: Any, where: str = "spec") -> MetricAlarm:
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a JSON object")
    spec = dict(spec)
    spec.setdefault("dimensions", {})
    spec.setdefault("datapoints_to_alarm", spec.get("evaluation_periods"))
    spec.setdefault("treat_missing_data", "missing")
    for key, kind in _SPEC_FIELDS.items():
        if key not in spec:
            raise InputError(f"{where}: missing field {key!r}")
        if not isinstance(spec[key], kind) or isinstance(spec[key], bool):
            raise InputError(f"{where}: field {key!r} has the wrong type")
    unknown = set(spec) - set(_SPEC_FIELDS) - {"severity", "description", "runbook", "evaluation_window"}
    if unknown:
        raise InputError(f"{where}: unknown fields {sorted(unknown)}")
    if spec["comparison"] not in COMPARISONS:
        raise InputError(f"{where}: comparison must be one of {', '.join(COMPARISONS)}")
    if spec["treat_missing_data"] not in TREAT_MISSING_DATA:
        raise InputError(f"{where}: treat_missing_data must be one of {', '.join(TREAT_MISSING_DATA)}")
    try:
        return MetricAlarm(
            name=spec["name"],
            namespace=spec["namespace"],
            metric_name=spec["metric_name"],
            dimensions=tuple(sorted((str(k), str(v)) for k, v in spec["dimensions"].items())),
            statistic=spec["statistic"],
            period=spec["period"],
            evaluation_periods=spec["evaluation_periods"],
            datapoints_to_alarm=spec["datapoints_to_alarm"],
            comparison=spec["comparison"],
            threshold=float(spec["threshold"]),
            treat_missing_data=spec["treat_missing_data"],
            severity=spec.get("severity", "ticket"),
            description=spec.get("description", "alarm from a spec file"),
            runbook=spec.get("runbook", "#spec"),
            evaluation_window=spec.get("evaluation_window", "SlidingWindow"),
        )
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
