"""Deterministic sample traffic for the noise budget: a normal week and four staged incidents.

The generator draws per-minute figures from a seeded ``random.Random`` with a daily cycle (busy
afternoons, quiet nights), a small background of 5xx answers, log-normal latencies and a healthy log
pipeline. Each incident is the same traffic with one fault applied for a while; ``expected`` lists
the alarms that may fire because of it (the intended one plus its designed consequences: SLO windows,
the incident composite, info alarms). Everything else must stay quiet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from alerts import catalog
from alerts.engine import Point
from alerts.model import MetricRef
from signals import metrics as M

START = 1_767_225_600
"""2026-01-01T00:00:00Z: a fixed start keeps every sample reproducible."""
MINUTE = 60

FUNCTION_INVOCATIONS = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_INVOCATIONS, catalog.FUNCTION_DIMS)
FUNCTION_ERRORS = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ERRORS, catalog.FUNCTION_DIMS)
FUNCTION_THROTTLES = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_THROTTLES, catalog.FUNCTION_DIMS)
FUNCTION_DURATION = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_DURATION, catalog.FUNCTION_DIMS)
SHIPPER_INVOCATIONS = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_INVOCATIONS, catalog.SHIPPER_DIMS)
SHIPPER_ERRORS = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ERRORS, catalog.SHIPPER_DIMS)
SHIPPER_AGE = MetricRef(M.LAMBDA_NAMESPACE, M.LAMBDA_ASYNC_AGE, catalog.SHIPPER_DIMS)
SHIPPER_INDEXED = MetricRef(M.NAMESPACE, M.SHIPPER_DOCS_INDEXED, catalog.SHIPPER_SERVICE_DIMS)
APP_ERROR_LINES = MetricRef(M.LOG_METRIC_NAMESPACE, M.LOGMETRIC_APP_ERRORS, ())


@dataclass
class Minute:
    """What happened in one minute; faults edit it before it becomes datapoints."""

    requests: int
    errors_5xx: int
    latencies_ms: list[float]
    throttles: int = 0
    shipper_failing: bool = False
    shipper_age_ms: float = 500.0


Fault = Callable[[int, Minute, random.Random], None]
"""(minute index since the fault started, the minute, rng) -> edits the minute in place."""


@dataclass(frozen=True)
class Incident:
    name: str
    intended: str
    """The alarm that must catch it within its documented detection time."""
    expected: frozenset[str]
    """Alarms allowed to fire (intended, its incident composite, SLO windows, info alarms)."""
    start_minute: int
    duration_minutes: int
    fault: Fault = field(compare=False)

    @property
    def start(self) -> int:
        return START + self.start_minute * MINUTE


def _traffic(minute: int, rng: random.Random) -> Minute:
    hour = (minute / 60.0) % 24
    rate = 14 + 10 * math.sin((hour - 9) / 24 * 2 * math.pi)  # 4..24 requests per minute
    requests = max(0, round(rng.gauss(rate, math.sqrt(rate))))
    errors = sum(rng.random() < 0.0002 for _ in range(requests))
    samples = min(requests, 8)
    latencies = [rng.lognormvariate(math.log(80), 0.45) for _ in range(samples)]
    return Minute(requests, errors, latencies, shipper_age_ms=rng.uniform(200, 3000))


def generate(minutes: int, seed: int, incident: Incident | None = None) -> dict[MetricRef, list[Point]]:
    """Raw points per metric, keyed the way the catalog's alarms name them."""
    rng = random.Random(seed)
    data: dict[MetricRef, list[Point]] = {}

    def add(metric: MetricRef, t: int, value: float) -> None:
        data.setdefault(metric, []).append((float(t), value))

    for index in range(minutes):
        t = START + index * MINUTE
        minute = _traffic(index, rng)
        if incident and incident.start_minute <= index < incident.start_minute + incident.duration_minutes:
            incident.fault(index - incident.start_minute, minute, rng)
        served = minute.requests
        add(catalog.API_REQUESTS, t, served)
        add(catalog.API_5XX, t, minute.errors_5xx)
        add(FUNCTION_INVOCATIONS, t, served - minute.throttles)
        add(FUNCTION_ERRORS, t, 0)
        add(FUNCTION_THROTTLES, t, minute.throttles)
        for offset, latency in enumerate(minute.latencies_ms):
            add(catalog.API_LATENCY, t + offset, latency)
            add(FUNCTION_DURATION, t + offset, max(1.0, latency - 12))
        if minute.errors_5xx:
            add(APP_ERROR_LINES, t, minute.errors_5xx)
        shipper_calls = max(1, served // 5)
        add(SHIPPER_INVOCATIONS, t, shipper_calls)
        add(SHIPPER_ERRORS, t, shipper_calls if minute.shipper_failing else 0)
        add(SHIPPER_AGE, t, minute.shipper_age_ms)
        if not minute.shipper_failing:
            add(SHIPPER_INDEXED, t, served * 3)
    return data


# --- Faults ------------------------------------------------------------------------------------
def _burst_5xx(_: int, minute: Minute, rng: random.Random) -> None:
    minute.errors_5xx = sum(rng.random() < 0.3 for _ in range(minute.requests))


def _slow(_: int, minute: Minute, rng: random.Random) -> None:
    minute.latencies_ms = [rng.lognormvariate(math.log(1500), 0.3) for _ in minute.latencies_ms]


def _shipper_down(elapsed: int, minute: Minute, rng: random.Random) -> None:
    minute.shipper_failing = True
    minute.shipper_age_ms = (elapsed + 1) * 60_000 + rng.uniform(0, 5000)


def _throttled(_: int, minute: Minute, rng: random.Random) -> None:
    minute.requests = max(minute.requests, 30)
    minute.throttles = 1
    minute.errors_5xx = 1  # HTTP APIs answer a throttled Lambda integration with a 5xx


_SLO_AVAILABILITY = {a.name for a in catalog.SLO_ALARMS if a.name.startswith("api-availability")} | {
    c.name for c in catalog.SLO_COMPOSITES if c.name.startswith("api-availability")
}
_SLO_LATENCY = {a.name for a in catalog.SLO_ALARMS if a.name.startswith("api-latency-")} | {
    c.name for c in catalog.SLO_COMPOSITES if c.name.startswith("api-latency-")
}

INCIDENTS: tuple[Incident, ...] = (
    Incident(
        "5xx-burst", "api-5xx-rate",
        frozenset({"api-5xx-rate", catalog.API_INCIDENT, "function-error-lines", *_SLO_AVAILABILITY}),
        start_minute=150, duration_minutes=20, fault=_burst_5xx,
    ),
    Incident(
        "latency-regression", "api-latency-p99",
        frozenset({"api-latency-p99", catalog.API_INCIDENT, *_SLO_LATENCY}),
        start_minute=150, duration_minutes=40, fault=_slow,
    ),
    Incident(
        "shipper-outage", "shipper-errors",
        frozenset({"shipper-errors", "shipper-async-event-age", catalog.PIPELINE_INCIDENT}),
        start_minute=150, duration_minutes=30, fault=_shipper_down,
    ),
    Incident(
        "throttling", "function-throttles",
        frozenset({"function-throttles", catalog.API_INCIDENT, *_SLO_AVAILABILITY}),
        start_minute=150, duration_minutes=30, fault=_throttled,
    ),
)  # fmt: skip
INCIDENT_MINUTES = 6 * 60
WEEK_MINUTES = 7 * 24 * 60


def normal_week(seed: int = 7) -> dict[MetricRef, list[Point]]:
    return generate(WEEK_MINUTES, seed)


def incident_data(incident: Incident, seed: int = 11) -> dict[MetricRef, list[Point]]:
    return generate(INCIDENT_MINUTES, seed, incident)


def get_incident(name: str) -> Incident:
    for incident in INCIDENTS:
        if incident.name == name:
            return incident
    raise KeyError(f"no sample incident {name!r}; known: {', '.join(i.name for i in INCIDENTS)}")
