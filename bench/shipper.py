"""Shipper throughput and memory, against a naive baseline measured in the same run.

Batches are generated like the function's real log streams (per request: START, Powertools JSON
lines, a plain-text line, END, REPORT): 1,000 events; 2,325 events filling one PutLogEvents batch
to just under 1 MiB; 10,000 events within 1 MiB (short lines: 10,000 events of the other shapes
are about 2 MB, more than CloudWatch sends in one batch, and the shipper dead-letters what exceeds
its limits). Both contenders get the same Lambda event (gzip+base64) and post
to the same local ``_bulk`` sink, a separate process answering every item with 201 like OpenSearch.

The baseline is a line-by-line Python port of the console-generated ``LogsToElasticsearch``
function (the issue's public reference): stdlib ``json``, ``requests.post`` without a session, one
bulk request for the whole batch, no retries, and its habit of validating each message's JSON
before parsing it again. Peak RSS is measured in a fresh interpreter (its own ``VmHWM``) that only
imports the shipper and handles the 10,000-event batch. The real local OpenSearch node is measured
too (templates applied, 10,000 events). The two contenders' timed runs alternate (best of REPEATS
each), so a disturbance on the shared build machine hits both rather than one.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BATCH_SIZES = (1_000, 2_325, 10_000)
FULL_BATCH_EVENTS = 2_325
MAX_BATCH_BYTES = 1_048_576
MAX_BATCH_EVENTS = 10_000
REPEATS = 15
TARGET_RATIO = 2.0
"""Issue 10: at least 2x the console's LogsToElasticsearch on the 1 MiB and 10,000-event batches."""
TARGET_RSS_MB = 128.0
REPO_ROOT = Path(__file__).resolve().parents[1]
BASE_TS = 1_764_236_400_000

# ---------------------------------------------------------------- realistic events


def _messages(count: int, pad: int) -> list[str]:
    """``count`` messages in the shape of the function's log stream; ``pad`` bytes of detail each."""
    out: list[str] = []
    i = 0
    while len(out) < count:
        rid = f"6f1c3c9e-2b7a-4f0e-9d6a-{i:012d}"
        trace = f"1-6746f0a1-{i:024x}"
        base = {
            "level": "INFO",
            "location": "list_objects:87",
            "timestamp": "2025-11-27 09:40:00,123+0000",
            "service": "objects-api",
            "cold_start": i == 0,
            "function_name": "obs-platform-objects-api",
            "function_memory_size": "256",
            "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:obs-platform-objects-api",
            "function_request_id": rid,
            "correlation_id": f"Cq3xYjQ8oAME{i:04d}=",
            "xray_trace_id": trace,
        }
        request = [
            f"START RequestId: {rid} Version: $LATEST\n",
            json.dumps(
                {
                    **base,
                    "message": "listing objects",
                    "prefix": "reports/",
                    "limit": 25,
                    "caller_arn": "arn:aws:iam::123456789012:user/dev",
                    "detail": "d" * pad,
                }
            ),
            json.dumps(
                {
                    **base,
                    "message": "request served",
                    "route": "GET /objects",
                    "status": 200,
                    "objects": 25,
                    "detail": "d" * pad,
                }
            ),
            f"processing page {i} of reports/ " + "t" * pad + "\n",
            f"END RequestId: {rid}\n",
            f"REPORT RequestId: {rid}\tDuration: {20 + i % 50}.27 ms\tBilled Duration: {21 + i % 50} ms\t"
            f"Memory Size: 256 MB\tMax Memory Used: {60 + i % 20} MB\t\n",
        ]
        out.extend(request)
        i += 1
    return out[:count]


def make_payload(count: int, pad: int = 120) -> dict[str, Any]:
    events = [
        {"id": f"{38_000_000_000 + n:056d}", "timestamp": BASE_TS + n, "message": message}
        for n, message in enumerate(_messages(count, pad))
    ]
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/obs-platform-objects-api",
        "logStream": "2025/11/27/[$LATEST]0123456789abcdef0123456789abcdef",
        "subscriptionFilters": ["obs-platform-to-opensearch"],
        "logEvents": events,
    }


