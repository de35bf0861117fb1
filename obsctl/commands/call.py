"""obsctl call: a SigV4-signed request to the HTTP API, local or deployed."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from obsctl.cli import CliError

__all__ = ["DEFAULT_ENDPOINT", "register", "run"]

DEFAULT_ENDPOINT = "http://127.0.0.1:8080"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "call",
        help="send a SigV4-signed request to the API and print the status and JSON body",
        description=(
            "Sign a request for service execute-api (as API Gateway's IAM auth expects) and print the "
            "status line and the JSON body. Against the local gateway (the default endpoint) it uses the "
            "local caller credentials (OBSCTL_ACCESS_KEY_ID / OBSCTL_SECRET_ACCESS_KEY, default "
            "testing/testing, and OBSCTL_SESSION_TOKEN if set); against a deployed API it uses the "
            "standard AWS credential chain (environment, profile, SSO, instance role). Exit status 0 "
            "for 2xx/3xx, 1 otherwise."
        ),
        epilog="example: obsctl call GET '/objects?limit=2'   |   obsctl call GET /objects --endpoint https://abc.execute-api.eu-west-1.amazonaws.com",
    )
    parser.add_argument("method", help="HTTP method, e.g. GET")
    parser.add_argument("path", help="path and query, e.g. '/objects?limit=2' (quote it in the shell)")
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("OBSCTL_ENDPOINT", DEFAULT_ENDPOINT),
        help=f"API base URL (default: $OBSCTL_ENDPOINT or {DEFAULT_ENDPOINT})",
    )
    parser.add_argument(
        "--region",
        default=None,
        help=(
            "signing region (default: $AWS_REGION, else $AWS_DEFAULT_REGION; for a loopback endpoint "
            "else eu-west-1, the same rule as 'obsctl serve')"
        ),
    )
    parser.add_argument("--data", default=None, help="request body (sent as is)")
    parser.add_argument("--unsigned", action="store_true", help="send without a signature (expect 403)")
    parser.add_argument("--show-headers", action="store_true", help="print the response headers too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from obsctl import client
    from obsctl.local_target import is_loopback, local_caller_keys, local_region, local_session_token
    from signals import config as env

    if not args.path.startswith("/"):
        raise CliError(f"path must start with '/': {args.path!r}")
    endpoint = args.endpoint.rstrip("/")
    local = is_loopback(endpoint)
    if local:
        try:
            region = local_region(args.region)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
    elif args.region:
        region = args.region
    else:
        region = os.environ.get(env.ENV_AWS_REGION) or os.environ.get(env.ENV_AWS_DEFAULT_REGION) or ""
        if not region:
            raise CliError(f"no region: pass --region or set {env.ENV_AWS_REGION}")
    access_key: str | None = None
    secret_key: str | None = None
    token: str | None = None
    if not args.unsigned:
        if local:
            access_key, secret_key = local_caller_keys()
            token = local_session_token()
        else:
            import botocore.session

            found = botocore.session.get_session().get_credentials()
            if found is None:
                raise CliError("no AWS credentials found (environment, profile or SSO); see 'aws configure'")
            frozen = found.get_frozen_credentials()
            access_key, secret_key, token = frozen.access_key, frozen.secret_key, frozen.token
    body = args.data.encode() if args.data is not None else None
    try:
        response = client.request(
            args.method,
            endpoint + args.path,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            session_token=token,
            body=body,
        )
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot reach {endpoint}: {exc}") from exc
    print(f"HTTP {response.status}")
    if args.show_headers:
        for key, value in sorted(response.headers.items()):
            print(f"{key}: {value}")
    try:
        print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    except ValueError:
        sys.stdout.write(response.body.decode(errors="replace") + "\n")
    return 0 if response.status < 400 else 1
