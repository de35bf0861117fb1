"""Both Terraform roots applied by the real engine into the session's emulator, planned again, then destroyed.

The apply is the session's (tests/conftest.py ``session_platform``, local_platform.deployment): a new
user's flow — bootstrap's artifacts bucket, the build's Lambda zips put into it, then ``infra/live`` with
its ``example.tfvars`` (the rest of bootstrap applied alongside) — and the local stack of the other
integration tests runs on what it created. Terraform 1.11 and the AWS provider 5.100.0 (the committed
lock files) run offline against moto extended by local_platform.emulator_extensions. Every planned
resource must be created except ``EMULATOR_GAPS`` (each with the API the emulator lacks); the plan
after apply must propose nothing but creating those; ``terraform destroy`` (the last test of the
session) must leave no managed resource in either state.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from local_platform import terraform as tf
from local_platform.deployment import Deployment

pytestmark = pytest.mark.integration


@dataclass
class Applied:
    deployment: Deployment
    second_plans: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    secret_versions: list[str] = field(default_factory=list)
    timer: tf.Timer = field(default_factory=tf.Timer)

    @property
    def endpoint(self) -> str:
        return self.deployment.endpoint

    @property
    def engine(self) -> tf.Engine:
        return self.deployment.engine

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=self.deployment.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def second_plan(self, name: str) -> dict[str, list[str]]:
        root = self.deployment.roots[name]
        return tf.plan(self.engine, root.root, root.var_files, root.root / "second.tfplan", *root.extra)

    def next_token_secret_version(self) -> str:
        secrets = self.client("secretsmanager")
        version: str = secrets.get_secret_value(SecretId="obs-platform-next-token-secret")["VersionId"]
        return version


@pytest.fixture(scope="module")
def deployment(session_platform: Any) -> Iterator[Applied]:
    """The session's apply, and a second plan of both roots (in parallel)."""
    assert isinstance(session_platform.deployment, Deployment)
    applied = Applied(deployment=session_platform.deployment)
    applied.secret_versions.append(applied.next_token_secret_version())
    with ThreadPoolExecutor(max_workers=2) as pool:
        plans = {
            name: pool.submit(applied.timer.call, f"{name}: second plan", applied.second_plan, name)
            for name in tf.ROOTS
        }
        applied.second_plans = {name: plan.result() for name, plan in plans.items()}
    applied.secret_versions.append(applied.next_token_secret_version())
    try:
        yield applied
    finally:
        # The figures for the report (make test prints nothing of a passing test).
        tf.BUILD_DIR.mkdir(parents=True, exist_ok=True)
        (tf.BUILD_DIR / "apply-timings.json").write_text(
            json.dumps({**applied.deployment.seconds, **applied.timer.steps}, indent=2, sort_keys=True)
            + "\n",
            encoding="utf-8",
        )


def test_bootstrap_is_created_completely(deployment: Applied) -> None:
    bootstrap = deployment.deployment.roots["bootstrap"]

    assert bootstrap.apply_exit == 0, bootstrap.apply_output[-4000:]
    assert all(actions == ["create"] for actions in bootstrap.planned.values())
    assert bootstrap.in_state == set(bootstrap.planned)
    assert len(bootstrap.in_state) >= 19


def test_live_is_created_except_the_documented_emulator_gaps(deployment: Applied) -> None:
    live = deployment.deployment.roots["live"]
    planned = set(live.planned)

    assert all(actions == ["create"] for actions in live.planned.values())
    # Every gap is a resource of the plan (the list cannot go stale) ...
    assert set(tf.EMULATOR_GAPS) <= planned
    # ... and exactly the gaps are missing; the only apply errors are about them.
    assert planned - live.in_state == set(tf.EMULATOR_GAPS)
    assert live.in_state == planned - set(tf.EMULATOR_GAPS)
    assert tf.failed_addresses(live.apply_output) <= set(tf.EMULATOR_GAPS), live.apply_output[-4000:]


def test_the_created_platform_is_what_the_plan_described(deployment: Applied) -> None:
    """A few reads through the AWS APIs, so the state above is backed by real emulator objects."""
    functions = {f["FunctionName"]: f for f in deployment.client("lambda").list_functions()["Functions"]}
    api = functions["obs-platform-objects-api"]
    assert api["Runtime"] == "python3.12"
    assert api["LoggingConfig"]["LogGroup"] == "/aws/lambda/obs-platform-objects-api"
    assert "NEXT_TOKEN_SECRET_ARN" in api["Environment"]["Variables"]
    assert "NEXT_TOKEN_SECRET" not in api["Environment"]["Variables"]
    secret = deployment.client("secretsmanager").get_secret_value(
        SecretId=api["Environment"]["Variables"]["NEXT_TOKEN_SECRET_ARN"]
    )
    assert len(secret["SecretString"]) == 48

    alarms = deployment.client("cloudwatch").describe_alarms(AlarmNamePrefix="obs-platform-")
    assert len(alarms["CompositeAlarms"]) == 8
    assert len(alarms["MetricAlarms"]) == 29

    routes = deployment.client("apigatewayv2").get_routes(
        ApiId=deployment.client("apigatewayv2").get_apis()["Items"][0]["ApiId"]
    )["Items"]
    assert {r["AuthorizationType"] for r in routes} == {"AWS_IAM"}


def test_a_second_plan_proposes_nothing_but_the_emulator_gaps(deployment: Applied) -> None:
    assert deployment.second_plans["bootstrap"] == {}
    assert deployment.second_plans["live"] == {address: ["create"] for address in tf.EMULATOR_GAPS}


