"""Both Terraform roots applied by the real engine into a fresh emulator, then planned again, then destroyed.

The flow of a new user: ``infra/bootstrap`` first (the deploy role, the state and artifacts buckets),
the build's Lambda zips into the artifacts bucket, then ``infra/live`` with its ``example.tfvars``.
Terraform 1.11 and the AWS provider 5.100.0 (the committed lock files) run offline against a moto
server extended by local_platform.emulator_extensions. Every planned resource must be created except
the ones in ``EMULATOR_GAPS`` (each with the API the emulator lacks); the plan after apply must propose
nothing but creating those; ``terraform destroy`` must leave no managed resource in either state.

The two applies take a few minutes (the AWS provider waits for S3 lifecycle rules to read back
unchanged several times in a row, as it does against AWS), so they run once per module and the tests
read the result.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import requests

from local_platform import terraform as tf

pytestmark = pytest.mark.integration
T = TypeVar("T")

ARTIFACTS_BUCKET = f"obs-platform-artifacts-{tf.EMULATOR_ACCOUNT_ID}"
PACKAGE_KEYS = {"function": "lambda/0123abc/function.zip", "shipper": "lambda/0123abc/shipper.zip"}
PACKAGES_VAR = (
    f'-var=packages={{function_key="{PACKAGE_KEYS["function"]}",shipper_key="{PACKAGE_KEYS["shipper"]}"}}'
)


@dataclass
class AppliedRoot:
    root: Path
    var_files: list[Path]
    extra: list[str]
    planned: dict[str, list[str]] = field(default_factory=dict)
    in_state: set[str] = field(default_factory=set)
    apply_output: str = ""
    apply_exit: int = -1
    second_plan: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Deployment:
    engine: tf.Engine
    endpoint: str
    roots: dict[str, AppliedRoot] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    secret_versions: list[str] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint,
            region_name=tf.EMULATOR_REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def timed(self, step: str, function: Callable[[], T]) -> T:
        started = time.monotonic()
        try:
            return function()
        finally:
            self.seconds[step] = round(time.monotonic() - started, 1)

    def plan(self, name: str, out: str) -> dict[str, list[str]]:
        root = self.roots[name]
        return tf.plan(self.engine, root.root, root.var_files, root.root / out, *root.extra)

    def apply(self, name: str) -> None:
        root = self.roots[name]
        applied = tf.apply(self.engine, root.root, root.root / "apply.tfplan")
        root.apply_output, root.apply_exit = applied.stdout + applied.stderr, applied.returncode
        root.in_state = tf.managed_in_state(self.engine, root.root)

    def next_token_secret_version(self) -> str:
        secrets = self.client("secretsmanager")
        arn = secrets.describe_secret(SecretId="obs-platform-next-token-secret")["ARN"]
        version: str = secrets.get_secret_value(SecretId=arn)["VersionId"]
        return version


def _zip(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
    return buffer.getvalue()


def _upload_packages() -> None:
    """What the build does after bootstrap: put the Lambda zips into the artifacts bucket.

    Written through moto's backend: moto evaluates the bucket's deny statements without their
    conditions (aws:PrincipalArn, aws:SecureTransport), so it would refuse every caller over HTTP.
    """
    from moto.backends import get_backend

    s3 = get_backend("s3")[tf.EMULATOR_ACCOUNT_ID]["aws"]
    for name, key in PACKAGE_KEYS.items():
        s3.put_object(ARTIFACTS_BUCKET, key, _zip(name))


def _empty_artifacts_bucket() -> None:
    """The teardown step of infra/README.md: empty the bucket (every version) before destroying it."""
    from moto.backends import get_backend

    s3 = get_backend("s3")[tf.EMULATOR_ACCOUNT_ID]["aws"]
    bucket = s3.get_bucket(ARTIFACTS_BUCKET)
    for key in list(bucket.keys.keys()):
        for version in list(bucket.keys.getlist(key)):
            s3.delete_object(ARTIFACTS_BUCKET, key, version_id=getattr(version, "version_id", None))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Apply both roots and plan them again, overlapping what does not depend on each other.

    Order of a new user: bootstrap applied, then the zips uploaded, then live applied. The live plan
    runs while bootstrap applies (a plan needs nothing of bootstrap), and bootstrap's second plan
    while live applies.
    """
    build = tmp_path_factory.mktemp("terraform")
    engine = tf.find_engine(build)
    infra = tf.copy_infra(build)
    emulator = tf.start_emulator()
    # A fresh emulator: moto keeps its state per process, and other tests may have used it.
    requests.post(f"{emulator.endpoint}/moto-api/reset", timeout=10).raise_for_status()
    deployment = Deployment(engine=engine, endpoint=emulator.endpoint)
    try:
        for name in tf.ROOTS:
            root = infra / name
            tf.point_at_emulator(root, emulator.endpoint)
            extra = [PACKAGES_VAR] if name == "live" else []
            deployment.roots[name] = AppliedRoot(root=root, var_files=[root / "example.tfvars"], extra=extra)
            deployment.timed(f"{name}: init", lambda root=root: tf.init(engine, root))  # type: ignore[misc]
        bootstrap, live = deployment.roots["bootstrap"], deployment.roots["live"]
        with ThreadPoolExecutor(max_workers=2) as pool:
            plan = deployment.timed("bootstrap: plan", lambda: deployment.plan("bootstrap", "apply.tfplan"))
            bootstrap.planned = plan
            live_plan = pool.submit(
                deployment.timed, "live: plan", lambda: deployment.plan("live", "apply.tfplan")
            )
            deployment.timed("bootstrap: apply", lambda: deployment.apply("bootstrap"))
            live.planned = live_plan.result()
            _upload_packages()
            second = pool.submit(
                deployment.timed,
                "bootstrap: second plan",
                lambda: deployment.plan("bootstrap", "second.tfplan"),
            )
            deployment.timed("live: apply", lambda: deployment.apply("live"))
            bootstrap.second_plan = second.result()
        deployment.secret_versions.append(deployment.next_token_secret_version())
        plan = deployment.timed("live: second plan", lambda: deployment.plan("live", "second.tfplan"))
        live.second_plan = plan
        deployment.secret_versions.append(deployment.next_token_secret_version())
        yield deployment
    finally:
        emulator.stop()
        # The figures for the report (make test prints nothing of a passing test).
        tf.BUILD_DIR.mkdir(parents=True, exist_ok=True)
        (tf.BUILD_DIR / "apply-timings.json").write_text(
            json.dumps(deployment.seconds, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )


def test_bootstrap_is_created_completely(deployment: Deployment) -> None:
    bootstrap = deployment.roots["bootstrap"]

    assert bootstrap.apply_exit == 0, bootstrap.apply_output[-4000:]
    assert all(actions == ["create"] for actions in bootstrap.planned.values())
    assert bootstrap.in_state == set(bootstrap.planned)
    assert len(bootstrap.in_state) >= 19


def test_live_is_created_except_the_documented_emulator_gaps(deployment: Deployment) -> None:
    live = deployment.roots["live"]
    planned = set(live.planned)

    assert all(actions == ["create"] for actions in live.planned.values())
    # Every gap is a resource of the plan (the list cannot go stale) ...
    assert set(tf.EMULATOR_GAPS) <= planned
    # ... and exactly the gaps are missing; the only apply errors are about them.
    assert planned - live.in_state == set(tf.EMULATOR_GAPS)
    assert live.in_state == planned - set(tf.EMULATOR_GAPS)
    assert tf.failed_addresses(live.apply_output) <= set(tf.EMULATOR_GAPS), live.apply_output[-4000:]


def test_the_created_platform_is_what_the_plan_described(deployment: Deployment) -> None:
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


def test_a_second_plan_proposes_nothing_but_the_emulator_gaps(deployment: Deployment) -> None:
    assert deployment.roots["bootstrap"].second_plan == {}
    assert deployment.roots["live"].second_plan == {address: ["create"] for address in tf.EMULATOR_GAPS}


def test_the_paging_secret_is_not_regenerated_by_a_plan_nor_stored_in_state(deployment: Deployment) -> None:
    live = deployment.roots["live"]
    secrets = deployment.client("secretsmanager")
    value = secrets.get_secret_value(SecretId="obs-platform-next-token-secret")["SecretString"]

    first, after_second_plan = deployment.secret_versions
    assert first == after_second_plan
    assert value not in deployment.engine.run(live.root, "show", "-json").stdout
    assert value not in (live.root / "terraform.tfstate").read_text(encoding="utf-8")


def test_the_function_reads_its_key_from_the_created_secret(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
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


def test_destroy_removes_everything(deployment: Deployment) -> None:
    """Both roots destroyed at once (live refers to bootstrap's buckets by name only); the state
    was refreshed by the second plan just before, so destroy does not refresh it again."""
    _empty_artifacts_bucket()

    def destroy(name: str) -> subprocess.CompletedProcess[str]:
        root = deployment.roots[name]
        return deployment.timed(
            f"{name}: destroy",
            lambda: tf.destroy(deployment.engine, root.root, root.var_files, *root.extra, "-refresh=false"),
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(tf.ROOTS, pool.map(destroy, tf.ROOTS), strict=True))

    for name, result in results.items():
        assert result.returncode == 0, f"{name}: " + (result.stdout + result.stderr)[-4000:]
        assert tf.managed_in_state(deployment.engine, deployment.roots[name].root) == set()
    assert deployment.client("s3").list_buckets()["Buckets"] == []
    assert deployment.client("lambda").list_functions()["Functions"] == []
    assert deployment.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert deployment.client("iam").list_roles()["Roles"] == []
