"""The local platform on one machine: emulator, S3 fault proxy, the function, the SigV4 gateway."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from local_platform.emulator import SAMPLE_OBJECT_COUNT, Emulator, start_emulator
from local_platform.faults import FaultProxy
from local_platform.gateway import Credentials, LocalGateway
from local_platform.lambda_runtime import LocalFunction
from local_platform.names import LocalNames
from local_platform.xray import XRayDaemon
from obsctl.local_target import local_caller_keys, local_region, local_session_token
from signals import config as env
from signals.metrics import NAMESPACE
from signals.services import API_SERVICE

__all__ = [
    "FUNCTION_HANDLER",
    "LOCAL_ROLE_PATTERN",
    "LocalStack",
    "caller_credentials",
    "running_stack",
    "start_stack",
]

LOCAL_ROLE_PATTERN = "local-*"
"""Roles whose sessions the local function admits besides the local caller (see ALLOWED_CALLERS)."""
FUNCTION_HANDLER = "function.app:handler"


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
        self.emulator.stop()


def start_stack(
    port: int = 0,
    *,
    names: LocalNames | None = None,
    clock: Callable[[], datetime] | None = None,
    objects: int = SAMPLE_OBJECT_COUNT,
    publish_metrics: bool = True,
    region: str | None = None,
) -> LocalStack:
    """Start everything; ``region`` (else the environment's, see ``local_region``) unless ``names`` say."""
    emulator = start_emulator(names or LocalNames(region=local_region(region)), objects=objects)
    try:
        proxy = FaultProxy(emulator.endpoint).start()
        xray = XRayDaemon().start()
        names = emulator.names
        function = LocalFunction(
            handler_path=FUNCTION_HANDLER,
            function_name=names.function_name,
            log_group=names.function_log_group,
            region=names.region,
            account_id=names.account_id,
            environment={
                env.ENV_BUCKET_NAME: names.data_bucket,
                env.ENV_TOKEN_SECRET: secrets.token_urlsafe(32),
                # The function admits the gateway's own caller and sessions of local roles
                # (role/local-*), so temporary callers added to the gateway are admitted too.
                env.ENV_ALLOWED_CALLERS: (
                    f"{caller_credentials().principal_arn},"
                    f"arn:aws:iam::{names.account_id}:role/{LOCAL_ROLE_PATTERN}"
                ),
                env.ENV_POWERTOOLS_SERVICE_NAME: API_SERVICE,
                env.ENV_POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
                # The function's own (emulated) role credentials and S3 endpoint; botocore reads these.
                "AWS_ACCESS_KEY_ID": emulator.access_key,
                "AWS_SECRET_ACCESS_KEY": emulator.secret_key,
                "AWS_ENDPOINT_URL_S3": proxy.url,
                env.ENV_XRAY_DAEMON_ADDRESS: xray.address,
            },
        )
        gateway = LocalGateway(
            emulator=emulator,
            function=function,
            credentials=caller_credentials(),
            clock=clock or (lambda: datetime.now(UTC)),
            publish_metrics=publish_metrics,
        ).start(port)
    except BaseException:
        emulator.stop()
        raise
    return LocalStack(emulator=emulator, proxy=proxy, function=function, gateway=gateway, xray=xray)


@contextmanager
def running_stack(port: int = 0, **kwargs: object) -> Iterator[LocalStack]:
    stack = start_stack(port, **kwargs)  # type: ignore[arg-type]
    try:
        yield stack
    finally:
        stack.stop()
