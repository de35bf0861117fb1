"""The Terraform engine wrapper: where the engine comes from, what it is told, what it leaves alone."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from local_platform import terraform as tf

LOCK_VERSION = re.compile(r'provider "registry\.terraform\.io/hashicorp/aws" \{\s*version\s*=\s*"([^"]+)"')


def _fake_binary(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _fake_mirror(root: Path) -> Path:
    (root / tf.PROVIDER_SOURCE / "5.100.0" / "linux_amd64").mkdir(parents=True)
    return root


def test_missing_binary_and_mirror_are_both_named(tmp_path: Path) -> None:
    with pytest.raises(tf.EngineError) as error:
        tf.find_engine(
            tmp_path / "build", binary=tmp_path / "terraform", mirror=tmp_path / "mirror", environ={}
        )

    message = str(error.value)
    assert f"the Terraform binary {tmp_path / 'terraform'}" in message
    assert f"the AWS provider mirror {tmp_path / 'mirror' / tf.PROVIDER_SOURCE}" in message
    assert "never skip" in message


def test_a_mirror_without_a_linux_amd64_provider_is_missing(tmp_path: Path) -> None:
    binary = _fake_binary(tmp_path / "terraform")
    (tmp_path / "mirror" / tf.PROVIDER_SOURCE / "5.100.0").mkdir(parents=True)

    with pytest.raises(tf.EngineError, match="AWS provider mirror") as error:
        tf.find_engine(tmp_path / "build", binary=binary, mirror=tmp_path / "mirror", environ={})
    assert "Terraform binary" not in str(error.value)


def test_the_project_cli_config_uses_the_mirror_only_for_the_aws_provider(tmp_path: Path) -> None:
    binary = _fake_binary(tmp_path / "terraform")
    mirror = _fake_mirror(tmp_path / "mirror")

    engine = tf.find_engine(tmp_path / "build", binary=binary, mirror=mirror, environ={})

    assert engine.cli_config == tmp_path / "build" / "terraformrc"
    text = engine.cli_config.read_text(encoding="utf-8")
    assert f'path    = "{mirror}"' in text
    assert f'include = ["{tf.PROVIDER_SOURCE}"]' in text
    assert f'exclude = ["{tf.PROVIDER_SOURCE}"]' in text
    assert not engine.registry


def test_the_cli_config_is_set_for_our_commands_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", "/root/.terraformrc")
    monkeypatch.setenv("TF_CLI_ARGS_plan", "-refresh=false")
    engine = tf.Engine(binary=Path("/usr/local/bin/terraform"), cli_config=tmp_path / "terraformrc")

    env = engine.env()

    assert env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraformrc")
    assert "TF_CLI_ARGS_plan" not in env
    assert os.environ["TF_CLI_CONFIG_FILE"] == "/root/.terraformrc"


def test_github_runner_uses_setup_terraform_and_the_registry(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_binary(bin_dir / "terraform")

    engine = tf.find_engine(
        tmp_path / "build",
        mirror=tmp_path / "no-mirror",
        environ={"GITHUB_ACTIONS": "true", "PATH": str(bin_dir)},
    )

    assert engine.registry
    assert engine.binary == bin_dir / "terraform"
    text = engine.cli_config.read_text(encoding="utf-8")
    assert "provider_installation" not in text
    assert "plugin_cache_dir" in text


def test_a_workstation_without_the_mirror_can_opt_into_the_registry(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_binary(bin_dir / "terraform")
    environ = {"PATH": str(bin_dir)}
    # without the opt-in a missing mirror is an error that names the opt-in
    with pytest.raises(tf.EngineError, match=tf.ENV_FROM_REGISTRY):
        tf.find_engine(tmp_path / "build", binary=tmp_path / "none", mirror=tmp_path / "no-mirror", environ=environ)

    engine = tf.find_engine(
        tmp_path / "build", mirror=tmp_path / "no-mirror", environ={**environ, tf.ENV_FROM_REGISTRY: "1"}
    )

    assert engine.registry and engine.binary == bin_dir / "terraform"


def test_github_runner_without_terraform_says_to_add_setup_terraform(tmp_path: Path) -> None:
    with pytest.raises(tf.EngineError, match="hashicorp/setup-terraform"):
        tf.find_engine(
            tmp_path / "build",
            mirror=tmp_path / "no-mirror",
            environ={"GITHUB_ACTIONS": "true", "PATH": str(tmp_path)},
        )


def test_the_emulator_override_sends_every_service_to_the_emulator() -> None:
    text = tf.emulator_override("http://127.0.0.1:4567")

    for service in tf.EMULATED_SERVICES:
        assert f'{service} = "http://127.0.0.1:4567"' in text
    assert "max_retries = 3" in text
    assert "skip_requesting_account_id  = true" in text
    assert "s3_use_path_style           = true" in text


def test_the_copy_leaves_the_committed_roots_alone(tmp_path: Path) -> None:
    infra = tmp_path / "infra-src"
    (infra / "live" / ".terraform" / "providers").mkdir(parents=True)
    (infra / "live" / "main.tf").write_text("", encoding="utf-8")
    (infra / "live" / "terraform.tfstate").write_text("{}", encoding="utf-8")
    (infra / "live" / "stale_override.tf").write_text("", encoding="utf-8")

    copy = tf.copy_infra(tmp_path / "work", infra_dir=infra)
    tf.point_at_emulator(copy / "live", "http://127.0.0.1:1")

    assert sorted(p.name for p in (copy / "live").iterdir()) == [
        "backend_override.tf",
        "emulator_override.tf",
        "main.tf",
    ]
    assert sorted(p.name for p in (infra / "live").iterdir()) == [
        ".terraform",
        "main.tf",
        "stale_override.tf",
        "terraform.tfstate",
    ]


def test_failed_addresses_are_read_from_the_apply_errors() -> None:
    output = """
