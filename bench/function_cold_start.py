"""Cold start of the listing function against the usual Powertools handler, in the same run.

What is measured: import of the handler module plus its first invocation, inside a fresh Python
process (interpreter start-up is the same for both and is left out). Each handler runs
``ROUNDS`` times, alternating, against the same moto S3 server and the same fake X-Ray daemon (a
UDP socket), with the environment Lambda sets (sampled trace header, daemon address, task root),
so both pay for their tracing. Bytecode caches are warmed first for both, as a Lambda package
built with compiled bytecode would be. The X-Ray documents each one sent are summarised too: the
point is a faster start *without* losing what a trace shows.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 15
TARGET_RATIO = 0.6
OBJECTS = 50
REPO_ROOT = Path(__file__).resolve().parent.parent
STOCK_DIR = Path(__file__).resolve().parent / "stock_handler"
BUCKET = "bench-cold-start"
REGION = "eu-west-1"
TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793"
TRACE_PARENT = "53995c3f42cd8ad8"
HANDLERS = {"ours": "function.app", "stock": "stock_app"}


def _event() -> dict[str, Any]:
    events = REPO_ROOT / "tests" / "events" / "apigw_list_objects.json"
    if events.exists():
        loaded: dict[str, Any] = json.loads(events.read_text())
        return loaded
    return {
        "version": "2.0",
        "routeKey": "GET /objects",
        "rawPath": "/objects",
        "rawQueryString": "limit=10",
        "queryStringParameters": {"limit": "10"},
        "headers": {},
        "requestContext": {
            "requestId": "bench-request-0001",
            "http": {"method": "GET", "path": "/objects"},
            "authorizer": {"iam": {"userArn": "arn:aws:iam::123456789012:user/bench", "accountId": "123456789012"}},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _probe(module_name: str, event_path: str, out_path: str) -> None:
    """Runs in the fresh process: time the import and the first invocation."""
    import importlib

    event = json.loads(Path(event_path).read_text())

    class Context:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        memory_limit_in_mb = 128
        invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
        aws_request_id = "0b1c2d3e-0000-4000-8000-000000000001"

    started = time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    response = module.handler(event, Context())
    invoked = time.perf_counter()
    Path(out_path).write_text(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_invocation_ms": (invoked - imported) * 1000,
                "total_ms": (invoked - started) * 1000,
                "status": response["statusCode"],
                "modules_loaded": len(sys.modules),
            }
        )
    )


def _drain(daemon: socket.socket) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    daemon.settimeout(0.2)
    while True:
        try:
            datagram, _ = daemon.recvfrom(65536)
        except (TimeoutError, BlockingIOError):
            return documents
        header, _, body = datagram.partition(b"\n")
        if json.loads(header) == {"format": "json", "version": 1}:
            documents.append(json.loads(body))


def _names(documents: list[dict[str, Any]]) -> list[str]:
    """Subsegment names in a trace, nested ones included, as an operator would see them."""
    names: list[str] = []

    def walk(doc: dict[str, Any]) -> None:
        names.append(f"{doc.get('namespace', '-')}:{doc['name']}")
        for child in doc.get("subsegments", []):
            walk(child)

    for doc in documents:
        walk(doc)
    return sorted(names)


def _run_once(kind: str, env: dict[str, str], event_path: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        subprocess.run(
            [sys.executable, __file__, "--probe", HANDLERS[kind], event_path, str(out)],
            env=env,
            cwd=REPO_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        result: dict[str, Any] = json.loads(out.read_text())
    if result["status"] != 200:  # noqa: PLR2004
        raise RuntimeError(f"{kind} handler answered {result['status']} in the benchmark")
    return result


def _environment(endpoint: str, daemon_port: int, kind: str) -> dict[str, str]:
    task_root = str(REPO_ROOT if kind == "ours" else STOCK_DIR)
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([task_root, str(REPO_ROOT)]),
        "LAMBDA_TASK_ROOT": task_root,
        "AWS_LAMBDA_FUNCTION_NAME": "objects-api-bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_S3": endpoint,
        "BUCKET_NAME": BUCKET,
        "NEXT_TOKEN_SECRET": "bench-secret-" + "x" * 32,
        "POWERTOOLS_SERVICE_NAME": "objects-api",
        "POWERTOOLS_METRICS_NAMESPACE": "ObsPlatform",
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ROOT};Parent={TRACE_PARENT};Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }


def run(rounds: int = ROUNDS) -> dict[str, Any]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        for index in range(OBJECTS):
            s3.put_object(Bucket=BUCKET, Key=f"reports/{index:04d}.json", Body=b"{}")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(_event(), handle)
            event_path = handle.name
        envs = {kind: _environment(endpoint, daemon.getsockname()[1], kind) for kind in HANDLERS}
        samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in HANDLERS}
        traces: dict[str, list[str]] = {}
        for kind in HANDLERS:  # warm bytecode caches; not counted
            _run_once(kind, envs[kind], event_path)
            traces[kind] = _names(_drain(daemon))
        for _ in range(rounds):
            for kind in HANDLERS:
                samples[kind].append(_run_once(kind, envs[kind], event_path))
                _drain(daemon)
        os.unlink(event_path)
    finally:
        daemon.close()
        server.stop()

    def median(kind: str, key: str) -> float:
        return round(statistics.median(sample[key] for sample in samples[kind]), 1)

    result: dict[str, Any] = {
        "rounds": rounds,
        "python": sys.version.split()[0],
        "measure": "import + first invocation in a fresh process, median (ms)",
    }
    for kind in HANDLERS:
        result[kind] = {
            "total_ms": median(kind, "total_ms"),
            "import_ms": median(kind, "import_ms"),
            "first_invocation_ms": median(kind, "first_invocation_ms"),
            "modules_loaded": samples[kind][0]["modules_loaded"],
            "xray_subsegments": traces[kind],
        }
    ratio = result["ours"]["total_ms"] / result["stock"]["total_ms"]
    result["ratio"] = round(ratio, 3)
    result["target_ratio"] = TARGET_RATIO
    result["targets_missed"] = [] if ratio <= TARGET_RATIO else [f"cold start ratio {ratio:.2f} > {TARGET_RATIO}"]
    return result


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--probe":  # noqa: PLR2004
        _probe(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(json.dumps(run(), indent=2, sort_keys=True))
