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


@pytest.fixture(scope="session")
def local_stack() -> Iterator[object]:
    """The local platform: moto server, S3 fault proxy, the real function behind the SigV4 gateway."""
    from local_platform.stack import running_stack

    with running_stack() as stack:
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
