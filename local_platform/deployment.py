"""The platform as Terraform creates it: ``infra/live`` applied into the local emulator, then read back.

``obsctl serve``, ``make demo`` and the integration tests run on what this creates; nothing of the
data path is seeded by hand. The flow is a new user's:

1. ``infra/bootstrap``: the artifacts bucket live's functions are deployed from (``-target``: what
   live needs of bootstrap; ``full_bootstrap=True`` applies the whole root, as the apply test does);
2. the Lambda packages put into it (zips of the packages' sources: the local runtime runs the
   working tree's code, and CreateFunction needs a zip);
3. ``infra/live`` planned and applied with its ``example.tfvars`` and the local caller admitted.

Every planned resource must be created, except ``EMULATOR_GAPS`` (local_platform.terraform: what moto
cannot create, each with the API it lacks). Then :func:`read_back` reads the real objects through the
AWS APIs — buckets, keys, log groups and retention, the functions' configuration, the HTTP API's routes,
subscription and metric filters, the topics and their policies, the alarms (``DescribeAlarms``) — and
the local stack is built from that, so a drift between the code and what Terraform creates shows up
locally. :func:`exercise_policies` then proves the function's and the shipper's IAM policies, as
created, with moto's IAM enforcement.

The AWS provider waits about 55 s after creating an S3 lifecycle configuration (10 s, then ten equal
reads 5 s apart); that fixed wait is most of an apply here.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local_platform import terraform as tf
from local_platform.names import LocalNames
from signals.services import PROJECT

if TYPE_CHECKING:
    from local_platform.lambda_runtime import LocalFunction

__all__ = [
    "ARTIFACTS_TARGET",
    "OPERATOR_ROLE_ARN",
    "PACKAGE_KEYS",
    "PACKAGE_SOURCES",
    "Deployment",
    "DeploymentError",
    "FunctionConfig",
    "LogGroup",
    "Platform",
    "PolicyCheck",
    "RootResult",
    "deploy",
    "exercise_policies",
    "local_function",
    "package_zip",
    "read_back",
    "role_client",
    "role_credentials",
]

OPERATOR_ROLE_ARN = f"arn:aws:iam::{tf.EMULATOR_ACCOUNT_ID}:role/Admin"
"""live's ``admin_role_arn``: an operator role of the account (made outside Terraform, as in AWS)."""
ARTIFACTS_TARGET = "module.artifacts_bucket.aws_s3_bucket.this"
"""What live needs of bootstrap: the bucket its Lambda packages are deployed from."""
PACKAGE_KEYS = {
    "function_key": "lambda/local/function.zip",
    "shipper_key": "lambda/local/shipper.zip",
    "notifier_key": "lambda/local/notifier.zip",
}
PACKAGE_SOURCES = {
    "function_key": ("function", "signals"),
    "shipper_key": ("log_pipeline", "signals"),
    "notifier_key": ("notifier", "signals"),
}
"""The packages of each zip (tools.package builds the deployable ones, with their dependencies)."""


class DeploymentError(Exception):
    """Terraform could not create the platform in the emulator, or what it created is incomplete."""


@dataclass(frozen=True)
class FunctionConfig:
    """A Lambda function's configuration as ``GetFunctionConfiguration`` returns it."""

    name: str
    handler: str
    runtime: str
    environment: dict[str, str]
    memory_mb: int
    timeout_s: int
    reserved_concurrency: int | None
    role_arn: str
    log_group: str

    @property
    def handler_path(self) -> str:
        """``function.app.handler`` (Lambda's spelling) as ``function.app:handler`` (module:attribute)."""
        module, _, attribute = self.handler.rpartition(".")
        return f"{module}:{attribute}"


@dataclass(frozen=True)
class LogGroup:
    name: str
    retention_days: int | None
    kms_key_id: str | None


@dataclass(frozen=True)
class Platform:
    """What the emulator holds after the apply, read through the AWS APIs."""

    region: str
    account_id: str
    function: FunctionConfig
    shipper: FunctionConfig
    notifier: FunctionConfig
    data_bucket: str
    data_bucket_key_arn: str
    dead_letter_bucket: str
    api_id: str
    api_endpoint: str
    stage: str
    access_log_group: str
    routes: dict[str, str]
    """Route key -> authorization type."""
    log_groups: dict[str, LogGroup]
    subscription_filters: dict[str, list[dict[str, Any]]]
    """Log group -> its subscription filters (DescribeSubscriptionFilters)."""
    metric_filters: list[dict[str, Any]]
    topics: dict[str, dict[str, str]]
    """Topic ARN -> its attributes (Policy, KmsMasterKeyId, ...)."""
    alarms: dict[str, list[dict[str, Any]]]
    """``DescribeAlarms``: ``MetricAlarms`` and ``CompositeAlarms``, every page."""


