"""Session-wide fixtures: the real local services the integration and end-to-end tests talk to.

Each service is started once per test session, on 127.0.0.1, and stopped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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


@pytest.fixture(scope="session")
def session_platform() -> Iterator[SessionPlatform]:
    """Both Terraform roots applied into an in-process emulator, once per session (local_platform.
    deployment, as ``obsctl serve`` and ``make demo`` do; bootstrap whole, as a new user applies it)."""
    from local_platform.deployment import deploy
    from local_platform.emulator import start_emulator
    from local_platform.names import LocalNames
    from local_platform.stack import allowed_callers
    from local_platform.terraform import BUILD_DIR, EMULATOR_REGION

    emulator = start_emulator(LocalNames(region=EMULATOR_REGION))
    try:
        deployment = deploy(
            emulator.endpoint,
            region=EMULATOR_REGION,
            work_dir=BUILD_DIR / "session",
            allowed_callers=allowed_callers(emulator.names.account_id),
            full_bootstrap=True,
            say=lambda _: None,
        )
        yield SessionPlatform(emulator=emulator, deployment=deployment)
    finally:
        emulator.stop()


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
    from local_platform.opensearch import opensearch_session

    with opensearch_session() as url:
        yield url
