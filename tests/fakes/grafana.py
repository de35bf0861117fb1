"""An in-memory Grafana that speaks the documented HTTP API, for publish tests.

There is no Grafana (and no Managed Grafana emulator) on this machine, so the publish tests talk to
this fake over real HTTP on 127.0.0.1. It follows Grafana's documented HTTP API exactly for the
endpoints publishing uses, requests and responses alike (docs/sources/developers/http_api/
folder.md, dashboard.md, data_source.md, alerting_provisioning.md in grafana/grafana):

- ``Authorization: Bearer <token>``: unknown token -> 401 ``{"message": "Unauthorized"}``; a Viewer
  token may read but any write -> 403 ``{"message": "You'll need additional permissions ..."}``.
- ``GET/POST /api/folders``, ``GET/PUT /api/folders/:uid`` (PUT needs the current ``version`` unless
  ``overwrite``; otherwise 412 ``{"message": "The folder has been changed by someone else",
  "status": "version-mismatch"}``; POST of an existing uid -> 409).
- ``GET/POST /api/datasources``, ``GET/PUT /api/datasources/uid/:uid`` (POST answers
  ``{"datasource", "id", "message": "Datasource added", "name"}``; a duplicate name -> 409).
- ``POST /api/dashboards/db`` (``dashboard``, ``folderUid``, ``message``, ``overwrite``; answers
  ``{"id", "uid", "url", "status": "success", "version", "slug"}``; a stale ``version`` without
  overwrite -> 412 ``version-mismatch``; same title in the folder under another uid -> 412
  ``name-exists``), ``GET /api/dashboards/uid/:uid`` (``{"dashboard", "meta"}``).
- ``/api/v1/provisioning/alert-rules`` (POST -> 201, GET/PUT ``/:uid`` -> 200, 404 when absent),
  ``/api/v1/provisioning/folder/:folderUid/rule-groups/:group`` (GET/PUT -> 200),
  ``/api/v1/provisioning/contact-points`` (GET list, POST -> 202, PUT ``/:uid`` -> 202),
  ``/api/v1/provisioning/templates/:name`` (GET -> 200/404, PUT -> 202); their 400s carry the
  documented ``ValidationError`` body ``{"msg": ...}``, and a rule needs every property the docs mark
  required for ``ProvisionedAlertRule`` (orgID, folderUID, ruleGroup, title, condition, data,
  noDataState, execErrState, for). A rule's optional ``notification_settings``
  (``AlertRuleNotificationSettings``, Grafana >= 10.4 simplified routing) is stored and returned;
  its ``receiver`` is required when the object is given.

Where the docs are silent the fake says so: a rule group created by posting a rule gets a 60 s
interval (Grafana's default evaluation interval), and error messages other than the documented
412 / 409 bodies are worded by the fake.

Every request is recorded in ``calls`` (method, path, JSON body) so tests assert the exact calls.
``fail_next`` injects server errors; ``bump_dashboard`` simulates an edit made by someone else.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local_platform.http_server import HttpRequest, HttpResponse, LoopbackServer

ADMIN = "Admin"
VIEWER = "Viewer"


@dataclass
class Call:
    method: str
    path: str
    body: Any


@dataclass
class _Fault:
    status: int
    remaining: int
    method: str | None
    path_prefix: str


@dataclass
class GrafanaState:
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    """uid -> {"dashboard": model, "folderUid": str}"""
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_intervals: dict[tuple[str, str], int] = field(default_factory=dict)
    contact_points: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeGrafana:
    """Start with ``with FakeGrafana() as grafana:``; ``grafana.url`` and ``grafana.token``."""

    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens = tokens or {"admin-token": ADMIN, "viewer-token": VIEWER}
        self.token = next(t for t, role in self.tokens.items() if role == ADMIN)
        self.state = GrafanaState()
        self.calls: list[Call] = []
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: LoopbackServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeGrafana:
        self._server = LoopbackServer(
            self._handle, name="fake-grafana", methods=("GET", "POST", "PUT", "DELETE")
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeGrafana as a context manager"
        return self._server.url

    def _handle(self, request: HttpRequest) -> HttpResponse:
        status, body = self._dispatch(
            request.method, request.target, request.header("Authorization"), request.body
        )
        payload = json.dumps(body).encode() if body is not None else b""
        return HttpResponse(status, (("Content-Type", "application/json; charset=UTF-8"),), payload)

    # --- test controls -------------------------------------------------------------------------
    def fail_next(
        self, status: int, count: int = 1, *, method: str | None = None, path_prefix: str = "/"
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (e.g. 503)."""
        self._faults.append(_Fault(status, count, method, path_prefix))

    def bump_dashboard(self, uid: str) -> None:
        """Simulate a save by someone else: the stored version moves on."""
        with self._lock:
            stored = self.state.dashboards[uid]["dashboard"]
            stored["version"] += 1
            stored["description"] = "edited in the UI"

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]

    # --- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, method: str, target: str, auth: str | None, raw: bytes) -> tuple[int, Any]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "bad request data"}
        with self._lock:
            self.calls.append(Call(method, path, body))
            for fault in self._faults:
                if (
                    fault.remaining > 0
                    and path.startswith(fault.path_prefix)
                    and fault.method in (None, method)
                ):
                    fault.remaining -= 1
                    return fault.status, {"message": "internal server error"}
            role = self.tokens.get((auth or "").removeprefix("Bearer ").strip()) if auth else None
            if role is None:
                return 401, {"message": "Unauthorized"}
            if method != "GET" and role != ADMIN:
                return 403, {
                    "accessErrorId": "ACE0000000001",
                    "message": "You'll need additional permissions to perform this action.",
                    "title": "Access denied",
                }
            for pattern, verb, handler in self._routes():
                match = re.fullmatch(pattern, path)
                if match and verb == method:
                    args = [unquote(a) for a in match.groups()]
                    result: tuple[int, Any] = handler(*args, body=body, query=query)
                    return result
            return 404, {"message": "Not found"}

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/api/folders", "GET", self._list_folders),
            (r"/api/folders", "POST", self._create_folder),
            (r"/api/folders/([^/]+)", "GET", self._get_folder),
            (r"/api/folders/([^/]+)", "PUT", self._update_folder),
            (r"/api/datasources", "GET", self._list_datasources),
            (r"/api/datasources", "POST", self._create_datasource),
            (r"/api/datasources/uid/([^/]+)", "GET", self._get_datasource),
            (r"/api/datasources/uid/([^/]+)", "PUT", self._update_datasource),
            (r"/api/dashboards/db", "POST", self._save_dashboard),
            (r"/api/dashboards/uid/([^/]+)", "GET", self._get_dashboard),
            (r"/api/v1/provisioning/alert-rules", "GET", self._list_rules),
            (r"/api/v1/provisioning/alert-rules", "POST", self._create_rule),
            (r"/api/v1/provisioning/alert-rules/([^/]+)", "GET", self._get_rule),
            (r"/api/v1/provisioning/alert-rules/([^/]+)", "PUT", self._update_rule),
            (r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", "GET", self._get_group),
            (r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", "PUT", self._put_group),
            (r"/api/v1/provisioning/contact-points", "GET", self._list_contact_points),
            (r"/api/v1/provisioning/contact-points", "POST", self._create_contact_point),
            (r"/api/v1/provisioning/contact-points/([^/]+)", "PUT", self._update_contact_point),
            (r"/api/v1/provisioning/templates/([^/]+)", "GET", self._get_template),
            (r"/api/v1/provisioning/templates/([^/]+)", "PUT", self._put_template),
        ]

    # --- folders -------------------------------------------------------------------------------
    def _folder_view(self, folder: dict[str, Any]) -> dict[str, Any]:
        slug = _slug(folder["title"])
        return {
            **folder,
            "url": f"/dashboards/f/{folder['uid']}/{slug}",
            "hasAcl": False,
            "canSave": True,
            "canEdit": True,
            "canAdmin": True,
            "createdBy": "admin",
            "created": "2026-01-01T00:00:00Z",
            "updatedBy": "admin",
            "updated": "2026-01-01T00:00:00Z",
        }

    def _list_folders(self, *, body: Any, query: Any) -> tuple[int, Any]:
        return 200, [
            {"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in self.state.folders.values()
        ]

    def _get_folder(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        folder = self.state.folders.get(uid)
        if folder is None:
            return 404, {"message": "folder not found", "status": "not-found"}
        return 200, self._folder_view(folder)

    def _create_folder(self, *, body: Any, query: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("title"):
            return 400, {"message": "folder title cannot be empty"}
        uid = body.get("uid") or f"f{next(self._ids)}"
        if uid in self.state.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        folder = {"id": next(self._ids), "uid": uid, "title": body["title"], "version": 1}
        self.state.folders[uid] = folder
        return 200, self._folder_view(folder)

    def _update_folder(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        folder = self.state.folders.get(uid)
        if folder is None:
            return 404, {"message": "folder not found", "status": "not-found"}
        if not body.get("overwrite") and body.get("version") != folder["version"]:
            return 412, {
                "message": "The folder has been changed by someone else",
                "status": "version-mismatch",
            }
        folder["title"] = body["title"]
        folder["version"] += 1
        return 200, self._folder_view(folder)

    # --- data sources --------------------------------------------------------------------------
    def _ds_view(self, ds: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in ds.items() if k != "secureJsonData"}
        view["secureJsonFields"] = dict.fromkeys(ds.get("secureJsonData") or {}, True)
        return view

    def _list_datasources(self, *, body: Any, query: Any) -> tuple[int, Any]:
        return 200, [self._ds_view(ds) for ds in self.state.datasources.values()]

    def _get_datasource(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        ds = self.state.datasources.get(uid)
        if ds is None:
            return 404, {"message": "Data source not found"}
        return 200, self._ds_view(ds)

    def _ds_record(self, body: dict[str, Any], ds_id: int, uid: str, version: int) -> dict[str, Any]:
        return {
            "id": ds_id,
            "uid": uid,
            "orgId": 1,
            "name": body["name"],
            "type": body["type"],
            "typeLogoUrl": "",
            "access": body.get("access", "proxy"),
            "url": body.get("url", ""),
            "user": body.get("user", ""),
            "database": body.get("database", ""),
            "basicAuth": bool(body.get("basicAuth", False)),
            "basicAuthUser": body.get("basicAuthUser", ""),
            "withCredentials": False,
            "isDefault": bool(body.get("isDefault", False)),
            "jsonData": body.get("jsonData") or {},
            "secureJsonData": body.get("secureJsonData") or {},
            "version": version,
            "readOnly": False,
        }

    def _create_datasource(self, *, body: Any, query: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("name") or not body.get("type"):
            return 400, {"message": "Validation error, need to specify name and type"}
        if any(ds["name"] == body["name"] for ds in self.state.datasources.values()):
            return 409, {"message": "data source with the same name already exists"}
        uid = body.get("uid") or f"ds{next(self._ids)}"
        if uid in self.state.datasources:
            return 409, {"message": "data source with the same uid already exists"}
        ds = self._ds_record(body, next(self._ids), uid, 1)
        self.state.datasources[uid] = ds
        return 200, {
            "datasource": self._ds_view(ds),
            "id": ds["id"],
            "message": "Datasource added",
            "name": ds["name"],
        }

    def _update_datasource(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        ds = self.state.datasources.get(uid)
        if ds is None:
            return 404, {"message": "Data source not found"}
        if "version" in body and body["version"] != ds["version"]:
            return 409, {
                "message": "Datasource has already been updated by someone else. Please reload and try again"
            }
        new = self._ds_record(body, ds["id"], body.get("uid") or uid, ds["version"] + 1)
        if not body.get("secureJsonData"):
            new["secureJsonData"] = ds.get("secureJsonData") or {}
        del self.state.datasources[uid]
        self.state.datasources[new["uid"]] = new
        return 200, {
            "datasource": self._ds_view(new),
            "id": new["id"],
            "message": "Datasource updated",
            "name": new["name"],
        }

    # --- dashboards ----------------------------------------------------------------------------
    def _save_dashboard(self, *, body: Any, query: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("dashboard"), dict):
            return 400, {"message": "bad request data"}
        model = copy.deepcopy(body["dashboard"])
        if not model.get("title"):
            return 400, {"message": "Dashboard title cannot be empty"}
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in self.state.folders:
            return 400, {"message": "folder not found"}
        uid = model.get("uid") or f"d{next(self._ids)}"
        overwrite = bool(body.get("overwrite"))
        for other_uid, other in self.state.dashboards.items():
            same_place = other["folderUid"] == folder_uid and other["dashboard"]["title"] == model["title"]
            if other_uid != uid and same_place and not overwrite:
                return 412, {
                    "message": "A dashboard with the same name in the folder already exists",
                    "status": "name-exists",
                }
        existing = self.state.dashboards.get(uid)
        if existing is not None:
            if not overwrite and model.get("version") != existing["dashboard"]["version"]:
                return 412, {
                    "message": "The dashboard has been changed by someone else",
                    "status": "version-mismatch",
                }
            model["id"] = existing["dashboard"]["id"]
            model["version"] = existing["dashboard"]["version"] + 1
        else:
            model["id"] = next(self._ids)
            model["version"] = 1
        model["uid"] = uid
        self.state.dashboards[uid] = {
            "dashboard": model,
            "folderUid": folder_uid,
            "message": body.get("message", ""),
        }
        slug = _slug(model["title"])
        return 200, {
            "id": model["id"],
            "uid": uid,
            "url": f"/d/{uid}/{slug}",
            "status": "success",
            "version": model["version"],
            "slug": slug,
        }

    def _get_dashboard(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        stored = self.state.dashboards.get(uid)
        if stored is None:
            return 404, {"message": "Dashboard not found"}
        model = copy.deepcopy(stored["dashboard"])
        folder = self.state.folders.get(stored["folderUid"])
        slug = _slug(model["title"])
        return 200, {
            "dashboard": model,
            "meta": {
                "isStarred": False,
                "url": f"/d/{uid}/{slug}",
                "folderId": folder["id"] if folder else 0,
                "folderUid": stored["folderUid"],
                "slug": slug,
                "version": model["version"],
                "provisioned": False,
            },
        }

    # --- alert rules ---------------------------------------------------------------------------
    # ProvisionedAlertRule's required properties, as documented.
    _RULE_REQUIRED = (
        "orgID",
        "title",
        "folderUID",
        "ruleGroup",
        "condition",
        "data",
        "noDataState",
        "execErrState",
        "for",
    )

    def _validate_rule(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "bad request data"
        missing = [k for k in self._RULE_REQUIRED if k not in body]
        if missing:
            return f"invalid alert rule: missing {', '.join(missing)}"
        if body["folderUID"] not in self.state.folders:
            return f"folder does not exist: {body['folderUID']}"
        if not any(q.get("refId") == body["condition"] for q in body["data"]):
            return f"condition {body['condition']} does not exist, must be one of the data queries"
        settings = body.get("notification_settings")
        if settings is not None and (
            not isinstance(settings, dict)
            or not isinstance(settings.get("receiver"), str)
            or not settings["receiver"]
        ):
            return "invalid notification settings: receiver is required"
        return None

    def _rule_record(self, body: dict[str, Any], uid: str) -> dict[str, Any]:
        record = {
            "id": self.state.rules[uid]["id"] if uid in self.state.rules else next(self._ids),
            "uid": uid,
            "orgID": 1,
            "folderUID": body["folderUID"],
            "ruleGroup": body["ruleGroup"],
            "title": body["title"],
            "condition": body["condition"],
            "data": body["data"],
            "updated": "2026-01-01T00:00:00Z",
            "noDataState": body["noDataState"],
            "execErrState": body["execErrState"],
            "for": body["for"],
            "annotations": body.get("annotations") or {},
            "labels": body.get("labels") or {},
            "isPaused": bool(body.get("isPaused", False)),
            "provenance": "api",
        }
        if body.get("notification_settings") is not None:  # omitted from the answer when unset
            record["notification_settings"] = body["notification_settings"]
        return record

    def _list_rules(self, *, body: Any, query: Any) -> tuple[int, Any]:
        return 200, list(self.state.rules.values())

    def _create_rule(self, *, body: Any, query: Any) -> tuple[int, Any]:
        error = self._validate_rule(body)
        if error:
            return 400, {"msg": error}
        uid = body.get("uid") or f"r{next(self._ids)}"
        if uid in self.state.rules:
            return 409, {"message": "a rule with this UID already exists"}
        self.state.rules[uid] = self._rule_record(body, uid)
        self.state.group_intervals.setdefault((body["folderUID"], body["ruleGroup"]), 60)
        return 201, self.state.rules[uid]

    def _get_rule(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        rule = self.state.rules.get(uid)
        return (200, rule) if rule else (404, None)

    def _update_rule(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        if uid not in self.state.rules:
            return 404, {"message": "rule not found"}
        error = self._validate_rule(body)
        if error:
            return 400, {"msg": error}
        self.state.rules[uid] = self._rule_record(body, uid)
        self.state.group_intervals.setdefault((body["folderUID"], body["ruleGroup"]), 60)
        return 200, self.state.rules[uid]

    def _get_group(self, folder_uid: str, group: str, *, body: Any, query: Any) -> tuple[int, Any]:
        key = (folder_uid, group)
        if key not in self.state.group_intervals:
            return 404, None
        rules = [r for r in self.state.rules.values() if (r["folderUID"], r["ruleGroup"]) == key]
        return 200, {
            "title": group,
            "folderUid": folder_uid,
            "interval": self.state.group_intervals[key],
            "rules": rules,
        }

    def _put_group(self, folder_uid: str, group: str, *, body: Any, query: Any) -> tuple[int, Any]:
        if folder_uid not in self.state.folders:
            return 400, {"msg": f"folder does not exist: {folder_uid}"}
        interval = body.get("interval") if isinstance(body, dict) else None
        if not isinstance(interval, int) or interval <= 0 or interval % 10:
            return 400, {"msg": "invalid interval: must be a positive multiple of 10 seconds"}
        key = (folder_uid, group)
        rules = body.get("rules", [])
        keep = {r.get("uid") for r in rules}
        for uid in [
            u
            for u, r in self.state.rules.items()
            if (r["folderUID"], r["ruleGroup"]) == key and u not in keep
        ]:
            del self.state.rules[uid]
        for rule in rules:
            rule = {**rule, "folderUID": folder_uid, "ruleGroup": group}
            error = self._validate_rule(rule)
            if error:
                return 400, {"msg": error}
            uid = rule.get("uid") or f"r{next(self._ids)}"
            self.state.rules[uid] = self._rule_record(rule, uid)
        self.state.group_intervals[key] = interval
        return self._get_group(folder_uid, group, body=None, query=None)

    # --- contact points and templates ----------------------------------------------------------
    def _list_contact_points(self, *, body: Any, query: Any) -> tuple[int, Any]:
        names = query.get("name")
        points = [p for p in self.state.contact_points.values() if not names or p["name"] in names]
        return 200, points

    def _contact_point_record(self, body: dict[str, Any], uid: str) -> dict[str, Any]:
        return {
            "uid": uid,
            "name": body["name"],
            "type": body["type"],
            "settings": body.get("settings") or {},
            "disableResolveMessage": bool(body.get("disableResolveMessage", False)),
            "provenance": "api",
        }

    def _create_contact_point(self, *, body: Any, query: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not body.get("name") or not body.get("type"):
            return 400, {"msg": "invalid contact point: name and type are required"}
        uid = body.get("uid") or f"cp{next(self._ids)}"
        if uid in self.state.contact_points:
            return 400, {"msg": "contact point with this UID already exists"}
        self.state.contact_points[uid] = self._contact_point_record(body, uid)
        return 202, self.state.contact_points[uid]

    def _update_contact_point(self, uid: str, *, body: Any, query: Any) -> tuple[int, Any]:
        if uid not in self.state.contact_points:
            return 404, {"message": "contact point not found"}
        self.state.contact_points[uid] = self._contact_point_record(body, uid)
        return 202, {}

    def _get_template(self, name: str, *, body: Any, query: Any) -> tuple[int, Any]:
        template = self.state.templates.get(name)
        return (200, template) if template else (404, None)

    def _put_template(self, name: str, *, body: Any, query: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("template"), str):
            return 400, {"msg": "invalid template"}
        self.state.templates[name] = {"name": name, "template": body["template"], "provenance": "api"}
        return 202, self.state.templates[name]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