@dataclass
class RootResult:
    root: Path
    var_files: list[Path]
    extra: list[str]
    planned: dict[str, list[str]] = field(default_factory=dict)
    in_state: set[str] = field(default_factory=set)
    apply_exit: int = -1
    apply_output: str = ""


@dataclass
class Deployment:
    """Both roots applied into the emulator at ``endpoint``, and the platform read back."""

    engine: tf.Engine
    endpoint: str
    region: str
    roots: dict[str, RootResult]
    platform: Platform
    seconds: dict[str, float]
    policy_checks: list[PolicyCheck] = field(default_factory=list)

    @property
    def resources_applied(self) -> dict[str, int]:
        """Managed resources in each root's state (for live: created / planned)."""
        return {name: len(root.in_state) for name, root in self.roots.items()}

    @property
    def resources_planned(self) -> dict[str, int]:
        return {name: len(root.planned) for name, root in self.roots.items()}

    @property
    def not_created(self) -> dict[str, str]:
        """Planned but not created, with the reason: exactly the emulator's documented gaps."""
        live = self.roots["live"]
        return {address: tf.EMULATOR_GAPS[address] for address in sorted(set(live.planned) - live.in_state)}

    @property
    def work_dir(self) -> Path:
        """The working copy of ``infra/`` the roots were applied from (their state included)."""
        return self.roots["live"].root.parents[1]

    def remove_work_dir(self) -> None:
        """Once the emulator is gone its state means nothing: drop the working copy."""
        shutil.rmtree(self.work_dir, ignore_errors=True)


def _client(endpoint: str, region: str, service: str) -> Any:
    import boto3

    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's local credentials
    )


