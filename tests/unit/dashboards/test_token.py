"""The short-lived Managed Grafana token, against botocore's Stubber.

No emulator implements Managed Grafana; the Stubber validates every request against the real
``grafana`` service model (required parameters, types, the TTL's range), so a wrong call fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from dashboards.token import TokenError, find_service_account, service_account_token

WORKSPACE = "g-0123456789"
ACCOUNT_ID = "7"


@pytest.fixture
def grafana() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "grafana", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _created(token_id: str = "tok-1") -> dict[str, Any]:
    return {
        "serviceAccountToken": {"id": token_id, "name": "obsctl-publish-1700000000", "key": "glsa_secret"},
        "serviceAccountId": ACCOUNT_ID,
        "workspaceId": WORKSPACE,
    }


def test_mints_a_short_lived_token_and_deletes_it_after_use(grafana: tuple[Any, Stubber]) -> None:
    client, stubber = grafana
    stubber.add_response(
        "create_workspace_service_account_token",
        _created(),
        {
            "workspaceId": WORKSPACE,
            "serviceAccountId": ACCOUNT_ID,
            "name": "obsctl-publish-1700000000",
            "secondsToLive": 900,
        },
    )
    stubber.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "tok-1", "serviceAccountId": ACCOUNT_ID, "workspaceId": WORKSPACE},
        {"workspaceId": WORKSPACE, "serviceAccountId": ACCOUNT_ID, "tokenId": "tok-1"},
    )
    with service_account_token(client, WORKSPACE, ACCOUNT_ID, clock=lambda: 1_700_000_000.5) as token:
        assert token == "glsa_secret"


def test_the_token_is_deleted_even_when_publishing_fails(grafana: tuple[Any, Stubber]) -> None:
    client, stubber = grafana
    stubber.add_response("create_workspace_service_account_token", _created("tok-2"))
    stubber.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "tok-2", "serviceAccountId": ACCOUNT_ID, "workspaceId": WORKSPACE},
        {"workspaceId": WORKSPACE, "serviceAccountId": ACCOUNT_ID, "tokenId": "tok-2"},
    )
    with (
        pytest.raises(RuntimeError, match="publish failed"),
        service_account_token(client, WORKSPACE, ACCOUNT_ID),
    ):
        raise RuntimeError("publish failed")


def test_finds_the_service_account_across_pages(grafana: tuple[Any, Stubber]) -> None:
    client, stubber = grafana
    stubber.add_response(
        "list_workspace_service_accounts",
        {
            "serviceAccounts": [{"id": "3", "name": "other", "isDisabled": "false", "grafanaRole": "VIEWER"}],
            "nextToken": "page-2",
            "workspaceId": WORKSPACE,
        },
        {"workspaceId": WORKSPACE},
    )
    stubber.add_response(
        "list_workspace_service_accounts",
        {
            "serviceAccounts": [
                {"id": ACCOUNT_ID, "name": "obsctl", "isDisabled": "false", "grafanaRole": "ADMIN"}
            ],
            "workspaceId": WORKSPACE,
        },
        {"workspaceId": WORKSPACE, "nextToken": "page-2"},
    )
    assert find_service_account(client, WORKSPACE, "obsctl") == ACCOUNT_ID


def test_a_missing_or_disabled_service_account_is_named(grafana: tuple[Any, Stubber]) -> None:
    client, stubber = grafana
    stubber.add_response(
        "list_workspace_service_accounts",
        {
            "serviceAccounts": [{"id": "3", "name": "obsctl", "isDisabled": "true", "grafanaRole": "ADMIN"}],
            "workspaceId": WORKSPACE,
        },
    )
    with pytest.raises(TokenError, match="service account 'obsctl' of workspace g-0123456789 is disabled"):
        find_service_account(client, WORKSPACE, "obsctl")
    stubber.add_response("list_workspace_service_accounts", {"serviceAccounts": [], "workspaceId": WORKSPACE})
    with pytest.raises(TokenError, match="has no service account named 'ci'"):
        find_service_account(client, WORKSPACE, "ci")


@pytest.mark.parametrize(
    ("workspace", "ttl", "message"),
    [
        ("workspace-1", 900, "not a Managed Grafana workspace id"),
        (WORKSPACE, 30, "TTL must be between 60 and 2592000 seconds"),
        (WORKSPACE, 3_000_000, "TTL must be between 60 and 2592000 seconds"),
    ],
)
def test_bad_input_is_refused_before_any_call(
    grafana: tuple[Any, Stubber], workspace: str, ttl: int, message: str
) -> None:
    client, _stubber = grafana
    with (
        pytest.raises(TokenError, match=message),
        service_account_token(client, workspace, ACCOUNT_ID, ttl_seconds=ttl),
    ):
        pass
