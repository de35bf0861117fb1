"""Publish the rendered dashboards, their data sources and the Grafana alert rules to Grafana.

Publishing is a plan of upserts computed by reading what Grafana holds first and comparing it with
what the repository renders: an object that already matches is left alone, so a second run makes no
write at all (and does not bump dashboard versions). Writes carry the version that was read, so an
edit made in the UI in between fails with a 412 instead of being silently overwritten. A dry run
reads, compares and reports the plan without writing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from dashboards.grafana_api import GrafanaClient, GrafanaError
from dashboards.model import CLOUDWATCH, OPENSEARCH
from signals import logs as fields
from signals import metrics as M
from signals.services import PROJECT

CREATE: Final = "create"
UPDATE: Final = "update"
UNCHANGED: Final = "unchanged"

DEFAULT_FOLDER_TITLE: Final = "Observability platform"
DEFAULT_FOLDER_UID: Final = PROJECT
ALERT_RULES_FILE: Final = Path("alerts/rendered/grafana-alert-rules.json")


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: str
    detail: str = ""

    def line(self) -> str:
        suffix = f" ({self.detail})" if self.detail else ""
        return f"{self.action:9} {self.kind:13} {self.name}{suffix}"


@dataclass(frozen=True)
class Target:
    """Where and how to publish: the Grafana folder and the data source settings."""

    region: str
    opensearch_url: str | None
    opensearch_auth: str = "aoss"
    folder_title: str = DEFAULT_FOLDER_TITLE
    folder_uid: str = DEFAULT_FOLDER_UID

    def __post_init__(self) -> None:
        if self.opensearch_auth not in ("aoss", "none"):
            raise ValueError(f"opensearch_auth must be 'aoss' or 'none', got {self.opensearch_auth!r}")
        if not self.folder_title.strip():
            raise ValueError("the folder name must not be empty")


@dataclass
class Alerting:
    """Grafana alerting objects to provision (from the rendered provisioning file)."""

    rules: list[dict[str, Any]] = field(default_factory=list)
    group_intervals: dict[str, int] = field(default_factory=dict)
    contact_points: list[dict[str, Any]] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)


def desired_datasources(target: Target) -> list[dict[str, Any]]:
    """The CloudWatch and OpenSearch data sources, under the uids the dashboards reference."""
    sources: list[dict[str, Any]] = [
        {
            "uid": CLOUDWATCH.uid,
            "name": f"CloudWatch ({PROJECT})",
            "type": CLOUDWATCH.type,
            "access": "proxy",
            "isDefault": False,
            "jsonData": {
                # Managed Grafana: the workspace's IAM role (SERVICE_MANAGED permission type).
                "authType": "ec2_iam_role",
                "defaultRegion": target.region,
                "customMetricsNamespaces": f"{M.NAMESPACE},{M.LOG_METRIC_NAMESPACE}",
            },
        }
    ]
    if target.opensearch_url:
        json_data: dict[str, Any] = {
            "database": fields.ALL_INDICES_PATTERN,
            "flavor": "opensearch",
            "version": "1.0.0",
            "timeField": fields.TIMESTAMP,
            "logMessageField": fields.MESSAGE,
            "logLevelField": fields.LOG_LEVEL,
            "maxConcurrentShardRequests": 5,
            "pplEnabled": True,
        }
        if target.opensearch_auth == "aoss":
            # The plugin signs for the `aoss` service when `serverless` is on.
            json_data.update(
                {
                    "serverless": True,
                    "sigV4Auth": True,
                    "sigV4AuthType": "ec2_iam_role",
                    "sigV4Region": target.region,
                }
            )
        sources.append(
            {
                "uid": OPENSEARCH.uid,
                "name": f"OpenSearch logs ({PROJECT})",
                "type": OPENSEARCH.type,
                "access": "proxy",
                "url": target.opensearch_url,
                "isDefault": False,
                "jsonData": json_data,
            }
        )
    return sources


def alerting_placeholders() -> tuple[str, ...]:
    """The ``${OBS_*}`` names the rendered alert rules expect (deployment values)."""
    from alerts.grafana import PLACEHOLDERS

    return tuple(PLACEHOLDERS)


def load_alerting(path: Path, bindings: Mapping[str, str]) -> Alerting:
    """Read Grafana's file-provisioning format (``groups``, ``contactPoints``, ``templates``).

    The file carries ``${OBS_*}`` placeholders that Grafana's file provisioning would take from
    its environment; over the HTTP API they are bound here, and a missing one is an error.
    """
    from alerts.grafana import bind_placeholders

    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GrafanaError(f"alert rules file {path} does not exist: run `make render`") from None
    missing = sorted(set(re.findall(r"\$\{(OBS_[A-Z_]+)\}", raw)) - set(bindings))
    if missing:
        raise GrafanaError(
            f"the alert rules need deployment values: set {', '.join(missing)} (or pass --no-alert-rules)"
        )
    try:
        document = json.loads(bind_placeholders(raw, bindings))
    except ValueError as exc:
        raise GrafanaError(f"alert rules file {path} is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise GrafanaError(f"alert rules file {path}: expected a JSON object")
    alerting = Alerting()
    for group in document.get("groups", []):
        name = group["name"]
        alerting.group_intervals[name] = _seconds(group.get("interval", "1m"))
        for rule in group.get("rules", []):
            api_rule = {k: v for k, v in rule.items() if k not in ("orgId", "orgID")}
            api_rule["orgID"] = int(group.get("orgId", 1))  # required by ProvisionedAlertRule
            api_rule["ruleGroup"] = name
            alerting.rules.append(api_rule)
    for point in document.get("contactPoints", []):
        for receiver in point.get("receivers", []):
            alerting.contact_points.append(
                {
                    "uid": receiver["uid"],
                    "name": point["name"],
                    "type": receiver["type"],
                    "settings": receiver.get("settings", {}),
                    "disableResolveMessage": bool(receiver.get("disableResolveMessage", False)),
                }
            )
    for template in document.get("templates", []):
        alerting.templates[template["name"]] = template["template"]
    return alerting


def _seconds(interval: str | int) -> int:
    if isinstance(interval, int):
        return interval
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        return int(interval[:-1]) * units[interval[-1]]
    except (KeyError, ValueError, IndexError):
        raise GrafanaError(f"cannot read rule group interval {interval!r}") from None


_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000}


def duration_seconds(text: str) -> float:
    """Seconds of a Prometheus/Go duration ("600s", "10m", "10m0s", "1h30m"), as Grafana writes them."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise GrafanaError(f"cannot read duration {text!r}")
    return sum(int(number) * _DURATION_SECONDS[unit] for number, unit in parts)