def batch_bytes(payload: dict[str, Any]) -> int:
    return sum(len(e["message"].encode()) + 26 for e in payload["logEvents"])


def full_batch() -> dict[str, Any]:
    """2,325 events padded to the largest size that still fits one 1 MiB PutLogEvents batch."""
    low, high = 0, 2000
    while low < high:
        middle = (low + high + 1) // 2
        if batch_bytes(make_payload(FULL_BATCH_EVENTS, middle)) <= MAX_BATCH_BYTES:
            low = middle
        else:
            high = middle - 1
    return make_payload(FULL_BATCH_EVENTS, low)


def max_events_batch() -> dict[str, Any]:
    """10,000 events within 1 MiB, as CloudWatch can send them (10,000 events of the shapes above
    are about 2 MB: more than one PutLogEvents batch holds). Per request: START, a short Powertools
    line, two short text lines, END, REPORT: about 57 bytes an event."""
    messages: list[str] = []
    i = 0
    while len(messages) < MAX_BATCH_EVENTS:
        rid = f"6f1c3c9e-2b7a-4f0e-9d6a-{i:012d}"
        messages += [
            f"START RequestId: {rid} Version: $LATEST\n",
            json.dumps({"level": "INFO", "message": "served", "function_request_id": rid}),
            f"page {i} ok",
            f"page {i + 1} ok",
            f"END RequestId: {rid}\n",
            f"REPORT RequestId: {rid}\tDuration: {20 + i % 50}.27 ms\tBilled Duration: {21 + i % 50} ms\t"
            f"Memory Size: 256 MB\tMax Memory Used: {60 + i % 20} MB\t\n",
        ]
        i += 1
    payload = make_payload(0)
    payload["logEvents"] = [
        {"id": f"{38_000_000_000 + n:056d}", "timestamp": BASE_TS + n, "message": message}
        for n, message in enumerate(messages[:MAX_BATCH_EVENTS])
    ]
    assert batch_bytes(payload) <= MAX_BATCH_BYTES
    return payload


def batch_of(size: int) -> dict[str, Any]:
    """The payload measured for ``size`` events (each one CloudWatch could send)."""
    if size == FULL_BATCH_EVENTS:
        return full_batch()
    if size == MAX_BATCH_EVENTS:
        return max_events_batch()
    return make_payload(size)


def lambda_event(payload: dict[str, Any]) -> dict[str, Any]:
    data = base64.b64encode(gzip.compress(json.dumps(payload).encode(), compresslevel=6)).decode()
    return {"awslogs": {"data": data}}


# ---------------------------------------------------------------- the bulk sink (own process)

_SINK = textwrap.dedent(
    """
    import json
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    ITEM = b'{"index":{"_index":"logs","_id":"x","_version":1,"result":"created","status":201}}'
    RECEIVED = {}  # request path -> documents received (GET /_received)
    LOCK = threading.Lock()

    class Sink(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            with LOCK:
                out = json.dumps(RECEIVED).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            n = body.count(b"\\n") // 2
            with LOCK:
                RECEIVED[self.path] = RECEIVED.get(self.path, 0) + n
            out = b'{"took":1,"errors":false,"items":[' + b",".join([ITEM] * n) + b"]}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """
)


SHIPPER_PATH = "/shipper"
"""The shipper's endpoint on the sink (it posts to ``/shipper/_bulk``, the baseline to ``/_bulk``),
so the sink counts the documents each contender sent."""


def sink_received(sink: str, path: str = SHIPPER_PATH + "/_bulk") -> int:
    """How many documents the sink has received on ``path`` so far."""
    import urllib.request

    with urllib.request.urlopen(f"{sink}/_received", timeout=10) as response:
        counts: dict[str, int] = json.loads(response.read())
    return counts.get(path, 0)


@contextmanager
def bulk_sink() -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-c", _SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------- contenders


def _extract_json(message: str) -> str | None:
    """LogsToElasticsearch's extractJson: the text from the first '{', if it parses."""
    start = message.find("{")
    if start < 0:
        return None
    candidate = message[start:]
    try:
        json.loads(candidate)  # isValidJson
    except ValueError:
        return None
    return candidate


