"""``make demo``: the whole platform locally, end to end, on embedded defaults.

Steps, each in ``local_platform/demo/``: API traffic through the SigV4 gateway; the function's and the
API's logs shipped into a real local OpenSearch; an incident evaluated by the alarm catalog and
delivered as Chatbot notifications; dashboards rendered (and published when Grafana is configured).
Everything started is stopped at the end; ``build/demo/summary.json`` records what happened.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from local_platform.demo.context import DemoContext, SimClock
from signals.config import ENV_OPENSEARCH_URL

__all__ = ["STEPS", "main", "run_demo"]

STEPS: tuple[tuple[str, str], ...] = (
    ("API traffic", "local_platform.demo.traffic"),
    ("an incident and its alerts", "local_platform.demo.alerts"),
    ("log shipping into OpenSearch", "local_platform.demo.logs"),
    ("dashboards", "local_platform.demo.dashboards"),
)


def _printer(prefix: str) -> Callable[[str], None]:
    def say(message: str) -> None:
        print(f"  {prefix} {message}", flush=True)

    return say


def run_demo(out_dir: Path, *, only: set[str] | None = None, keep: bool = False) -> dict[str, Any]:
    from local_platform.stack import start_stack
    from obsctl import client

    out_dir.mkdir(parents=True, exist_ok=True)
    clock = SimClock()
    started = time.perf_counter()
    print(
        "starting the local stack: an empty AWS emulator, then `terraform apply` of infra/live into it "
        "(the real engine), the function as Terraform configured it, the SigV4 gateway ...",
        flush=True,
    )
    with ExitStack() as cleanup:
        pool = cleanup.enter_context(ThreadPoolExecutor(max_workers=1))
        # The apply (about a minute, mostly the AWS provider's fixed S3 lifecycle wait) runs while the
        # OpenSearch node starts.
        starting = pool.submit(start_stack, clock=clock.now, say=_printer("terraform:"))
        opensearch_url = None
        if only is None or {"logs", "alerts"} & only:
            from local_platform.opensearch import opensearch_session

            print("starting OpenSearch (a real node on 127.0.0.1; a first run resolves Maven artifacts) ...")
            try:
                opensearch_url = cleanup.enter_context(opensearch_session())
            except BaseException:
                _stop_when_started(starting)
                raise
            print(f"  OpenSearch {opensearch_url}", flush=True)
        stack = starting.result()
        cleanup.callback(stack.stop)
        creds = stack.credentials

        def send(method: str, path: str) -> tuple[int, dict[str, Any], str]:
            response = client.request(
                method,
                stack.url + path,
                access_key=creds.access_key,
                secret_key=creds.secret_key,
                region=stack.names.region,
            )
            body = response.json()
            ctx.request_ids.append(response.request_id)
            return response.status, body if isinstance(body, dict) else {"body": body}, response.request_id

        ctx = DemoContext(
            aws_endpoint=stack.emulator.endpoint,
            api_url=stack.url,
            access_key=creds.access_key,
            secret_key=creds.secret_key,
            names=stack.names,
            out_dir=out_dir,
            started_at=clock.now(),
            send=send,
            set_s3_fault=stack.proxy.set_fault,
            clock=clock,
            platform=stack.platform,
            opensearch_url=opensearch_url,
        )
        deployment = stack.deployment
        ctx.summary["terraform_resources_applied"] = deployment.resources_applied
        ctx.summary["terraform_resources_planned"] = deployment.resources_planned
        ctx.summary["terraform_not_created"] = sorted(deployment.not_created)
        ctx.summary["terraform_seconds"] = deployment.seconds
        ctx.summary["iam_checks_passed"] = sum(check.passed for check in deployment.policy_checks)
        applied, planned = deployment.resources_applied["live"], deployment.resources_planned["live"]
        print(
            f"  Terraform created {applied} of {planned} "
            f"resources of infra/live in {sum(deployment.seconds.values()):.0f} s "
            f"(not created, the emulator lacks the API: {', '.join(deployment.not_created) or 'none'})",
            flush=True,
        )
        print(f"  API {stack.url}, emulator {stack.emulator.endpoint}", flush=True)
        for number, (title, module_name) in enumerate(STEPS, start=1):
            if only is not None and module_name.rsplit(".", 1)[-1] not in only:
                continue
            print(f"[{number}/{len(STEPS)}] {title}", flush=True)
            ctx.say = _printer("·")
            step_started = time.perf_counter()
            importlib.import_module(module_name).run(ctx)
            ctx.say(f"done in {time.perf_counter() - step_started:.1f} s")
        statuses = Counter(exchange.status for exchange in stack.gateway.exchanges)
        ctx.summary["requests"] = sum(statuses.values())
        ctx.summary["responses"] = {str(code): count for code, count in sorted(statuses.items())}
        ctx.summary["log_events"] = stack.gateway.log_events_written
        ctx.summary["trace_segments"] = stack.xray.segment_count
        ctx.summary["duration_seconds"] = round(time.perf_counter() - started, 1)
        summary_path = out_dir / "summary.json"
        summary_path.write_text(json.dumps(ctx.summary, indent=2, sort_keys=True) + "\n")
        _print_summary(ctx.summary, summary_path)
        _print_logs_commands(ctx, keep)
        if keep:
            _wait_for_interrupt(stack.url, ctx.opensearch_url)
    return ctx.summary


def _stop_when_started(starting: Future[Any]) -> None:
    """A failure before the stack is used: stop it once its start finishes (or ignore its failure)."""
    with suppress(BaseException):
        starting.result().stop()


def _print_summary(summary: dict[str, Any], path: Path) -> None:
    print("\nsummary")
    for key in sorted(summary):
        value = summary[key]
        text = ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        print(f"  {key:<26} {text}")
    print(f"written to {path}")


def obsctl_command() -> str:
    """How to run obsctl from here: ``obsctl`` on PATH, else this virtualenv's script."""
    if shutil.which("obsctl"):
        return "obsctl"
    script = Path(sys.executable).with_name("obsctl")
    if script.exists():
        try:
            return str(script.relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    return f"{sys.executable} -m obsctl"


def logs_commands(ctx: DemoContext) -> list[str]:
    """``obsctl logs`` lines for this run's documents: one request's story, its errors, its counts."""
    if not ctx.opensearch_url:
        return []
    from obsctl.log_search import iso

    obsctl = obsctl_command()
    endpoint = f"--endpoint {ctx.opensearch_url}"
    # The run's events carry the simulated clock's times (up to an hour ahead): bound by them.
    start, end = (
        iso(ctx.started_at - timedelta(minutes=1)),
        iso((ctx.clock.now() if ctx.clock else ctx.started_at) + timedelta(minutes=1)),
    )
    lines = []
    example = ctx.summary.get("example_request_id")
    if example:
        lines.append(f"{obsctl} logs request {example} {endpoint}")
    lines.append(f"{obsctl} logs search --level ERROR --from {start} {endpoint}")
    lines.append(f"{obsctl} logs stats --by status --from {start} --to {end} {endpoint}")
    return lines


def _print_logs_commands(ctx: DemoContext, keep: bool) -> None:
    lines = logs_commands(ctx)
    if not lines:
        return
    print("\nfind this run's logs in OpenSearch:")
    for line in lines:
        print(f"  {line}")
    if not keep and not os.environ.get(ENV_OPENSEARCH_URL):
        print("(the demo stops its OpenSearch node on exit: `make demo-keep` keeps it up for these)")


def _wait_for_interrupt(api_url: str, opensearch_url: str | None) -> None:
    print(f"\nkept running: API {api_url}, OpenSearch {opensearch_url}; press Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)


def main(out_dir: str = "build/demo", only: set[str] | None = None, keep: bool = False) -> int:
    from local_platform.demo.traffic import DemoCheckFailed
    from local_platform.deployment import DeploymentError
    from local_platform.terraform import EngineError

    try:
        run_demo(Path(out_dir), only=only, keep=keep)
    except DemoCheckFailed as exc:
        print(f"demo check failed: {exc}", file=sys.stderr)
        return 1
    except (DeploymentError, EngineError) as exc:
        print(f"the platform could not be created in the emulator: {exc}", file=sys.stderr)
        return 1
    return 0