Error: creating Grafana Workspace: operation error grafana: CreateWorkspace, StatusCode: 500

  with module.grafana.aws_grafana_workspace.this,
  on ../modules/grafana/main.tf line 118, in resource "aws_grafana_workspace" "this":
"""
    assert tf.failed_addresses(output) == {"module.grafana.aws_grafana_workspace.this"}


@pytest.mark.parametrize("root", tf.ROOTS)
def test_each_root_commits_a_lock_file_for_the_tested_provider(root: str) -> None:
    lock = (tf.INFRA_DIR / root / ".terraform.lock.hcl").read_text(encoding="utf-8")

    match = LOCK_VERSION.search(lock)
    assert match is not None
    assert match.group(1) == "5.100.0"
    assert "h1:" in lock


def test_every_constraint_admits_the_tested_provider_and_no_6x_only_attribute_is_used() -> None:
    for versions in sorted(tf.INFRA_DIR.rglob("versions.tf")):
        text = versions.read_text(encoding="utf-8")
        assert 'version = ">= 5.100, < 6.0"' in text, versions
        assert "hashicorp/random" not in text, versions
    for source in sorted(tf.INFRA_DIR.rglob("*.tf")):
        # data.aws_region.current.region exists only in provider 6.x (5.x: .name).
        assert "aws_region.current.region" not in source.read_text(encoding="utf-8"), source


def test_every_emulator_gap_has_a_reason() -> None:
    assert tf.EMULATOR_GAPS
    for address, reason in tf.EMULATOR_GAPS.items():
        assert address.startswith("module."), address
        assert len(reason) > 20, address


def test_planned_changes_are_read_from_the_json_plan_output() -> None:
    def change(address: str, action: str) -> dict[str, object]:
        return {"type": "planned_change", "change": {"resource": {"addr": address}, "action": action}}

    lines = "\n".join(
        json.dumps(message)
        for message in (
            {"type": "version", "terraform": "1.11.4"},
            change("aws_s3_bucket.a", "create"),
            change("module.m.aws_kms_key.k", "update"),
            change("aws_iam_role.r", "replace"),
            change("module.m.data.aws_region.r", "read"),
            {"type": "change_summary", "changes": {"add": 2}},
        )
    )

    assert tf.planned_changes(lines) == {
        "aws_s3_bucket.a": ["create"],
        "module.m.aws_kms_key.k": ["update"],
        "aws_iam_role.r": ["delete", "create"],
    }


def test_plan_errors_are_reported_as_terraform_prints_them() -> None:
    line = json.dumps(
        {
            "type": "diagnostic",
            "diagnostic": {
                "severity": "error",
                "summary": "Invalid count argument",
                "detail": "The count value depends on values known only after apply",
                "address": "module.shipper.aws_iam_role_policy.extra",
            },
        }
    )

    assert tf.diagnostics(line) == (
        "Error: Invalid count argument [module.shipper.aws_iam_role_policy.extra]\n"
        "The count value depends on values known only after apply"
    )


def test_every_module_has_an_example_that_check_infra_validates() -> None:
    modules = sorted(p.name for p in (tf.INFRA_DIR / "modules").iterdir() if p.is_dir())
    examples = sorted(p.parents[2].name for p in (tf.INFRA_DIR / "modules").glob("*/examples/*/main.tf"))

    assert examples == modules
    for main in (tf.INFRA_DIR / "modules").glob("*/examples/*/main.tf"):
        assert 'source = "../.."' in main.read_text(encoding="utf-8"), main
        assert (main.parent / ".terraform.lock.hcl").is_file(), main.parent
