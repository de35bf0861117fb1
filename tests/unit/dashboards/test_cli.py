"""``obsctl dashboards render|publish`` and the ``make demo`` step, end to end in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboards import publish
from local_platform.demo import dashboards as demo_step
from local_platform.demo.context import DemoContext
from local_platform.names import LocalNames
from obsctl.cli import main
from tests.fakes.grafana import FakeGrafana


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with FakeGrafana() as fake:
        yield fake


@pytest.fixture
def deployment_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in publish.alerting_placeholders():
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


def test_render_writes_one_json_per_dashboard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboards", "render", "--out", str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["api_overview.json", "log_pipeline.json", "logs.json", "slos.json"]
    assert json.loads((tmp_path / "out" / "logs.json").read_text())["uid"] == "obs-logs"
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_render_into_an_unwritable_place_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["dashboards", "render", "--out", str(blocker / "out")]) == 2
    assert capsys.readouterr().err.startswith("obsctl: error: cannot write dashboards to")


def test_publish_dry_run_then_publish_then_nothing_to_do(
    grafana: FakeGrafana,
    deployment_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", grafana.token)
    args = [
        "dashboards",
        "publish",
        "--url",
        grafana.url,
        "--opensearch-url",
        "https://x.eu-west-1.aoss.amazonaws.com",
    ]

    assert main([*args, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert grafana.writes() == []
    assert "create    dashboard     Logs" in out
    assert err.startswith("dry run: would create")

    assert main(args) == 0
    assert len(grafana.state.dashboards) == 4
    assert len(grafana.state.rules) > 10
    capsys.readouterr()

    grafana.calls.clear()
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert grafana.writes() == []
    assert "did create 0, update 0" in err


def test_publish_errors_are_one_line_and_exit_2(
    grafana: FakeGrafana,
    deployment_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert main(["dashboards", "publish", "--url", grafana.url]) == 2
    assert "no Grafana token: set GRAFANA_TOKEN" in capsys.readouterr().err

    monkeypatch.setenv("GRAFANA_TOKEN", "expired")
    assert main(["dashboards", "publish", "--url", grafana.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "401 Unauthorized" in err

    monkeypatch.setenv("GRAFANA_TOKEN", grafana.token)
    monkeypatch.delenv("OBS_API_ID")
    assert main(["dashboards", "publish", "--url", grafana.url]) == 2
    assert "set OBS_API_ID (or pass --no-alert-rules)" in capsys.readouterr().err
    assert main(["dashboards", "publish", "--url", grafana.url, "--no-alert-rules"]) == 0

    assert main(["dashboards", "publish", "--url", grafana.url, "--workspace-id", "g-0123456789"]) == 2
    assert "--workspace-id and --service-account go together" in capsys.readouterr().err


def _context(tmp_path: Path) -> tuple[DemoContext, list[str]]:
    said: list[str] = []
    ctx = DemoContext(
        aws_endpoint="http://127.0.0.1:1",
        api_url="http://127.0.0.1:1",
        access_key="testing",
        secret_key="testing",
        names=LocalNames(),
        out_dir=tmp_path / "demo",
        started_at=datetime.now(UTC),
        opensearch_url="http://127.0.0.1:9200",
        say=said.append,
    )
    return ctx, said


def test_demo_step_renders_and_says_how_to_publish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRAFANA_URL", raising=False)
    ctx, said = _context(tmp_path)

    demo_step.run(ctx)

    assert ctx.summary["dashboards_written"] == 4
    assert len(list((tmp_path / "demo" / "dashboards").glob("*.json"))) == 4
    assert any("set GRAFANA_URL and GRAFANA_TOKEN" in line for line in said)


def test_demo_step_publishes_when_grafana_is_set(
    tmp_path: Path, grafana: FakeGrafana, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAFANA_URL", grafana.url)
    monkeypatch.setenv("GRAFANA_TOKEN", grafana.token)
    monkeypatch.setenv("OBS_FUNCTION_SUBSCRIPTION_FILTER_NAME", "function-to-shipper")
    monkeypatch.setenv("OBS_ACCESS_SUBSCRIPTION_FILTER_NAME", "access-to-shipper")
    monkeypatch.setenv("OBS_RUNBOOK_BASE_URL", "https://example.com/runbooks")
    ctx, _said = _context(tmp_path)

    demo_step.run(ctx)

    assert ctx.summary["dashboards_published"] == 4
    assert grafana.state.datasources["obs-platform-opensearch"]["url"] == "http://127.0.0.1:9200"
    rule = grafana.state.rules["obs-platform-function-throttles"]
    assert rule["data"][0]["model"]["dimensions"] == {"FunctionName": LocalNames().function_name}


def test_publish_with_a_minted_managed_grafana_token(
    deployment_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from botocore.stub import Stubber

    workspace, account = "g-0123456789", "11"
    client = boto3.client(
        "grafana", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "list_workspace_service_accounts",
        {
            "serviceAccounts": [
                {"id": account, "name": "obsctl", "isDisabled": "false", "grafanaRole": "ADMIN"}
            ],
            "workspaceId": workspace,
        },
        {"workspaceId": workspace},
    )
    stubber.add_response(
        "create_workspace_service_account_token",
        {
            "serviceAccountToken": {"id": "t1", "name": "n", "key": "glsa_minted"},
            "serviceAccountId": account,
            "workspaceId": workspace,
        },
    )
    stubber.add_response(
        "delete_workspace_service_account_token",
        {"tokenId": "t1", "serviceAccountId": account, "workspaceId": workspace},
        {"workspaceId": workspace, "serviceAccountId": account, "tokenId": "t1"},
    )
    monkeypatch.setattr(boto3, "client", lambda service, region_name: client)
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    with FakeGrafana(tokens={"glsa_minted": "Admin"}) as grafana, stubber:
        code = main(
            [
                "dashboards",
                "publish",
                "--url",
                grafana.url,
                "--workspace-id",
                workspace,
                "--service-account",
                "obsctl",
                "--no-alert-rules",
            ]
        )
        assert code == 0, capsys.readouterr().err
        assert len(grafana.state.dashboards) == 4
        stubber.assert_no_pending_responses()  # the token was deleted after the run
