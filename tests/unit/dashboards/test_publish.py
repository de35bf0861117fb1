"""Publishing against a Grafana fake that follows the documented HTTP API (tests/fakes/grafana.py).

The fake is a real HTTP server on 127.0.0.1; the client under test is the one ``obsctl dashboards
publish`` uses. Tests assert the exact calls, that a second run writes nothing, and the errors an
operator sees for a bad token, a missing role, someone else's edit, a flaky and an absent Grafana.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboards import publish, render
from dashboards.grafana_api import (
    GrafanaAuthError,
    GrafanaClient,
    GrafanaConflictError,
    GrafanaError,
    GrafanaUnreachableError,
)
from signals.services import GRAFANA_CLOUDWATCH_UID, GRAFANA_OPENSEARCH_UID
from tests.fakes.grafana import FakeGrafana

RULES_FILE = Path(__file__).resolve().parents[3] / publish.ALERT_RULES_FILE
TARGET = publish.Target(region="eu-west-1", opensearch_url="https://abc123.eu-west-1.aoss.amazonaws.com")


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return render.models()


@pytest.fixture(scope="module")
def alerting() -> publish.Alerting:
    bindings = {name: f"value-of-{name.lower()}" for name in publish.alerting_placeholders()}
    return publish.load_alerting(RULES_FILE, bindings)


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with FakeGrafana() as fake:
        yield fake


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(fake: FakeGrafana, token: str | None = None, sleep: Sleeps | None = None) -> GrafanaClient:
    return GrafanaClient(fake.url, token or fake.token, sleep=sleep if sleep is not None else Sleeps())


def run(fake: FakeGrafana, models: Any, alerting: Any, *, dry_run: bool = False) -> list[publish.Change]:
    return publish.Publisher(client_for(fake), TARGET, dry_run=dry_run).publish(models, alerting)


def test_first_publish_creates_everything_with_exact_calls(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    changes = run(grafana, models, alerting)

    writes = [(c.method, c.path) for c in grafana.writes()]
    assert writes == [
        ("POST", "/api/folders"),
        ("POST", "/api/datasources"),
        ("POST", "/api/datasources"),
        *[("POST", "/api/dashboards/db")] * len(models),
        ("PUT", "/api/v1/provisioning/templates/chatbot.custom"),
        ("POST", "/api/v1/provisioning/contact-points"),
        *[("POST", "/api/v1/provisioning/alert-rules")] * len(alerting.rules),
    ]
    # The group the rules created already evaluates every 60 s, as the file asks: no PUT needed.
    assert {c.action for c in changes if c.kind != "rule-group"} == {publish.CREATE}
    assert [(c.name, c.action) for c in changes if c.kind == "rule-group"] == [
        ("obs-platform-alarms", publish.UNCHANGED)
    ]
    folder_call = grafana.writes()[0]
    assert folder_call.body == {"uid": publish.DEFAULT_FOLDER_UID, "title": publish.DEFAULT_FOLDER_TITLE}
    dashboard_calls = [c for c in grafana.writes() if c.path == "/api/dashboards/db"]
    for call in dashboard_calls:
        assert call.body["folderUid"] == publish.DEFAULT_FOLDER_UID
        assert call.body["overwrite"] is False
        assert call.body["dashboard"]["id"] is None
    assert sorted(c.body["dashboard"]["uid"] for c in dashboard_calls) == sorted(models)
    assert set(grafana.state.datasources) == {GRAFANA_CLOUDWATCH_UID, GRAFANA_OPENSEARCH_UID}
    opensearch = grafana.state.datasources[GRAFANA_OPENSEARCH_UID]
    assert opensearch["type"] == "grafana-opensearch-datasource"
    assert opensearch["jsonData"]["sigV4Auth"] is True
    assert opensearch["jsonData"]["serverless"] is True  # the plugin signs for `aoss`
    assert opensearch["jsonData"]["sigV4Region"] == "eu-west-1"
    assert grafana.state.datasources[GRAFANA_CLOUDWATCH_UID]["jsonData"]["authType"] == "ec2_iam_role"
    rule = grafana.state.rules["obs-platform-api-latency-p99"]
    assert rule["folderUID"] == publish.DEFAULT_FOLDER_UID
    assert rule["data"][0]["model"]["dimensions"] == {
        "ApiId": "value-of-obs_api_id",
        "Stage": "value-of-obs_api_stage",
    }
    assert grafana.state.group_intervals[(publish.DEFAULT_FOLDER_UID, "obs-platform-alarms")] == 60
    assert (
        grafana.state.contact_points["obs-platform-sns"]["settings"]["topic_arn"]
        == "value-of-obs_alarm_topic_arn"
    )
    # Simplified routing: every rule names the SNS contact point (created first); no policy tree write.
    contact_point = grafana.state.contact_points["obs-platform-sns"]["name"]
    rule_calls = [c for c in grafana.writes() if c.path == "/api/v1/provisioning/alert-rules"]
    assert {c.body["title"] for c in rule_calls} == {r["title"] for r in alerting.rules}
    routing = {"receiver": contact_point, "group_by": ["alertname", "grafana_folder"]}
    for call in rule_calls:
        assert call.body["notification_settings"] == routing
    stored = [r["notification_settings"] for r in grafana.state.rules.values()]
    assert stored == [routing] * len(alerting.rules)
    assert not [c for c in grafana.calls if c.path.startswith("/api/v1/provisioning/policies")]


def test_rules_published_without_routing_gain_it(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    run(grafana, models, alerting)
    for rule in grafana.state.rules.values():  # as an earlier publisher left them
        del rule["notification_settings"]
    grafana.calls.clear()

    changes = run(grafana, models, alerting)

    updates = [c for c in grafana.writes() if c.method == "PUT"]
    assert len(updates) == len(alerting.rules)
    assert all(c.path.startswith("/api/v1/provisioning/alert-rules/") for c in updates)
    routing = {"receiver": "obs-platform-chatbot-sns", "group_by": ["alertname", "grafana_folder"]}
    assert all(c.body["notification_settings"] == routing for c in updates)
    assert {c.action for c in changes if c.kind == "alert-rule"} == {publish.UPDATE}


def test_a_rule_without_a_receiver_is_refused_like_grafana(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    broken = copy.deepcopy(alerting)
    broken.rules[0]["notification_settings"] = {}
    with pytest.raises(GrafanaError, match=r"HTTP 400: invalid notification settings: receiver is required"):
        run(grafana, models, broken)


def test_second_publish_changes_nothing(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    run(grafana, models, alerting)
    versions = {uid: d["dashboard"]["version"] for uid, d in grafana.state.dashboards.items()}
    grafana.calls.clear()

    changes = run(grafana, models, alerting)

    assert grafana.writes() == []
    assert {c.action for c in changes} == {publish.UNCHANGED}
    assert len(changes) == 1 + 2 + len(models) + 1 + 1 + len(alerting.rules) + 1
    assert {uid: d["dashboard"]["version"] for uid, d in grafana.state.dashboards.items()} == versions


def test_a_rule_group_with_another_interval_is_updated_with_its_rules(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    run(grafana, models, alerting)
    grafana.calls.clear()
    slower = copy.deepcopy(alerting)
    slower.group_intervals["obs-platform-alarms"] = 120

    changes = run(grafana, models, slower)

    assert [(c.method, c.path) for c in grafana.writes()] == [
        ("PUT", f"/api/v1/provisioning/folder/{publish.DEFAULT_FOLDER_UID}/rule-groups/obs-platform-alarms")
    ]
    assert len(grafana.writes()[0].body["rules"]) == len(alerting.rules)
    assert [c.action for c in changes if c.kind == "rule-group"] == [publish.UPDATE]
    assert grafana.state.group_intervals[(publish.DEFAULT_FOLDER_UID, "obs-platform-alarms")] == 120
    assert len(grafana.state.rules) == len(alerting.rules)


def test_dry_run_reads_and_plans_but_writes_nothing(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    changes = run(grafana, models, alerting, dry_run=True)

    assert grafana.writes() == []
    assert all(c.method == "GET" for c in grafana.calls)
    assert [c.kind for c in changes if c.action == publish.CREATE].count("dashboard") == len(models)
    lines = [c.line() for c in changes]
    assert "create    folder        Observability platform" in lines


def test_a_changed_dashboard_is_updated_alone_with_the_version_it_read(
    grafana: FakeGrafana, models: Any
) -> None:
    run(grafana, models, None)
    grafana.calls.clear()
    changed = copy.deepcopy(models)
    changed["obs-logs"]["description"] = "a new description"

    changes = run(grafana, changed, None)

    assert [(c.method, c.path) for c in grafana.writes()] == [("POST", "/api/dashboards/db")]
    body = grafana.writes()[0].body
    assert body["dashboard"]["uid"] == "obs-logs"
    assert body["dashboard"]["version"] == 1
    assert body["overwrite"] is False
    assert [c.name for c in changes if c.action == publish.UPDATE] == ["Logs"]
    assert grafana.state.dashboards["obs-logs"]["dashboard"]["version"] == 2


def test_an_edit_made_in_the_ui_is_replaced_by_the_code(grafana: FakeGrafana, models: Any) -> None:
    run(grafana, models, None)
    grafana.bump_dashboard("obs-slos")

    changes = run(grafana, models, None)

    assert [c.name for c in changes if c.action == publish.UPDATE] == ["SLOs"]
    assert (
        grafana.state.dashboards["obs-slos"]["dashboard"]["description"] == models["obs-slos"]["description"]
    )


def test_an_edit_between_read_and_write_is_a_clear_412(
    grafana: FakeGrafana, models: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(grafana, models, None)
    changed = copy.deepcopy(models)
    changed["obs-logs"]["title"] = "Logs (renamed)"
    client = client_for(grafana)
    real_get = client.get_dashboard

    def get_then_someone_saves(uid: str) -> Any:
        current = real_get(uid)
        grafana.bump_dashboard(uid)
        return current

    monkeypatch.setattr(client, "get_dashboard", get_then_someone_saves)
    with pytest.raises(GrafanaConflictError) as raised:
        publish.Publisher(client, TARGET).publish({"obs-logs": changed["obs-logs"]}, None)
    assert "412 version-mismatch" in str(raised.value)
    assert "The dashboard has been changed by someone else" in str(raised.value)


def test_a_bad_token_is_a_clear_401(grafana: FakeGrafana, models: Any) -> None:
    with pytest.raises(GrafanaAuthError, match=r"rejected the token \(401 Unauthorized\).*GRAFANA_TOKEN"):
        publish.Publisher(client_for(grafana, "not-a-token"), TARGET).publish(models, None)
    assert len(grafana.calls) == 1


def test_a_token_without_the_role_is_a_clear_403(grafana: FakeGrafana, models: Any) -> None:
    with pytest.raises(GrafanaAuthError, match=r"may not POST /api/folders \(403 Forbidden.*Admin role"):
        publish.Publisher(client_for(grafana, "viewer-token"), TARGET).publish(models, None)
    assert [(c.method, c.path) for c in grafana.calls] == [
        ("GET", f"/api/folders/{publish.DEFAULT_FOLDER_UID}"),
        ("POST", "/api/folders"),
    ]


def test_server_errors_are_retried_with_backoff(grafana: FakeGrafana, models: Any) -> None:
    grafana.fail_next(503, 2, method="POST", path_prefix="/api/folders")
    sleeps = Sleeps()

    publish.Publisher(client_for(grafana, sleep=sleeps), TARGET).publish(models, None)

    folder_posts = [c for c in grafana.calls if (c.method, c.path) == ("POST", "/api/folders")]
    assert len(folder_posts) == 3
    assert sleeps == [0.5, 1.0]
    assert publish.DEFAULT_FOLDER_UID in grafana.state.folders


def test_persistent_server_errors_give_up_with_the_status(grafana: FakeGrafana, models: Any) -> None:
    grafana.fail_next(500, 10)
    sleeps = Sleeps()
    with pytest.raises(GrafanaError, match=r"GET /api/folders/obs-platform failed with HTTP 500"):
        publish.Publisher(client_for(grafana, sleep=sleeps), TARGET).publish(models, None)
    assert len(grafana.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_an_unreachable_host_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    client = GrafanaClient(f"http://127.0.0.1:{port}", "token", sleep=sleeps, timeout_seconds=2)
    with pytest.raises(GrafanaUnreachableError, match=rf"cannot reach Grafana at http://127.0.0.1:{port}"):
        client.get_folder("x")
    assert len(sleeps) == 3


def test_bad_input_is_refused_before_any_call() -> None:
    with pytest.raises(GrafanaError, match="must start with http"):
        GrafanaClient("grafana.example.com", "token")
    with pytest.raises(GrafanaError, match="set GRAFANA_TOKEN"):
        GrafanaClient("https://grafana.example.com", "")
    with pytest.raises(ValueError, match="opensearch_auth"):
        publish.Target(region="eu-west-1", opensearch_url=None, opensearch_auth="basic")


def test_alert_rules_need_every_deployment_value() -> None:
    with pytest.raises(
        GrafanaError,
        match=r"set OBS_ACCESS_LOG_GROUP_NAME, .*OBS_SHIPPER_FUNCTION_NAME \(or pass --no-alert-rules\)",
    ):
        publish.load_alerting(RULES_FILE, {})


def test_the_local_opensearch_data_source_is_unsigned() -> None:
    sources = publish.desired_datasources(
        publish.Target(region="eu-west-1", opensearch_url="http://127.0.0.1:9200", opensearch_auth="none")
    )
    opensearch = next(s for s in sources if s["uid"] == GRAFANA_OPENSEARCH_UID)
    assert "sigV4Auth" not in opensearch["jsonData"]
    assert opensearch["url"] == "http://127.0.0.1:9200"
    assert [s["uid"] for s in publish.desired_datasources(publish.Target("eu-west-1", None))] == [
        GRAFANA_CLOUDWATCH_UID
    ]


def test_a_rule_grafana_rejects_is_reported_with_grafanas_reason(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    broken = copy.deepcopy(alerting)
    broken.rules = [{**broken.rules[0], "condition": "Z"}]
    with pytest.raises(
        GrafanaError, match=r"POST /api/v1/provisioning/alert-rules failed with HTTP 400: condition Z"
    ):
        run(grafana, models, broken)


def test_rule_durations_grafana_normalises_do_not_count_as_changes(
    grafana: FakeGrafana, models: Any, alerting: publish.Alerting
) -> None:
    run(grafana, models, alerting)
    rule = grafana.state.rules["obs-platform-api-latency-p99"]
    assert rule["for"] == "600s"
    rule["for"] = "10m"  # what Grafana answers for 600s
    grafana.calls.clear()

    run(grafana, models, alerting)

    assert grafana.writes() == []


@pytest.mark.parametrize(
    ("text", "seconds"), [("600s", 600), ("10m", 600), ("10m0s", 600), ("1h30m", 5400), ("0s", 0)]
)
def test_durations_are_read_like_grafana_writes_them(text: str, seconds: int) -> None:
    assert publish.duration_seconds(text) == seconds


def test_an_unreadable_duration_is_an_error() -> None:
    with pytest.raises(GrafanaError, match="cannot read duration '5 minutes'"):
        publish.duration_seconds("5 minutes")


def test_a_retried_write_that_meets_its_own_result_says_so(grafana: FakeGrafana) -> None:
    client = client_for(grafana)
    client.create_folder("f1", "Folder")
    grafana.fail_next(502, 1, method="POST", path_prefix="/api/folders")
    with pytest.raises(GrafanaConflictError, match=r"409 conflict.*after a retry.*publish again"):
        client.create_folder("f1", "Folder")
