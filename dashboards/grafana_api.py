"""A thin client for the parts of Grafana's HTTP API that publishing needs.

Every call goes through ``request``: bearer token, JSON in and out, retries with exponential backoff
on 5xx and on connection failures (Grafana behind a load balancer returns 502/503 while it restarts),
and one-line errors for what an operator can fix: a bad token (401), a token without the role
(403), someone else's edit (412 ``version-mismatch``), an unreachable host.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote

import requests

RETRY_STATUSES: Final = frozenset({500, 502, 503, 504})


class GrafanaError(Exception):
    """A failed Grafana call, with a message meant for the operator."""


class GrafanaAuthError(GrafanaError):
    """401 or 403."""


class GrafanaConflictError(GrafanaError):
    """412 Precondition Failed (version-mismatch, name-exists, plugin-dashboard) or 409."""


class GrafanaUnreachableError(GrafanaError):
    """No HTTP answer at all after the retries."""


class GrafanaClient:
    """Grafana HTTP API over one ``requests.Session``."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise GrafanaError(f"Grafana URL must start with http:// or https://, got {url!r}")
        if not token:
            raise GrafanaError("no Grafana token: set GRAFANA_TOKEN (a service account token)")
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self.base_url = url.rstrip("/")
        self._session = session or requests.Session()
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep

    def request(self, method: str, path: str, body: Any = None, *, allow_404: bool = False) -> Any:
        """One API call; returns the decoded JSON body (None for 404 when ``allow_404``)."""
        url = self.base_url + path
        for attempt in range(1, self._attempts + 1):
            last_try = attempt == self._attempts
            try:
                response = self._session.request(
                    method, url, json=body, headers=self._headers, timeout=self._timeout
                )
            except requests.ConnectionError as exc:
                if last_try:
                    raise GrafanaUnreachableError(
                        f"cannot reach Grafana at {self.base_url} ({type(exc).__name__}); "
                        "check the URL and the network"
                    ) from exc
                self._sleep(self._delay(attempt, None))
                continue
            except requests.Timeout as exc:
                if last_try:
                    raise GrafanaUnreachableError(
                        f"Grafana at {self.base_url} did not answer {method} {path} within {self._timeout:g}s"
                    ) from exc
                self._sleep(self._delay(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and not last_try:
                self._sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            try:
                return self._decode(method, path, response, allow_404)
            except GrafanaConflictError as exc:
                if attempt > 1 and method != "GET":
                    # A 5xx can hide a write that did happen; the retry then meets its own result.
                    raise GrafanaConflictError(
                        f"{exc} (after a retry: the first attempt may have succeeded; publish again)"
                    ) from None
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after and retry_after.isdigit():
            return float(retry_after)
        return float(self._backoff * 2 ** (attempt - 1))

    def _decode(self, method: str, path: str, response: requests.Response, allow_404: bool) -> Any:
        status = response.status_code
        what = f"{method} {path}"
        message = _message(response)
        if 200 <= status < 300:
            return response.json() if response.content else None
        if status == 404 and allow_404:
            return None
        if status == 401:
            raise GrafanaAuthError(
                f"Grafana rejected the token (401 Unauthorized) on {what}: "
                "GRAFANA_TOKEN is missing, expired or for another workspace"
            )
        if status == 403:
            raise GrafanaAuthError(
                f"the token may not {what} (403 Forbidden: {message}); "
                "give the service account the Admin role"
            )
        if status in (409, 412):
            reason = _status_field(response)
            raise GrafanaConflictError(
                f"{what} refused ({status} {reason or 'conflict'}: {message}); someone changed it in "
                "Grafana since it was read: publish again to re-read it"
            )
        raise GrafanaError(f"{what} failed with HTTP {status}: {message}")

    # --- folders -------------------------------------------------------------------------------
    def get_folder(self, uid: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request("GET", f"/api/folders/{_seg(uid)}", allow_404=True)
        return result

    def create_folder(self, uid: str, title: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/api/folders", {"uid": uid, "title": title})
        return result

    def update_folder(self, uid: str, title: str, version: int) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT", f"/api/folders/{_seg(uid)}", {"title": title, "version": version}
        )
        return result

    # --- data sources --------------------------------------------------------------------------
    def get_datasource(self, uid: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request(
            "GET", f"/api/datasources/uid/{_seg(uid)}", allow_404=True
        )
        return result

    def create_datasource(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/api/datasources", body)
        return result

    def update_datasource(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("PUT", f"/api/datasources/uid/{_seg(uid)}", body)
        return result

    # --- dashboards ----------------------------------------------------------------------------
    def get_dashboard(self, uid: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request(
            "GET", f"/api/dashboards/uid/{_seg(uid)}", allow_404=True
        )
        return result

    def save_dashboard(self, dashboard: dict[str, Any], folder_uid: str, message: str) -> dict[str, Any]:
        body = {"dashboard": dashboard, "folderUid": folder_uid, "message": message, "overwrite": False}
        result: dict[str, Any] = self.request("POST", "/api/dashboards/db", body)
        return result

    # --- alerting provisioning -----------------------------------------------------------------
    def get_alert_rule(self, uid: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request(
            "GET", f"/api/v1/provisioning/alert-rules/{_seg(uid)}", allow_404=True
        )
        return result

    def create_alert_rule(self, rule: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/api/v1/provisioning/alert-rules", rule)
        return result

    def update_alert_rule(self, uid: str, rule: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("PUT", f"/api/v1/provisioning/alert-rules/{_seg(uid)}", rule)
        return result

    def get_rule_group(self, folder_uid: str, group: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request(
            "GET",
            f"/api/v1/provisioning/folder/{_seg(folder_uid)}/rule-groups/{_seg(group)}",
            allow_404=True,
        )
        return result

    def put_rule_group(self, folder_uid: str, group: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT", f"/api/v1/provisioning/folder/{_seg(folder_uid)}/rule-groups/{_seg(group)}", body
        )
        return result

    def list_contact_points(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", "/api/v1/provisioning/contact-points")
        return result

    def create_contact_point(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "/api/v1/provisioning/contact-points", body)
        return result

    def update_contact_point(self, uid: str, body: dict[str, Any]) -> None:
        self.request("PUT", f"/api/v1/provisioning/contact-points/{_seg(uid)}", body)

    def get_template(self, name: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self.request(
            "GET", f"/api/v1/provisioning/templates/{_seg(name)}", allow_404=True
        )
        return result

    def put_template(self, name: str, template: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT", f"/api/v1/provisioning/templates/{_seg(name)}", {"template": template}
        )
        return result


def _seg(value: str) -> str:
    return quote(value, safe="")


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason
    if isinstance(body, dict):
        # Most endpoints answer {"message": ...}; alerting provisioning's ValidationError is {"msg": ...}.
        for key in ("message", "msg"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return str(body)[:200]


def _status_field(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("status", "")) if isinstance(body, dict) else ""