def role_credentials(endpoint: str, region: str, role_arn: str, session: str = "local") -> dict[str, str]:
    """An STS session of ``role_arn`` as the environment variables Lambda sets for a function."""
    response = _client(endpoint, region, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session)
    credentials = response["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def role_client(endpoint: str, region: str, role_arn: str, service: str, session: str = "local") -> Any:
    """A boto3 client signing as an STS session of ``role_arn`` (what Lambda gives a function, what an
    operator assumes): the emulator's bucket policies see that role as ``aws:PrincipalArn``."""
    import boto3

    credentials = role_credentials(endpoint, region, role_arn, session)
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


def local_function(
    endpoint: str,
    platform: Platform,
    config: FunctionConfig,
    local_environment: dict[str, str],
    *,
    drop: frozenset[str] = frozenset(),
) -> LocalFunction:
    """``config`` (a function as Terraform configured it) in the local Lambda runtime: its handler,
    environment (less ``drop``), memory and timeout, an STS session of its role as its credentials,
    plus ``local_environment`` (the local endpoints)."""
    from local_platform.lambda_runtime import LocalFunction

    environment = {k: v for k, v in config.environment.items() if k not in drop}
    return LocalFunction(
        handler_path=config.handler_path,
        function_name=config.name,
        log_group=config.log_group,
        region=platform.region,
        account_id=platform.account_id,
        memory_mb=config.memory_mb,
        timeout_s=float(config.timeout_s),
        environment={
            **environment,
            **role_credentials(endpoint, platform.region, config.role_arn, config.name),
            **local_environment,
        },
    )


def package_zip(packages: tuple[str, ...]) -> bytes:
    """A zip of the given packages' Python sources, from the working tree."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for package in packages:
            for path in sorted((tf.REPO_ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".json"}:
                    archive.write(path, path.relative_to(tf.REPO_ROOT).as_posix())
    return buffer.getvalue()


def _live_extra(region: str, allowed_callers: list[str]) -> list[str]:
    packages = ",".join(f'{key}="{value}"' for key, value in PACKAGE_KEYS.items())
    return [
        f"-var=region={region}",
        f"-var=packages={{{packages}}}",
        f"-var=api_allowed_callers={json.dumps(allowed_callers)}",
        f"-var=admin_role_arn={OPERATOR_ROLE_ARN}",
    ]


def deploy(
    endpoint: str,
    *,
    region: str = tf.EMULATOR_REGION,
    work_dir: Path | None = None,
    allowed_callers: list[str] | None = None,
    full_bootstrap: bool = False,
    say: Callable[[str], None] = print,
) -> Deployment:
    """Apply bootstrap (its artifacts bucket, or all of it) and live into the emulator at ``endpoint``.

    ``allowed_callers`` become live's ``api_allowed_callers`` (who the function admits). The working
    copy of ``infra/`` (state included) is ``work_dir``, by default one per run under
    ``build/terraform/runs/`` (two local stacks never share one). Raises :class:`DeploymentError` when
    anything but the emulator's documented gaps is not created.
    """
    work_dir = work_dir or tf.BUILD_DIR / "runs" / f"{os.getpid()}-{time.monotonic_ns()}"
    timer = tf.Timer()

    engine = tf.find_engine(work_dir)
    infra = tf.copy_infra(work_dir)
    roots: dict[str, RootResult] = {}
    for name in tf.ROOTS:
        root = infra / name
        tf.point_at_emulator(root, endpoint)
        extra = _live_extra(region, allowed_callers or []) if name == "live" else [f"-var=region={region}"]
        roots[name] = RootResult(root=root, var_files=[root / "example.tfvars"], extra=extra)
    bootstrap, live = roots["bootstrap"], roots["live"]
    s3 = _client(endpoint, region, "s3")

    with ThreadPoolExecutor(max_workers=2) as pool:
        source = "the registry" if engine.registry else "the provider mirror, offline"
        say(f"terraform init (both roots, from {source}) ...")
        with timer.step("init"):
            list(pool.map(lambda r: tf.init(engine, r.root), roots.values()))
        # live's plan needs nothing of bootstrap: it runs while the artifacts bucket is created
        live_plan = pool.submit(
            timer.call,
            "live: plan",
            tf.plan,
            engine,
            live.root,
            live.var_files,
            live.root / "apply.tfplan",
            *live.extra,
        )
        with timer.step("bootstrap: artifacts bucket"):
            bootstrap.planned = tf.plan(
                engine,
                bootstrap.root,
                bootstrap.var_files,
                bootstrap.root / "target.tfplan",
                *bootstrap.extra,
                f"-target={ARTIFACTS_TARGET}",
            )
            _checked_apply(engine, bootstrap, "target.tfplan", allowed=set())
        artifacts_bucket = _artifacts_bucket(bootstrap)
        for key, sources in PACKAGE_SOURCES.items():
            s3.put_object(Bucket=artifacts_bucket, Key=PACKAGE_KEYS[key], Body=package_zip(sources))
        live.planned = live_plan.result()
        say(
            f"terraform apply infra/live: {len(live.planned)} resources (about a minute: the AWS provider "
            "waits ~55 s on S3 lifecycle rules) ..."
        )
        full = None
        if full_bootstrap:
            full = pool.submit(timer.call, "bootstrap: plan + apply", _plan_and_apply, engine, bootstrap)
        with timer.step("live: apply"):
            _checked_apply(engine, live, "apply.tfplan", allowed=set(tf.EMULATOR_GAPS))
        if full is not None:
            full.result()
    with timer.step("read back"):
        platform = read_back(endpoint, region)
    with timer.step("IAM checks"):
        checks = exercise_policies(endpoint, platform, other_bucket=platform.dead_letter_bucket)
    failed = [check for check in checks if not check.passed]
    if failed:
        raise DeploymentError(
            "the IAM policies Terraform created do not behave as intended:\n  "
            + "\n  ".join(
                f"{c.principal} {c.action} on {c.resource}: {c.outcome}, expected {c.expected}"
                for c in failed
            )
        )
    return Deployment(
        engine=engine,
        endpoint=endpoint,
        region=region,
        roots=roots,
        platform=platform,
        seconds=timer.steps,
        policy_checks=checks,
    )


def _artifacts_bucket(bootstrap: RootResult) -> str:
    shown = json.loads(bootstrap.root.joinpath("terraform.tfstate").read_text(encoding="utf-8"))
    for resource in shown.get("resources", []):
        if resource.get("module") == "module.artifacts_bucket" and resource.get("type") == "aws_s3_bucket":
            bucket: str = resource["instances"][0]["attributes"]["bucket"]
            return bucket
    raise DeploymentError("bootstrap's state has no artifacts bucket after its targeted apply")


def _plan_and_apply(engine: tf.Engine, root: RootResult) -> None:
    # what a targeted apply created before is already in the state: the root's plan is both
    root.planned = {
        **root.planned,
        **tf.plan(engine, root.root, root.var_files, root.root / "apply.tfplan", *root.extra),
    }
    _checked_apply(engine, root, "apply.tfplan", allowed=set())


def _checked_apply(engine: tf.Engine, root: RootResult, plan_file: str, *, allowed: set[str]) -> None:
    """Apply a saved plan; everything planned must be in the state afterwards, except ``allowed``."""
    planned = root.planned
    applied = tf.apply(engine, root.root, root.root / plan_file)
    root.apply_exit, root.apply_output = applied.returncode, applied.stdout + applied.stderr
    root.in_state = tf.managed_in_state(engine, root.root)
    failed = tf.failed_addresses(root.apply_output)
    missing = (set(planned) - root.in_state) - allowed if planned else set()
    if (applied.returncode != 0 and not failed) or (failed - allowed) or missing:
        raise DeploymentError(
            f"terraform apply of {root.root.name} did not create {sorted(missing | (failed - allowed))}:\n"
            + root.apply_output[-4000:]
        )


# --- Reading the platform back ------------------------------------------------------------------


def _function(lambda_client: Any, name: str) -> FunctionConfig:
    config = lambda_client.get_function_configuration(FunctionName=name)
    concurrency = lambda_client.get_function_concurrency(FunctionName=name).get(
        "ReservedConcurrentExecutions"
    )
    return FunctionConfig(
        name=config["FunctionName"],
        handler=config["Handler"],
        runtime=config["Runtime"],
        environment=dict(config.get("Environment", {}).get("Variables", {})),
        memory_mb=int(config["MemorySize"]),
        timeout_s=int(config["Timeout"]),
        reserved_concurrency=concurrency,
        role_arn=config["Role"],
        log_group=config.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{name}",
    )


def _all(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def read_back(endpoint: str, region: str, prefix: str = PROJECT) -> Platform:
    """The platform as the emulator holds it (the functions found by the names the local code uses).
    Raises :class:`DeploymentError` naming what is missing."""
    from signals import config as env

    expected = LocalNames(region=region, prefix=prefix)

    def client(service: str) -> Any:
        return _client(endpoint, region, service)

    lambda_client = client("lambda")
    names = {f["FunctionName"] for f in _all(lambda_client, "list_functions", "Functions")}
    functions: dict[str, FunctionConfig] = {}
    for role, name in (
        ("function", expected.function_name),
        ("shipper", expected.shipper_function_name),
        ("notifier", expected.notifier_function_name),
    ):
        if name not in names:
            raise DeploymentError(
                f"Terraform created no Lambda function {name} ({role}); found {sorted(names)}"
            )
        functions[role] = _function(lambda_client, name)
    function, shipper = functions["function"], functions["shipper"]

    data_bucket = function.environment.get(env.ENV_BUCKET_NAME, "")
    dead_letter_bucket = shipper.environment.get(env.ENV_DEAD_LETTER_BUCKET, "")
    s3 = client("s3")
    encryption = s3.get_bucket_encryption(Bucket=data_bucket)["ServerSideEncryptionConfiguration"]
    data_key = encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID", "")
    s3.head_bucket(Bucket=dead_letter_bucket)

    apis = client("apigatewayv2")
    items = [a for a in apis.get_apis()["Items"] if a["Name"].startswith(prefix)]
    if len(items) != 1:
        raise DeploymentError(f"expected one HTTP API named {prefix}-*, found {[a['Name'] for a in items]}")
    api = items[0]
    routes = {
        r["RouteKey"]: r.get("AuthorizationType", "NONE")
        for r in apis.get_routes(ApiId=api["ApiId"])["Items"]
    }
    stages = apis.get_stages(ApiId=api["ApiId"])["Items"]
    stage = stages[0] if stages else {}
    access_log_arn = stage.get("AccessLogSettings", {}).get("DestinationArn", "")
    access_log_group = access_log_arn.split(":log-group:", 1)[-1].removesuffix(":*") if access_log_arn else ""

    logs = client("logs")
    groups = {
        g["logGroupName"]: LogGroup(g["logGroupName"], g.get("retentionInDays"), g.get("kmsKeyId"))
        for g in _all(logs, "describe_log_groups", "logGroups")
    }
    for needed in (function.log_group, shipper.log_group, access_log_group):
        if needed not in groups:
            raise DeploymentError(f"log group {needed!r} was not created (found {sorted(groups)})")
    subscriptions = {
        name: logs.describe_subscription_filters(logGroupName=name)["subscriptionFilters"] for name in groups
    }
    metric_filters = _all(logs, "describe_metric_filters", "metricFilters")

    sns = client("sns")
    topics = {
        t["TopicArn"]: sns.get_topic_attributes(TopicArn=t["TopicArn"])["Attributes"]
        for t in _all(sns, "list_topics", "Topics")
    }
    cloudwatch = client("cloudwatch")
    alarms: dict[str, list[dict[str, Any]]] = {"MetricAlarms": [], "CompositeAlarms": []}
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{prefix}-", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    ):
        for key in alarms:
            alarms[key].extend(page.get(key, []))

    account_id = function.role_arn.split(":")[4]
    return Platform(
        region=region,
        account_id=account_id,
        function=function,
        shipper=shipper,
        notifier=functions["notifier"],
        data_bucket=data_bucket,
        data_bucket_key_arn=data_key,
        dead_letter_bucket=dead_letter_bucket,
        api_id=api["ApiId"],
        api_endpoint=api.get("ApiEndpoint", ""),
        stage=stage.get("StageName", "$default"),
        access_log_group=access_log_group,
        routes=routes,
        log_groups=groups,
        subscription_filters={k: v for k, v in subscriptions.items() if v},
        metric_filters=metric_filters,
        topics=topics,
        alarms=alarms,
    )


# --- The IAM policies as created, under moto's IAM enforcement ----------------------------------


@dataclass(frozen=True)
class PolicyCheck:
    principal: str
    action: str
    resource: str
    expected: str
    """``allowed`` or ``denied``."""
    outcome: str

    @property
    def passed(self) -> bool:
        return self.expected == self.outcome


def exercise_policies(endpoint: str, platform: Platform, other_bucket: str) -> list[PolicyCheck]:
    """Call S3 as the function's and the shipper's roles (STS sessions of the roles Terraform created)
    with moto enforcing IAM, and record what is allowed.

    The function may list its bucket and nothing else: reading, writing or deleting its objects and
    listing any other bucket are denied. The shipper may not read the data bucket. moto evaluates
    identity policies (with an empty condition context); these checks use statements without
    conditions, so its answers are AWS's.
    """
    from botocore.exceptions import ClientError

    data, other = platform.data_bucket, other_bucket
    # (role, action, bucket, key or None, expected)
    probes = [
        ("function", "s3:ListBucket", data, None, "allowed"),
        ("function", "s3:GetObject", data, "probe", "denied"),
        ("function", "s3:PutObject", data, "probe", "denied"),
        ("function", "s3:DeleteObject", data, "probe", "denied"),
        ("function", "s3:ListBucket", other, None, "denied"),
        ("shipper", "s3:ListBucket", data, None, "denied"),
        ("shipper", "s3:GetObject", data, "probe", "denied"),
    ]
    calls: dict[str, Callable[[Any, str, str], Any]] = {
        "s3:ListBucket": lambda s3, bucket, _: s3.list_objects_v2(Bucket=bucket, MaxKeys=1),
        "s3:GetObject": lambda s3, bucket, key: s3.get_object(Bucket=bucket, Key=key),
        "s3:PutObject": lambda s3, bucket, key: s3.put_object(Bucket=bucket, Key=key, Body=b"x"),
        "s3:DeleteObject": lambda s3, bucket, key: s3.delete_object(Bucket=bucket, Key=key),
    }
    sessions = {
        who: role_client(endpoint, platform.region, config.role_arn, "s3", f"local-{who}")
        for who, config in (("function", platform.function), ("shipper", platform.shipper))
    }
    results: list[PolicyCheck] = []
    # moto's own switch (POST /moto-api/reset-auth), so it works for an emulator in another process
    previous = _set_iam_enforcement(endpoint, "0")
    try:
        for who, action, bucket, key, expected in probes:
            resource = f"{bucket}/{key}" if key else bucket
            try:
                calls[action](sessions[who], bucket, key or "")
                outcome = "allowed"
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                outcome = "denied" if code in {"AccessDenied", "403"} else f"error {code}"
            role = (platform.function if who == "function" else platform.shipper).role_arn
            results.append(PolicyCheck(role, action, f"arn:aws:s3:::{resource}", expected, outcome))
    finally:
        _set_iam_enforcement(endpoint, previous)
    return results


def _set_iam_enforcement(endpoint: str, after_requests: str) -> str:
    """moto enforces IAM after ``after_requests`` more requests (``inf``: never); returns the previous."""
    import requests

    response = requests.post(f"{endpoint}/moto-api/reset-auth", data=after_requests.encode(), timeout=10)
    response.raise_for_status()
    previous: str = response.json()["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
    return previous
