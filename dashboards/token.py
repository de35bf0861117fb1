"""Mint a short-lived Amazon Managed Grafana service-account token for one publish run.

API keys are legacy in Managed Grafana; a workspace service account gets a token per run with a
short time to live, and the token is deleted as soon as the run ends, whether it succeeded or not.
A leaked token is then useless within minutes. The account has the ADMIN role (created by
infra/modules/grafana): publishing creates data sources and alerting provisioning objects, which
Grafana allows admins only; the short life of the token is what bounds that power.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

DEFAULT_TTL_SECONDS: Final = 900
MAX_TTL_SECONDS: Final = 2_592_000  # the API's limit (30 days); we never need that long
_WORKSPACE_ID = re.compile(r"^g-[0-9a-f]{10}$")


class TokenError(Exception):
    """Bad input or a failed Managed Grafana call, with an operator-facing message."""


def find_service_account(client: Any, workspace_id: str, name: str) -> str:
    """The id of the workspace service account called ``name``."""
    paginator_args: dict[str, Any] = {"workspaceId": workspace_id}
    while True:
        page = client.list_workspace_service_accounts(**paginator_args)
        for account in page.get("serviceAccounts", []):
            if account["name"] == name:
                # The API model types isDisabled as a string ("true" / "false").
                if str(account.get("isDisabled", "false")).lower() == "true":
                    raise TokenError(f"service account {name!r} of workspace {workspace_id} is disabled")
                return str(account["id"])
        if not page.get("nextToken"):
            raise TokenError(f"workspace {workspace_id} has no service account named {name!r}")
        paginator_args["nextToken"] = page["nextToken"]


@contextmanager
def service_account_token(
    client: Any,
    workspace_id: str,
    service_account_id: str,
    *,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    name_prefix: str = "obsctl-publish",
    clock: Any = time.time,
) -> Iterator[str]:
    """Yield a fresh token (``glsa_...``) and delete it on exit.

    ``client`` is a boto3 ``grafana`` client (the caller picks region and credentials).
    """
    if not _WORKSPACE_ID.match(workspace_id):
        raise TokenError(f"not a Managed Grafana workspace id: {workspace_id!r} (expected g-xxxxxxxxxx)")
    if not 60 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise TokenError(f"token TTL must be between 60 and {MAX_TTL_SECONDS} seconds, got {ttl_seconds}")
    name = f"{name_prefix}-{int(clock())}"
    response = client.create_workspace_service_account_token(
        workspaceId=workspace_id,
        serviceAccountId=service_account_id,
        name=name,
        secondsToLive=ttl_seconds,
    )
    token = response["serviceAccountToken"]
    try:
        yield str(token["key"])
    finally:
        client.delete_workspace_service_account_token(
            workspaceId=workspace_id, serviceAccountId=service_account_id, tokenId=token["id"]
        )
