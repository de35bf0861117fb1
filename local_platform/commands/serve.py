"""obsctl serve: the HTTP API locally, behind a SigV4 gateway, on what Terraform created in an
in-process AWS emulator."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from local_platform.commands import require_local_extra
from obsctl.cli import CliError

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="serve the API on 127.0.0.1 with IAM (SigV4) auth, on what Terraform created in an AWS emulator",
        description=(
            "Start an empty AWS emulator (moto) on a free loopback port, apply infra/live into it with "
            "the real Terraform (offline from the provider mirror, or the registry with "
            "OBS_TERRAFORM_FROM_REGISTRY=1; about 90 s, most of it the AWS provider's fixed S3 lifecycle "
            "wait), put 250 sample objects into the bucket it created, and serve the routes it created on "
            "127.0.0.1:PORT with the function as Terraform configured it (handler, environment, memory, "
            "timeout, role). Every request is verified like API Gateway's IAM auth (SigV4 for "
            "execute-api); the real handler runs in-process; its logs, Lambda's platform lines and one "
            "access-log line per request go to the emulated CloudWatch Logs, and the metrics AWS would "
            "publish to the emulated CloudWatch. Stop with Ctrl-C."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080; 0 picks a free one)"
    )
    parser.add_argument(
        "--region",
        default=None,
        help="the local region (default: $AWS_REGION, else $AWS_DEFAULT_REGION, else eu-west-1)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    require_local_extra("serve")
    from local_platform.deployment import DeploymentError
    from local_platform.stack import start_stack
    from local_platform.terraform import EngineError
    from obsctl.local_target import (
        ENV_CALLER_ACCESS_KEY,
        ENV_CALLER_SECRET_KEY,
        ENV_CALLER_SESSION_TOKEN,
        local_region,
    )

    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0-65535, got {args.port}")
    try:
        region = local_region(args.region)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    print(
        f"applying infra/live into an empty AWS emulator ({region}) with the real Terraform ...", flush=True
    )
    try:
        stack = start_stack(args.port, region=region, say=lambda message: print(f"  {message}", flush=True))
    except OSError as exc:
        raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    except (DeploymentError, EngineError) as exc:
        raise CliError(f"the platform could not be created in the emulator: {exc}") from exc
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    creds = stack.credentials
    print(
        f"region         {stack.names.region}  (--region, $AWS_REGION, $AWS_DEFAULT_REGION, else eu-west-1)"
    )
    print(f"API            {stack.url}  (route GET /objects, IAM auth)")
    print(
        f"caller         access key {creds.access_key!r}, secret {creds.secret_key!r} "
        f"(override with {ENV_CALLER_ACCESS_KEY} / {ENV_CALLER_SECRET_KEY}; "
        f"{'with' if creds.session_token else 'no'} session token ({ENV_CALLER_SESSION_TOKEN}))"
    )
    deployment = stack.deployment
    applied, planned = deployment.resources_applied["live"], deployment.resources_planned["live"]
    print(
        f"terraform      created {applied} of {planned} "
        f"resources of infra/live (not created, the emulator lacks the API: "
        f"{', '.join(deployment.not_created) or 'none'})"
    )
    print(f"AWS emulator   {stack.emulator.endpoint}  (bucket {stack.names.data_bucket})")
    print(f"logs           {stack.names.function_log_group}, {stack.names.access_log_group}")
    print(
        f"try            obsctl call GET '/objects?limit=2' --endpoint {stack.url} "
        f"--region {stack.names.region}"
    )
    print("Ctrl-C to stop", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("stopped")
    return 0
