"""Session-wide fixtures: the real local services the integration and end-to-end tests talk to.

Each service is started once per test session, on 127.0.0.1, and stopped at the end.

The slow ones start as soon as the tests are collected, in background threads, when a collected test
needs them: the session's Terraform platform (about two minutes, most of it the AWS provider's fixed
waits), the OpenSearch node, and the end-to-end demo (``obsctl demo --keep`` in its own process, which
applies infra/live again). Their waiting then overlaps the unit tests, which run first; a fixture that
needs one waits for it (``_Early``). Measured on the 2-core development machine (2026-12-02, one run
each, back to back): the whole pytest run takes 495 s with ``OBS_TESTS_START_EARLY=0`` and 348 s
with the early start (docs/performance.md, "Test suite and demo").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class LocalApi:
    url: str
    access_key: str
    secret_key: str
    region: str


DESTROYS_PLATFORM = "destroys_platform"
"""Marks the test that destroys the session's platform: it runs after every other test."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{DESTROYS_PLATFORM}: destroys the session platform; runs last")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker(DESTROYS_PLATFORM) is not None)


@dataclass
class SessionPlatform:
    """The emulator of this test session and what ``terraform apply`` created in it (once)."""

    emulator: object
    deployment: object
    destroyed: bool = False


class _Early:
    """Services started in the background once the tests are collected; each is taken (and then
    stopped) by its fixture, or stopped at the end of the session if no fixture took it."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="early-start")
        self._started: dict[str, Future[Any]] = {}
        self._stops: dict[str, Callable[[Any], None]] = {}

    def start(self, name: str, start: Callable[[], Any], stop: Callable[[Any], None]) -> None:
        self._started[name] = self._pool.submit(start)
        self._stops[name] = stop

    def names(self) -> set[str]:
        return set(self._started)

    def future(self, name: str) -> Future[Any]:
        return self._started[name]

    def take(self, name: str, start: Callable[[], Any]) -> Any:
        """The service started early, else started now (a test run that collected it late)."""
        future = self._started.pop(name, None)
        self._stops.pop(name, None)
        return future.result() if future is not None else start()

    def stop_untaken(self) -> None:
        for name, future in self._started.items():
            with suppress(Exception):  # a service that failed to start has nothing to stop
                self._stops[name](future.result())
        self._started.clear()
        self._pool.shutdown(wait=False)


_EARLY = _Early()


def _start_platform() -> SessionPlatform:
    from local_platform.deployment import deploy
    from local_platform.emulator import start_emulator
    from local_platform.names import LocalNames
    from local_platform.stack import allowed_callers
    from local_platform.terraform import BUILD_DIR, EMULATOR_REGION

    # in a process of its own: the unit tests' mock_aws resets the in-process moto
    emulator = start_emulator(LocalNames(region=EMULATOR_REGION), process=True)
    try:
        deployment = deploy(
            emulator.endpoint,
            region=EMULATOR_REGION,
            work_dir=BUILD_DIR / "session",
            allowed_callers=allowed_callers(emulator.names.account_id),
            full_bootstrap=True,
            say=lambda _: None,
        )
    except BaseException:
        emulator.stop()
        raise
    return SessionPlatform(emulator=emulator, deployment=deployment)


def _start_opensearch() -> tuple[str, AbstractContextManager[str]]:
    from local_platform.opensearch import opensearch_session

    session = opensearch_session()
    return session.__enter__(), session


def _stop_opensearch(started: tuple[str, AbstractContextManager[str]]) -> None:
    started[1].__exit__(None, None, None)


@dataclass
class DemoRun:
    """``obsctl demo --keep`` as a user runs it, in its own process, output to a file."""

    process: subprocess.Popen[bytes]
    out_dir: Path
    output: Path
    environ: dict[str, str]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.out_dir, ignore_errors=True)


def _start_demo(node_url: Callable[[], str]) -> DemoRun:
    from signals import config as env

    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRAFANA_")}
    environ[env.ENV_OPENSEARCH_URL] = node_url()  # the session's node, not a second one
    out_dir = Path(tempfile.mkdtemp(prefix="obs-demo-"))
    output = out_dir / "stdout.txt"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "obsctl", "demo", "--keep", "--out", str(out_dir / "demo")],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    return DemoRun(process=process, out_dir=out_dir, output=output, environ=environ)


START_EARLY = "OBS_TESTS_START_EARLY"
"""``0``: start the session services when a fixture first needs them (to measure what the early
start is worth, or to debug one of them alone)."""


def pytest_collection_finish(session: pytest.Session) -> None:
    if os.environ.get(START_EARLY) == "0":
        return
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    if "session_platform" in wanted:
        _EARLY.start("platform", _start_platform, lambda platform: platform.emulator.stop())
    if "opensearch_url" in wanted:
        _EARLY.start("opensearch", _start_opensearch, _stop_opensearch)
    if "demo_run" in wanted and "opensearch" in _EARLY.names():
        node = _EARLY.future("opensearch")
        _EARLY.start("demo", lambda: _start_demo(lambda: node.result()[0]), DemoRun.stop)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _EARLY.stop_untaken()


@pytest.fixture(scope="session")
def session_platform() -> Iterator[SessionPlatform]:
    """Both Terraform roots applied into an in-process emulator, once per session (local_platform.
    deployment, as ``obsctl serve`` and ``make demo`` do; bootstrap whole, as a new user applies it)."""
    platform: SessionPlatform = _EARLY.take("platform", _start_platform)
    try:
        yield platform
    finally:
        platform.emulator.stop()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def demo_run(opensearch_url: str) -> Iterator[DemoRun]:
    """The end-to-end demo, started early (it applies infra/live in its own emulator)."""
    run: DemoRun = _EARLY.take("demo", lambda: _start_demo(lambda: opensearch_url))
    try:
        yield run
    finally:
        run.stop()


@pytest.fixture(scope="session")
def local_stack(session_platform: SessionPlatform) -> Iterator[object]:
    """The local platform on the session's Terraform-created resources: S3 fault proxy, the real
    function as Terraform configured it, behind the SigV4 gateway."""
    from local_platform.stack import running_stack

    assert not session_platform.destroyed, "the session platform was destroyed before this test"
    with running_stack(emulator=session_platform.emulator, deployment=session_platform.deployment) as stack:
        yield stack


@pytest.fixture(scope="session")
def local_api(local_stack: object) -> LocalApi:
    from local_platform.stack import LocalStack

    assert isinstance(local_stack, LocalStack)
    creds = local_stack.credentials
    return LocalApi(local_stack.url, creds.access_key, creds.secret_key, local_stack.names.region)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """A real OpenSearch node on loopback (or $OPENSEARCH_URL), started once per session."""
    started = _EARLY.take("opensearch", _start_opensearch)
    try:
        yield started[0]
    finally:
        _stop_opensearch(started)
