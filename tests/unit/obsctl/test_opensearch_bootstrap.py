"""``obsctl opensearch bootstrap`` on the opensearch-py client: templates everywhere, ISM on a domain.

A managed domain is played by pytest-httpserver (ISM's create-then-update protocol: a PUT of an
existing policy needs its ``if_seq_no``/``if_primary_term``); the real node and the SigV4 path are
covered in tests/integration (test_opensearch_node.py, test_logs_sigv4.py).
"""

from __future__ import annotations

import json
import re

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from log_pipeline.templates import index_templates
from obsctl.cli import main
from obsctl.commands.opensearch import ISM_POLICY_NAME, ism_policy


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


class FakeDomain:
    def __init__(self) -> None:
        self.templates: dict[str, object] = {}
        self.policy: dict[str, object] | None = None
        self.seq_no = 0
        self.calls: list[str] = []

    def handle(self, request: Request) -> Response:
        self.calls.append(f"{request.method} {request.full_path.rstrip('?')}")
        assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
        assert "/us-east-2/es/aws4_request" in request.headers["Authorization"]
        if request.path.startswith("/_index_template/"):
            self.templates[request.path.rsplit("/", 1)[1]] = request.get_json()
            return Response('{"acknowledged":true}', content_type="application/json")
        path = f"/_plugins/_ism/policies/{ISM_POLICY_NAME}"
        assert request.path == path
        if request.method == "GET":
            if self.policy is None:
                return Response(
                    '{"error":{"type":"status_exception","reason":"Policy not found"},"status":404}',
                    status=404,
                    content_type="application/json",
                )
            return Response(
                json.dumps(
                    {
                        "_id": ISM_POLICY_NAME,
                        "_seq_no": self.seq_no,
                        "_primary_term": 1,
                        "policy": self.policy,
                    }
                ),
                content_type="application/json",
            )
        if self.policy is not None and request.args.get("if_seq_no") != str(self.seq_no):
            return Response(
                '{"error":{"type":"version_conflict_engine_exception","reason":"conflict"},"status":409}',
                status=409,
                content_type="application/json",
            )
        self.policy = request.get_json()["policy"]
        self.seq_no += 1
        return Response(
            json.dumps({"_id": ISM_POLICY_NAME, "_seq_no": self.seq_no}),
            status=201,
            content_type="application/json",
        )


def test_domain_gets_templates_and_an_updatable_ism_policy(httpserver: HTTPServer, aws_env, capsys):
    domain = FakeDomain()
    httpserver.expect_request(re.compile(".*")).respond_with_handler(domain.handle)
    argv = [
        "opensearch",
        "bootstrap",
        "--endpoint",
        httpserver.url_for("/").rstrip("/"),
        "--auth",
        "es",
        "--region",
        "us-east-2",
        "--retention-days",
        "14",
    ]
    assert main(argv) == 0
    assert capsys.readouterr().out.split() == [*index_templates(), ISM_POLICY_NAME]
    assert domain.templates == index_templates()
    assert domain.policy == ism_policy(14)[1]["policy"]
    # A second run updates the policy in place (retention changed) instead of failing on a conflict
    assert main([*argv[:-1], "45"]) == 0
    assert domain.policy == ism_policy(45)[1]["policy"]
    assert domain.calls[-2:] == [
        f"GET /_plugins/_ism/policies/{ISM_POLICY_NAME}",
        f"PUT /_plugins/_ism/policies/{ISM_POLICY_NAME}?if_seq_no=1&if_primary_term=1",
    ]


def test_ism_policy_deletes_logs_indices_after_the_retention():
    name, body = ism_policy(30)
    policy = body["policy"]
    assert name == "logs-retention"
    assert policy["ism_template"] == [{"index_patterns": ["logs-*"], "priority": 100}]
    hot, delete = policy["states"]
    assert hot["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": "30d"}}]
    assert delete["actions"] == [{"delete": {}}]


def test_bad_retention_is_one_line(capsys):
    assert main(["opensearch", "bootstrap", "--endpoint", "http://127.0.0.1:9", "--retention-days", "0"]) == 2
    assert capsys.readouterr().err == "obsctl: error: --retention-days must be 1..3650\n"


def test_unreachable_cluster_is_one_line(capsys):
    assert main(["opensearch", "bootstrap", "--endpoint", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == (
        "obsctl: error: cannot reach OpenSearch at http://127.0.0.1:9 (connection refused)\n"
    )
