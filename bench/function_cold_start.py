"""Cold start of the listing function against the usual Powertools handler, in the same run.

What is measured: import of the handler module plus its first invocation, inside a fresh Python
process (interpreter start-up is the same for both and is left out). Each handler runs
``ROUNDS`` times, alternating, against the same moto S3 server and the same fake X-Ray daemon (a
UDP socket), with the environment Lambda sets (sampled trace header, daemon address, task root),
so both pay for their tracing. Each process sees what it would see on Lambda and nothing else:
``python -S`` (no site-packages) with a task directory holding the handler and its own
requirements, and a runtime directory holding what the Lambda Python runtime provides (boto3,
botocore and their dependencies); both are symlinks into this venv. Without that, the stock
Tracer's ``patch_all`` would also import and patch ``requests`` from the venv, which a Lambda
package would not have. Bytecode caches are warmed first for both, as a Lambda package
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
HANDLERS = {"ours": "function.app", "ours_secret": "function.app", "stock": "stock_app"}
"""ours_secret: the same handler configured as in AWS, reading its token keys (AWSCURRENT and
AWSPREVIOUS of a rotated secret) from Secrets Manager at cold start instead of the environment."""
SECRET_NAME = "bench-next-token-secret"  # noqa: S105 - a name, not a secret
EVENT_FILE = REPO_ROOT / "tests" / "events" / "apigw_list_objects.json"
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
"""What the Lambda Python runtime ships (the handler's package must not need to)."""
TASK_DISTRIBUTIONS = {
    "ours": ("aws-lambda-powertools", "typing_extensions"),  # function/requirements.txt
    "ours_secret": ("aws-lambda-powertools", "typing_extensions"),
    "stock": ("aws-lambda-powertools", "typing_extensions", "aws-xray-sdk", "wrapt"),  # powertools[tracer]
}


def _event() -> dict[str, Any]:
    """The real-shaped API Gateway event the unit tests use too."""
    loaded: dict[str, Any] = json.loads(EVENT_FILE.read_text())
    return loaded


def _probe(module_name: str, event_path: str, out_path: str) -> None:
    """Runs in the fresh process: time the import and the first invocation."""
    import importlib

    event = json.loads(Path(event_path).read_text())

    class Context:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        memory_limit_in_mb = 128
        invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:{function_name}"
        aws_request_id = "0b1c2d3e-0000-4000-8000-000000000001"

    cpu_started, started = time.process_time(), time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    response = module.handler(event, Context())
    invoked, cpu_invoked = time.perf_counter(), time.process_time()
    Path(out_path).write_text(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_invocation_ms": (invoked - imported) * 1000,
                "total_ms": (invoked - started) * 1000,
                "cpu_ms": (cpu_invoked - cpu_started) * 1000,
                "status": response["statusCode"],
                "modules_loaded": len(sys.modules),
                "python": sys.version.split()[0],
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


def _run_once(kind: str, env: dict[str, str], event_path: str, python: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        subprocess.run(
            [python, "-S", __file__, "--probe", HANDLERS[kind], event_path, str(out)],
            env=env,
            cwd=REPO_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        result: dict[str, Any] = json.loads(out.read_text())
    if result["status"] != 200:
        raise RuntimeError(f"{kind} handler answered {result['status']} in the benchmark")
    return result


def _link_distribution(name: str, target: Path) -> None:
    """Symlink a distribution's top-level modules (and its metadata) from the venv into ``target``."""
    import importlib.metadata

    dist = importlib.metadata.distribution(name)
    base = Path(str(dist.locate_file("")))
    for top in {file.parts[0] for file in dist.files or [] if file.parts[0] not in ("..", "__pycache__")}:
        link = target / top
        if not link.exists():
            link.symlink_to(base / top)


def _lambda_layout(root: Path) -> dict[str, Path]:
    """A runtime directory and one task directory per handler, as Lambda would lay them out."""
    runtime = root / "runtime"
    runtime.mkdir()
    for name in RUNTIME_DISTRIBUTIONS:
        _link_distribution(name, runtime)
    tasks = {}
    for kind, distributions in TASK_DISTRIBUTIONS.items():
        task = root / kind
        task.mkdir()
        for name in distributions:
            _link_distribution(name, task)
        tasks[kind] = task
    for package in ("function", "signals"):
        for ours in ("ours", "ours_secret"):
            (tasks[ours] / package).symlink_to(REPO_ROOT / package)
    (tasks["stock"] / "stock_app.py").symlink_to(STOCK_DIR / "stock_app.py")
    return {"runtime": runtime, **tasks}


def _environment(
    endpoint: str, daemon_port: int, layout: dict[str, Path], kind: str, secret_arn: str
) -> dict[str, str]:
    # Imported here: this file also runs as the probe under `python -S`, without the repository.
    from signals import config as env
    from signals.metrics import NAMESPACE
    from signals.services import API_SERVICE

    task_root = str(layout[kind])
    if kind == "ours_secret":
        keys = {env.ENV_TOKEN_SECRET_ARN: secret_arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint}
    else:
        keys = {env.ENV_TOKEN_SECRET: "bench-secret-" + "x" * 32}
    return {
        **keys,
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([task_root, str(layout["runtime"])]),
        "LAMBDA_TASK_ROOT": task_root,
        env.ENV_AWS_LAMBDA_FUNCTION_NAME: "objects-api-bench",
        env.ENV_AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",  # set by Lambda; signals.lambda_env reads it
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        env.ENV_AWS_REGION: REGION,
        env.ENV_AWS_DEFAULT_REGION: REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_S3": endpoint,
        env.ENV_BUCKET_NAME: BUCKET,
        env.ENV_ALLOWED_CALLERS: "arn:aws:iam::123456789012:user/sre-alice",
        env.ENV_POWERTOOLS_SERVICE_NAME: API_SERVICE,
        env.ENV_POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
        env.ENV_XRAY_TRACE_ID: f"Root={TRACE_ROOT};Parent={TRACE_PARENT};Sampled=1",
        env.ENV_XRAY_DAEMON_ADDRESS: f"127.0.0.1:{daemon_port}",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }


def run(rounds: int = ROUNDS, python: str = sys.executable) -> dict[str, Any]:
    """Measure both handlers; ``python`` may be another interpreter (e.g. python3.12, Lambda's)."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    workdir = tempfile.TemporaryDirectory(prefix="cold-start-")
    try:
        layout = _lambda_layout(Path(workdir.name))
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the emulator's fixed credentials
        )
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for index in range(OBJECTS):
            s3.put_object(Bucket=BUCKET, Key=f"reports/{index:04d}.json", Body=b"{}")
        event_path = str(Path(workdir.name) / "event.json")
        Path(event_path).write_text(json.dumps(_event()))
        secrets = boto3.client(
            "secretsmanager",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - the emulator's fixed credentials
        )
        secret_arn = secrets.create_secret(Name=SECRET_NAME, SecretString="bench-old-key-" + "x" * 32)["ARN"]
        secrets.put_secret_value(SecretId=secret_arn, SecretString="bench-new-key-" + "x" * 32)  # a rotation
        port_ = daemon.getsockname()[1]
        envs = {kind: _environment(endpoint, port_, layout, kind, secret_arn) for kind in HANDLERS}
        samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in HANDLERS}
        traces: dict[str, list[str]] = {}
        for kind in HANDLERS:  # warm bytecode caches; not counted
            _run_once(kind, envs[kind], event_path, python)
            traces[kind] = _names(_drain(daemon))
        for _ in range(rounds):
            for kind in HANDLERS:
                samples[kind].append(_run_once(kind, envs[kind], event_path, python))
                _drain(daemon)
    finally:
        workdir.cleanup()
        daemon.close()
        server.stop()

    def median(kind: str, key: str) -> float:
        return round(float(statistics.median(sample[key] for sample in samples[kind])), 1)

    result: dict[str, Any] = {
        "rounds": rounds,
        "python": samples["ours"][0]["python"],
        "measure": "import + first invocation in a fresh process, median (ms); ratio = ours/stock wall",
    }
    for kind in HANDLERS:
        result[kind] = {
            "total_ms": median(kind, "total_ms"),
            "cpu_ms": median(kind, "cpu_ms"),
            "import_ms": median(kind, "import_ms"),
            "first_invocation_ms": median(kind, "first_invocation_ms"),
            "modules_loaded": samples[kind][0]["modules_loaded"],
            "xray_subsegments": traces[kind],
        }
    result["secret_read_ms"] = round(result["ours_secret"]["total_ms"] - result["ours"]["total_ms"], 1)
    ratio = result["ours"]["total_ms"] / result["stock"]["total_ms"]
    result["ratio"] = round(ratio, 3)
    result["cpu_ratio"] = round(result["ours"]["cpu_ms"] / result["stock"]["cpu_ms"], 3)
    result["target_ratio"] = TARGET_RATIO
    missed = [] if ratio <= TARGET_RATIO else [f"cold start ratio {ratio:.2f} > {TARGET_RATIO}"]
    result["same_trace_tree"] = traces["ours"] == traces["stock"]
    if not result["same_trace_tree"]:
        missed.append(f"trace trees differ: ours {traces['ours']}, stock {traces['stock']}")
    result["targets_missed"] = missed
    return result


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--probe":
        _probe(sys.argv[2], sys.argv[3], sys.argv[4])
    else:  # python -m bench.function_cold_start [ROUNDS [PYTHON]]
        arguments = sys.argv[1:]
        rounds = int(arguments[0]) if arguments else ROUNDS
        interpreter = arguments[1] if len(arguments) > 1 else sys.executable
        print(json.dumps(run(rounds, interpreter), indent=2, sort_keys=True))
