"""The local platform on one machine: emulator, S3 fault proxy, the function, the SigV4 gateway.

The emulator starts empty and ``terraform apply`` of ``infra/live`` fills it (local_platform.deployment);
the function runs with the configuration Terraform gave it (handler, environment, memory, timeout,
role), read back from the emulator, plus only what locality needs: its role's STS credentials, the
endpoints of the emulator and the S3 fault proxy, and the X-Ray daemon's address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from local_platform.deployment import (
    OPERATOR_ROLE_ARN,
    Deployment,
    DeploymentError,
    Platform,
    deploy,
    local_function,
    role_client,
)
from local_platform.emulator import SAMPLE_OBJECT_COUNT, Emulator, put_sample_objects, start_emulator
from local_platform.faults import FaultProxy
from local_platform.gateway import Credentials, LocalGateway
from local_platform.lambda_runtime import LocalFunction
from local_platform.names import LocalNames
from local_platform.xray import XRayDaemon
from obsctl.local_target import local_caller_keys, local_region, local_session_token
from signals import config as env
from signals.services import API_ROUTE_KEY, DEFAULT_ROUTE_KEY

__all__ = [
    "LOCAL_ROLE_PATTERN",
    "LocalStack",
    "allowed_callers",
    "caller_credentials",
    "names_drift",
    "running_stack",
    "start_stack",
]

LOCAL_ROLE_PATTERN = "local-*"
"""Roles whose sessions the local function admits besides the local caller (see ALLOWED_CALLERS)."""


def caller_credentials() -> Credentials:
    """The one caller the local gateway accepts: ``testing``/``testing`` unless overridden by env
    (``OBSCTL_ACCESS_KEY_ID``, ``OBSCTL_SECRET_ACCESS_KEY``, and ``OBSCTL_SESSION_TOKEN`` to play
    temporary credentials)."""
    access_key, secret_key = local_caller_keys()
    return Credentials(access_key=access_key, secret_key=secret_key, session_token=local_session_token())


@dataclass
class LocalStack:
    emulator: Emulator
    proxy: FaultProxy
    function: LocalFunction
    gateway: LocalGateway
    xray: XRayDaemon
    deployment: Deployment
    owns_emulator: bool = True

    @property
    def platform(self) -> Platform:
        return self.deployment.platform

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def credentials(self) -> Credentials:
        return self.gateway.credentials

    @property
    def names(self) -> LocalNames:
        return self.emulator.names

    def stop(self) -> None:
        self.gateway.stop()
        self.xray.stop()
        self.proxy.stop()
        if self.owns_emulator:
            self.emulator.stop()
            self.deployment.remove_work_dir()


def allowed_callers(account_id: str) -> list[str]:
    """Who the local function admits (live's ``api_allowed_callers``): the gateway's own caller and
    sessions of local roles (role/local-*), so temporary callers added to the gateway are admitted too."""
    return [caller_credentials().principal_arn, f"arn:aws:iam::{account_id}:role/{LOCAL_ROLE_PATTERN}"]


def names_drift(platform: Platform, names: LocalNames) -> list[str]:
    """Where what Terraform created differs from the names the local code uses (empty: none)."""
    expected = {
        "function": (platform.function.name, names.function_name),
        "function log group": (platform.function.log_group, names.function_log_group),
        "shipper": (platform.shipper.name, names.shipper_function_name),
        "shipper log group": (platform.shipper.log_group, names.shipper_log_group),
        "notifier": (platform.notifier.name, names.notifier_function_name),
        "access log group": (platform.access_log_group, names.access_log_group),
        "data bucket": (platform.data_bucket, names.data_bucket),
        "dead-letter bucket": (platform.dead_letter_bucket, names.dead_letter_bucket),
    }
    drift = [
        f"{what}: Terraform created {created!r}, the local code uses {used!r}"
        for what, (created, used) in expected.items()
        if created != used
    ]
    # the gateway serves these routes, with SigV4 (local_platform/gateway/request.py)
    served = {API_ROUTE_KEY: "AWS_IAM", DEFAULT_ROUTE_KEY: "AWS_IAM"}
    if platform.routes != served:
        drift.append(
            f"HTTP API routes: Terraform created {platform.routes}, the local gateway serves {served}"
        )
    for topic in (names.alarm_topic_arn, names.chat_topic_arn):
        if topic not in platform.topics:
            drift.append(f"topic {topic} was not created (Terraform created {sorted(platform.topics)})")
    return drift


def start_stack(
    port: int = 0,
    *,
    clock: Callable[[], datetime] | None = None,
    objects: int = SAMPLE_OBJECT_COUNT,
    publish_metrics: bool = True,
    region: str | None = None,
    deployment: Deployment | None = None,
    emulator: Emulator | None = None,
    say: Callable[[str], None] = print,
) -> LocalStack:
    """Start the emulator, apply ``infra/live`` into it, and run the function as Terraform configured it.

    ``region`` (else the environment's, see ``local_region``). A test session passes the ``emulator``
    and the ``deployment`` it made once.
    """
    owned = emulator is None
    emulator = emulator or start_emulator(LocalNames(region=local_region(region)))
    try:
        if deployment is None:
            deployment = deploy(
                emulator.endpoint,
                region=emulator.names.region,
                allowed_callers=allowed_callers(emulator.names.account_id),
                say=say,
            )
        platform = deployment.platform
        emulator.names = LocalNames(
            region=platform.region,
            account_id=platform.account_id,
            stage=platform.stage,
            api_id=platform.api_id,
        )
        drift = names_drift(platform, emulator.names)
        if drift:
            raise DeploymentError(
                "what Terraform created differs from the local code:\n  " + "\n  ".join(drift)
            )
        if objects:
            operator = role_client(
                emulator.endpoint, platform.region, OPERATOR_ROLE_ARN, "s3", "local-operator"
            )
            put_sample_objects(operator, platform.data_bucket, objects)
        proxy = FaultProxy(emulator.endpoint).start()
        xray = XRayDaemon().start()
        function = _local_function(emulator, platform, proxy, xray)
        gateway = LocalGateway(
            emulator=emulator,
            function=function,
            credentials=caller_credentials(),
            clock=clock or (lambda: datetime.now(UTC)),
            publish_metrics=publish_metrics,
            metric_filters=platform.metric_filters,
        ).start(port)
    except BaseException:
        if owned:
            emulator.stop()
            if deployment is not None:
                deployment.remove_work_dir()
        raise
    return LocalStack(
        emulator=emulator,
        proxy=proxy,
        function=function,
        gateway=gateway,
        xray=xray,
        deployment=deployment,
        owns_emulator=owned,
    )


def _local_function(
    emulator: Emulator, platform: Platform, proxy: FaultProxy, xray: XRayDaemon
) -> LocalFunction:
    """The function as Terraform configured it, with its role's credentials (an STS session, as
    Lambda gives it) and the local endpoints."""
    return local_function(
        emulator.endpoint,
        platform,
        platform.function,
        {
            # S3 through the fault proxy (the demo stages outages there); the rest to the emulator
            "AWS_ENDPOINT_URL_S3": proxy.url,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": emulator.endpoint,
            env.ENV_XRAY_DAEMON_ADDRESS: xray.address,
        },
    )


@contextmanager
def running_stack(port: int = 0, **kwargs: object) -> Iterator[LocalStack]:
    stack = start_stack(port, **kwargs)  # type: ignore[arg-type]
    try:
        yield stack
    finally:
        stack.stop()