def _same_rule(wanted: dict[str, Any], current: dict[str, Any]) -> bool:
    """Grafana answers ``for`` normalised ("600s" comes back as "10m"): compare it as a duration."""
    if duration_seconds(str(wanted.get("for", "0s"))) != duration_seconds(str(current.get("for", "0s"))):
        return False
    return _subset_equal({k: v for k, v in wanted.items() if k != "for"}, current)


def _subset_equal(wanted: Any, actual: Any) -> bool:
    """True when every key we set has the same value remotely (Grafana adds fields of its own)."""
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(_subset_equal(v, actual.get(k)) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(wanted) == len(actual)
            and all(_subset_equal(w, a) for w, a in zip(wanted, actual, strict=True))
        )
    return bool(wanted == actual)


class Publisher:
    def __init__(self, client: GrafanaClient, target: Target, *, dry_run: bool = False) -> None:
        self.client = client
        self.target = target
        self.dry_run = dry_run
        self.changes: list[Change] = []

    def _record(self, kind: str, name: str, action: str, detail: str = "") -> bool:
        """Note a change; True when it should be written now."""
        self.changes.append(Change(kind, name, action, detail))
        return action != UNCHANGED and not self.dry_run

    def publish(self, dashboards: Mapping[str, dict[str, Any]], alerting: Alerting | None) -> list[Change]:
        self.folder()
        for source in desired_datasources(self.target):
            self.datasource(source)
        for model in dashboards.values():
            self.dashboard(model)
        if alerting is not None:
            self.alerting(alerting)
        return self.changes

    def folder(self) -> None:
        uid, title = self.target.folder_uid, self.target.folder_title
        current = self.client.get_folder(uid)
        if current is None:
            if self._record("folder", title, CREATE):
                self.client.create_folder(uid, title)
        elif current.get("title") != title:
            if self._record("folder", title, UPDATE, f"was {current.get('title')!r}"):
                self.client.update_folder(uid, title, int(current.get("version", 0)))
        else:
            self._record("folder", title, UNCHANGED)

    def datasource(self, wanted: dict[str, Any]) -> None:
        current = self.client.get_datasource(wanted["uid"])
        if current is None:
            if self._record("datasource", wanted["name"], CREATE):
                self.client.create_datasource(wanted)
        elif not _subset_equal(wanted, current):
            if self._record("datasource", wanted["name"], UPDATE):
                self.client.update_datasource(wanted["uid"], {**wanted, "version": current.get("version")})
        else:
            self._record("datasource", wanted["name"], UNCHANGED)

    def dashboard(self, model: dict[str, Any]) -> None:
        uid, title = model["uid"], model["title"]
        current = self.client.get_dashboard(uid)
        if current is None:
            if self._record("dashboard", title, CREATE):
                self.client.save_dashboard(
                    {**model, "id": None}, self.target.folder_uid, "published by obsctl"
                )
            return
        remote = current["dashboard"]
        same_folder = current.get("meta", {}).get("folderUid") == self.target.folder_uid
        ignored = ("id", "version")
        same_model = {k: v for k, v in remote.items() if k not in ignored} == {
            k: v for k, v in model.items() if k not in ignored
        }
        if same_model and same_folder:
            self._record("dashboard", title, UNCHANGED)
            return
        detail = "moved to the folder" if same_model else f"differs from version {remote.get('version')}"
        if self._record("dashboard", title, UPDATE, detail):
            self.client.save_dashboard(
                {**model, "id": remote.get("id"), "version": remote.get("version")},
                self.target.folder_uid,
                "published by obsctl",
            )

    def alerting(self, alerting: Alerting) -> None:
        for name, template in sorted(alerting.templates.items()):
            current = self.client.get_template(name)
            if current is None or current.get("template") != template:
                action = CREATE if current is None else UPDATE
                if self._record("template", name, action):
                    self.client.put_template(name, template)
            else:
                self._record("template", name, UNCHANGED)
        # Contact points before rules: each rule routes itself to one by name (notification_settings,
        # simplified routing), so the workspace's notification policy tree is never written.
        existing_points = {p.get("uid"): p for p in self.client.list_contact_points()}
        for point in alerting.contact_points:
            current_point = existing_points.get(point["uid"])
            if current_point is None:
                if self._record("contact-point", point["name"], CREATE):
                    self.client.create_contact_point(point)
            elif not _subset_equal(point, current_point):
                if self._record("contact-point", point["name"], UPDATE):
                    self.client.update_contact_point(point["uid"], point)
            else:
                self._record("contact-point", point["name"], UNCHANGED)
        for rule in alerting.rules:
            wanted = {**rule, "folderUID": self.target.folder_uid}
            current_rule = self.client.get_alert_rule(wanted["uid"])
            if current_rule is None:
                if self._record("alert-rule", wanted["title"], CREATE):
                    self.client.create_alert_rule(wanted)
            elif not _same_rule(wanted, current_rule):
                if self._record("alert-rule", wanted["title"], UPDATE):
                    self.client.update_alert_rule(wanted["uid"], wanted)
            else:
                self._record("alert-rule", wanted["title"], UNCHANGED)
        for group, interval in sorted(alerting.group_intervals.items()):
            self.rule_group(group, interval)

    def rule_group(self, group: str, interval: int) -> None:
        folder_uid = self.target.folder_uid
        current = (
            None
            if self.dry_run and not self._folder_exists()
            else self.client.get_rule_group(folder_uid, group)
        )
        if current is not None and current.get("interval") == interval:
            self._record("rule-group", group, UNCHANGED)
            return
        detail = f"evaluate every {interval}s"
        if self._record("rule-group", group, UPDATE if current else CREATE, detail):
            latest = self.client.get_rule_group(folder_uid, group) or {"rules": []}
            self.client.put_rule_group(
                folder_uid,
                group,
                {"title": group, "folderUid": folder_uid, "interval": interval, "rules": latest["rules"]},
            )

    def _folder_exists(self) -> bool:
        return self.client.get_folder(self.target.folder_uid) is not None