def naive_baseline(event: dict[str, Any], endpoint: str) -> int:
    """A line-by-line Python port of the console's LogsToElasticsearch transform and post.

    stdlib json, ``requests.post`` without a session, the whole batch as one bulk body, no retries;
    like the original it validates a message's JSON once and parses it again to build the source.
    Returns the number of failed items, as the original counts them.
    """
    import datetime

    import requests

    payload = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])).decode("utf-8"))
    body = ""
    for log_event in payload["logEvents"]:
        moment = datetime.datetime.fromtimestamp(log_event["timestamp"] / 1000, tz=datetime.UTC)
        index_name = f"cwl-{moment.year}.{moment.month:02d}.{moment.day:02d}"
        json_text = _extract_json(log_event["message"])
        source: dict[str, Any] = json.loads(json_text) if json_text is not None else {}
        if not isinstance(source, dict):
            source = {}
        source["@id"] = log_event["id"]
        source["@timestamp"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        source["@message"] = log_event["message"]
        source["@owner"] = payload["owner"]
        source["@log_group"] = payload["logGroup"]
        source["@log_stream"] = payload["logStream"]
        action = {"index": {"_index": index_name, "_id": log_event["id"]}}
        body += "\n".join([json.dumps(action), json.dumps(source)]) + "\n"
    response = requests.post(
        f"{endpoint}/_bulk",
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    info = response.json()
    return sum(1 for item in info["items"] if item["index"].get("error"))


class _Context:
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def make_shipper(endpoint: str, **overrides: Any) -> Any:
    from log_pipeline.config import ShipperConfig
    from log_pipeline.pipeline import Shipper

    return Shipper(ShipperConfig(endpoint=endpoint, auth="none", **overrides), write=lambda _line: None)


def _best_rates(events: int, *calls: Any, repeats: int = REPEATS) -> list[tuple[float, float]]:
    """Events per second of each contender's fastest of REPEATS runs (like timeit: the least
    disturbed run), by wall clock and by this process's CPU time (the sink runs in its own
    process); the contenders' runs interleaved (a, b, a, b, ...).

    The build machine is shared: a disturbance then costs every contender a run rather than all
    the runs of one of them, so the ratio of the bests is not skewed by when it happened.
    """
    best_wall = [float("inf")] * len(calls)
    best_cpu = [float("inf")] * len(calls)
    for _ in range(repeats):
        for index, call in enumerate(calls):
            started, cpu_started = time.perf_counter(), time.process_time()
            call()
            best_wall[index] = min(best_wall[index], time.perf_counter() - started)
            best_cpu[index] = min(best_cpu[index], time.process_time() - cpu_started)
    return [(events / wall, events / max(cpu, 1e-9)) for wall, cpu in zip(best_wall, best_cpu, strict=True)]


# ---------------------------------------------------------------- memory (fresh interpreter)

_RSS_CHILD = textwrap.dedent(
    """
    import gc, json, resource, sys
    sys.path.insert(0, {root!r})
    from bench.shipper import lambda_event, batch_of, make_shipper, _Context
    event = lambda_event(batch_of({count}))
    gc.collect()
    shipper = make_shipper({endpoint!r})
    summary = shipper.handle(event, _Context())
    # VmHWM is this process's own high-water mark. ru_maxrss is not: Linux carries the parent's
    # high-water mark into a forked-then-exec'd child, so a big parent would inflate the figure.
    try:
        with open("/proc/self/status") as status:
            hwm_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        hwm_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({{"peak_rss_mb": hwm_kb / 1024,
                      "indexed": summary["docs_indexed"], "max_request_bytes": summary["max_request_bytes"],
                      "bulk_requests": summary["bulk_requests"]}}))
    """
)


def peak_rss(endpoint: str, count: int) -> dict[str, Any]:
    code = _RSS_CHILD.format(root=str(REPO_ROOT), count=count, endpoint=endpoint)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- real OpenSearch


def real_opensearch(payload: dict[str, Any]) -> dict[str, Any]:
    try:
        from local_platform.opensearch import opensearch_session
        from log_pipeline.templates import apply_index_templates
    except ImportError as exc:
        return {"error": f"local OpenSearch unavailable: {exc}"}
    try:
        with opensearch_session() as url:
            apply_index_templates(url, "none", None)
            shipper = make_shipper(url)
            event = lambda_event(payload)
            shipper.handle(lambda_event(make_payload(500)), _Context())  # warm-up: index creation
            started = time.perf_counter()
            summary = shipper.handle(event, _Context())
            elapsed = time.perf_counter() - started
            return {
                "events": len(payload["logEvents"]),
                "docs_indexed": summary["docs_indexed"],
                "docs_dead_lettered": summary["docs_dead_lettered"],
                "bulk_requests": summary["bulk_requests"],
                "events_per_s": round(len(payload["logEvents"]) / elapsed),
            }
    except Exception as exc:  # report, do not hide the other figures
        return {"error": f"{type(exc).__name__}: {exc}"}


# ---------------------------------------------------------------- run


def measure_batch(
    shipper: Any, sink: str, size: int, payload: dict[str, Any], repeats: int = REPEATS
) -> tuple[dict[str, Any], list[str]]:
    """One batch: both contenders' best rates and the targets it missed.

    ``shipper`` must post to ``sink + SHIPPER_PATH``. A rate only counts if the sink received
    every event (EMF skipped excepted) in every timed run: a shipper that fails or skips items
    cannot post a high rate.
    """
    missed: list[str] = []
    event = lambda_event(payload)
    warm = shipper.handle(event, _Context())  # warm the connection and caches for both
    naive_baseline(event, sink)
    received_before = sink_received(sink)
    (ours, ours_cpu), (naive, naive_cpu) = _best_rates(
        size,
        lambda e=event: shipper.handle(e, _Context()),
        lambda e=event: naive_baseline(e, sink),
        repeats=repeats,
    )
    received = sink_received(sink) - received_before
    expected = repeats * (len(payload["logEvents"]) - warm["emf_skipped"])
    summary = shipper.handle(event, _Context())
    figures = {
        "batch_bytes": batch_bytes(payload),
        "shipper_events_per_s": round(ours),
        "baseline_events_per_s": round(naive),
        "ratio": round(ours / naive, 2),
        "cpu_ratio": round(ours_cpu / naive_cpu, 2),
        "bulk_requests": summary["bulk_requests"],
        "max_request_bytes": summary["max_request_bytes"],
        "sink_documents_received": received,
        "sink_documents_expected": expected,
    }
    if received != expected:
        missed.append(
            f"{size} events: the sink received {received} documents from the shipper's "
            f"{repeats} timed runs, expected {expected} (events minus EMF skipped)"
        )
    if size != 1_000 and ours / naive < TARGET_RATIO:
        missed.append(f"{size} events: {ours / naive:.2f}x < {TARGET_RATIO}x")
    return figures, missed


def run() -> dict[str, Any]:
    payloads = {size: batch_of(size) for size in BATCH_SIZES}
    result: dict[str, Any] = {"batches": {}, "targets_missed": []}
    with bulk_sink() as sink:
        shipper = make_shipper(sink + SHIPPER_PATH)
        for size, payload in payloads.items():
            result["batches"][str(size)], missed = measure_batch(shipper, sink, size, payload)
            result["targets_missed"].extend(missed)
        small_limit = 256 * 1024
        split = make_shipper(sink, bulk_max_bytes=small_limit).handle(
            lambda_event(payloads[10_000]), _Context()
        )
        result["bulk_limit"] = {
            "configured_bytes": small_limit,
            "max_request_bytes": split["max_request_bytes"],
            "bulk_requests": split["bulk_requests"],
            "default_configured_bytes": 5 * 1024 * 1024,
            "default_max_request_bytes": result["batches"]["10000"]["max_request_bytes"],
        }
        if split["max_request_bytes"] > small_limit:
            result["targets_missed"].append("a bulk request exceeded the configured size")
        memory = peak_rss(sink, 10_000)
    result["peak_rss_mb_10000_events"] = round(memory["peak_rss_mb"], 1)
    if memory["peak_rss_mb"] > TARGET_RSS_MB:
        result["targets_missed"].append(f"peak RSS {memory['peak_rss_mb']:.1f} MB > {TARGET_RSS_MB} MB")
    result["real_opensearch_10000_events"] = real_opensearch(payloads[10_000])
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, sort_keys=True))