def test_the_paging_secret_is_not_regenerated_by_a_plan_nor_stored_in_state(deployment: Applied) -> None:
    live = deployment.deployment.roots["live"]
    secrets = deployment.client("secretsmanager")
    value = secrets.get_secret_value(SecretId="obs-platform-next-token-secret")["SecretString"]

    first, after_second_plan = deployment.secret_versions
    assert first == after_second_plan
    assert value not in deployment.engine.run(live.root, "show", "-json").stdout
    assert value not in (live.root / "terraform.tfstate").read_text(encoding="utf-8")


def test_the_function_reads_its_key_from_the_created_secret(
    deployment: Applied, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the function's environment exactly as Terraform created it, and the emulator's endpoint
    from function.config import load_config

    functions = deployment.client("lambda").list_functions()["Functions"]
    (api,) = [f for f in functions if f["FunctionName"] == "obs-platform-objects-api"]
    environ = {**api["Environment"]["Variables"], "AWS_REGION": tf.EMULATOR_REGION}
    for name, value in {
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": deployment.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    # When the function's config loads (its cold start)
    config = load_config(environ)
    # Then it signs with the value AWS generated; a secret written once has no previous key
    created = deployment.client("secretsmanager").get_secret_value(SecretId="obs-platform-next-token-secret")
    assert config.token_secret == created["SecretString"].encode()
    assert config.previous_token_secret is None


def test_the_platform_read_back_is_what_terraform_was_asked_for(deployment: Applied) -> None:
    # What the local stack runs on: the function's configuration as created (not a local copy of it)
    platform = deployment.deployment.platform
    assert platform.function.handler_path == "function.app:handler"
    assert platform.function.runtime == "python3.12"
    assert platform.function.reserved_concurrency is not None and platform.function.reserved_concurrency > 0
    assert platform.function.role_arn.endswith(":role/obs-platform-objects-api-role")
    assert platform.routes == {"GET /objects": "AWS_IAM", "$default": "AWS_IAM"}
    assert platform.log_groups[platform.function.log_group].retention_days
    assert platform.log_groups[platform.access_log_group].kms_key_id
    assert {name for name, filters in platform.subscription_filters.items() if filters} == {
        platform.function.log_group,
        platform.access_log_group,
    }
    assert platform.metric_filters
    assert len(platform.alarms["MetricAlarms"]) == 29 and len(platform.alarms["CompositeAlarms"]) == 8
    # the topics carry the policies Terraform attached (TLS only, named publishers)
    for arn, attributes in platform.topics.items():
        assert "aws:SecureTransport" in attributes["Policy"], arn


def test_the_roles_as_created_are_least_privilege_under_iam_enforcement(deployment: Applied) -> None:
    checks = deployment.deployment.policy_checks
    outcomes = {
        (c.principal.rsplit("/", 1)[-1], c.action, c.resource.rsplit(":", 1)[-1]): c.outcome for c in checks
    }
    data = deployment.deployment.platform.data_bucket
    # the function lists its bucket, and nothing else
    assert outcomes[("obs-platform-objects-api-role", "s3:ListBucket", data)] == "allowed"
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert outcomes[("obs-platform-objects-api-role", action, f"{data}/probe")] == "denied"
    dead_letters = deployment.deployment.platform.dead_letter_bucket
    assert outcomes[("obs-platform-objects-api-role", "s3:ListBucket", dead_letters)] == "denied"
    # the shipper never reads the data
    assert outcomes[("obs-platform-log-shipper-role", "s3:GetObject", f"{data}/probe")] == "denied"
    assert all(check.passed for check in checks)


@pytest.mark.destroys_platform
def test_destroy_removes_everything(session_platform: Any) -> None:
    """Both roots destroyed at once (live refers to bootstrap's buckets by name only); the state
    was refreshed by the second plan, so destroy does not refresh it again. The session's last test
    (tests/conftest.py orders it so): no other test runs on a destroyed platform."""
    applied = Applied(deployment=session_platform.deployment)
    _empty_every_bucket(applied)
    session_platform.destroyed = True

    def destroy(name: str) -> subprocess.CompletedProcess[str]:
        root = applied.deployment.roots[name]
        return tf.destroy(applied.engine, root.root, root.var_files, *root.extra, "-refresh=false")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(tf.ROOTS, pool.map(destroy, tf.ROOTS), strict=True))

    for name, result in results.items():
        assert result.returncode == 0, f"{name}: " + (result.stdout + result.stderr)[-4000:]
        assert tf.managed_in_state(applied.engine, applied.deployment.roots[name].root) == set()
    assert applied.client("s3").list_buckets()["Buckets"] == []
    assert applied.client("lambda").list_functions()["Functions"] == []
    assert applied.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert applied.client("iam").list_roles()["Roles"] == []


ARN_KEY = "aws:PrincipalArn"


def _empty_every_bucket(applied: Applied) -> None:
    """The teardown steps of infra/README.md: empty the buckets (every version) before destroying them
    (the local stack put sample objects into the data bucket), each as a principal its policy admits."""
    from local_platform.deployment import role_client

    s3 = applied.client("s3")
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        statements = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"]
        admitted = [
            principal
            for statement in statements
            for principal in statement.get("Condition", {})
            .get("ArnNotEquals", {})
            .get("aws:PrincipalArn", [])
        ]
        operator = role_client(applied.endpoint, applied.deployment.region, admitted[0], "s3", "teardown")
        for page in operator.get_paginator("list_object_versions").paginate(Bucket=name):
            versions = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for version in versions:
                operator.delete_object(Bucket=name, **version)
