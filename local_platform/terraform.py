"""The real Terraform engine run against the local emulator: init, validate, plan, apply, destroy.

Used by ``make check-infra`` (tools/terraform_engine.py: init + validate + plan of both roots) and by
local_platform.deployment, which applies both roots into the emulator the local platform (``obsctl
serve``, ``make demo``) and the integration tests run on (tests/integration/test_terraform_apply.py).

Where the engine comes from:

* this machine: ``/usr/local/bin/terraform`` and the AWS provider as a filesystem mirror under
  ``/opt/tf-plugins``. The project writes its own CLI configuration (``build/terraform/terraformrc``:
  the mirror for ``hashicorp/aws``, no direct download of it) and points ``TF_CLI_CONFIG_FILE`` at it
  for the commands it runs, and only for those;
* a GitHub runner (``GITHUB_ACTIONS=true``), or a workstation with ``OBS_TERRAFORM_FROM_REGISTRY=1``:
  ``terraform`` on the PATH (hashicorp/setup-terraform) and the registry, with ``terraform init``
  honouring the committed ``.terraform.lock.hcl``.

Anything missing is an error naming what is missing; the checks never skip.

The committed roots are never edited: each run works in a copy of ``infra/`` under ``build/terraform``
and writes the emulator's provider settings (endpoints, path-style S3, no credential or account
look-up, few retries) and a local backend there as ``*_override.tf`` files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from local_platform.emulator import Emulator

__all__ = [
    "BUILD_DIR",
    "EMULATED_SERVICES",
    "EMULATOR_ACCOUNT_ID",
    "EMULATOR_GAPS",
    "EMULATOR_REGION",
    "ENV_FROM_REGISTRY",
    "INFRA_DIR",
    "LOCAL_BACKEND_OVERRIDE",
    "PROVIDER_MIRROR",
    "PROVIDER_SOURCE",
    "REPO_ROOT",
    "ROOTS",
    "TERRAFORM_BINARY",
    "Engine",
    "EngineError",
    "Timer",
    "apply",
    "cli_config_text",
    "copy_infra",
    "destroy",
    "diagnostics",
    "emulator_override",
    "failed_addresses",
    "find_engine",
    "init",
    "managed_in_state",
    "plan",
    "planned_changes",
    "point_at_emulator",
    "running_emulator",
    "validate",
]


ENV_FROM_REGISTRY = "OBS_TERRAFORM_FROM_REGISTRY"
"""``1``: ``terraform`` from the PATH and the AWS provider from the registry (pinned by the committed
lock files), as on a GitHub runner; for a workstation without the provider mirror."""
T = TypeVar("T")
REPO_ROOT = Path(__file__).resolve().parents[1]
INFRA_DIR = REPO_ROOT / "infra"
BUILD_DIR = REPO_ROOT / "build" / "terraform"
ROOTS = ("bootstrap", "live")

TERRAFORM_BINARY = Path("/usr/local/bin/terraform")
PROVIDER_MIRROR = Path("/opt/tf-plugins")
PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
EMULATOR_REGION = "eu-west-1"
EMULATOR_ACCOUNT_ID = "123456789012"  # moto's default account, the one example.tfvars names

# Every service endpoint the roots use. The provider sends a service without an entry here to AWS,
# so a missing one would fail on credentials rather than silently reach the internet.
EMULATED_SERVICES = (
    "apigatewayv2",
    "chatbot",
    "cloudwatch",
    "cloudwatchlogs",
    "events",
    "grafana",
    "guardduty",
    "iam",
    "kms",
    "lambda",
    "opensearchserverless",
    "s3",
    "secretsmanager",
    "sns",
    "sts",
)


# What the emulator (moto 5.2 with local_platform.emulator_extensions) cannot create, with the API it
# lacks. An apply into the emulator creates every other resource of the roots, and the plan after
# it proposes nothing but creating these (tests/integration/test_terraform_apply.py).
EMULATOR_GAPS: dict[str, str] = {
    "module.grafana.aws_grafana_workspace.this": (
        "moto has no Amazon Managed Grafana API at all (grafana:CreateWorkspace is routed nowhere)"
    ),
    "module.grafana.aws_grafana_workspace_service_account.publisher": (
        "needs the workspace above (grafana:CreateWorkspaceServiceAccount, no Managed Grafana in moto)"
    ),
}


class EngineError(Exception):
    """Terraform is missing, or a Terraform command failed (the message says which and why)."""


@dataclass(frozen=True)
class Engine:
    """A Terraform binary and the CLI configuration the project runs it with."""

    binary: Path
    cli_config: Path
    registry: bool = False

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "TF_CLI_CONFIG_FILE": str(self.cli_config),
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
                "CHECKPOINT_DISABLE": "1",
            }
        )
        # A developer's own settings must not leak into the project's runs.
        for name in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_apply"):
            env.pop(name, None)
        env.update(extra or {})
        return env

    def run(self, directory: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``terraform <args>`` in ``directory``; with ``check``, a failure raises with its output."""
        command = [str(self.binary), f"-chdir={directory}", *args]
        result = subprocess.run(  # noqa: S603 - our own binary, arguments built here
            command, env=self.env(), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise EngineError(
                f"terraform {' '.join(args)} failed in {_display(directory)} (exit {result.returncode}):\n"
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result


def _display(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def cli_config_text(*, mirror: Path | None, plugin_cache: Path | None = None) -> str:
    """The CLI configuration: the filesystem mirror for the AWS provider, or the registry."""
    lines: list[str] = []
    if plugin_cache is not None:
        lines.append(f"plugin_cache_dir = {json.dumps(str(plugin_cache))}")
    if mirror is not None:
        source = json.dumps(PROVIDER_SOURCE)
        lines += [
            "provider_installation {",
            "  filesystem_mirror {",
            f"    path    = {json.dumps(str(mirror))}",
            f"    include = [{source}]",
            "  }",
            "  direct {",
            f"    exclude = [{source}]",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def find_engine(
    build_dir: Path = BUILD_DIR,
    *,
    binary: Path = TERRAFORM_BINARY,
    mirror: Path = PROVIDER_MIRROR,
    environ: Mapping[str, str] | None = None,
) -> Engine:
    """The engine for this machine, with its CLI configuration written under ``build_dir``.

    Raises :class:`EngineError` naming what is missing: the binary, or the provider mirror.
    """
    environ = os.environ if environ is None else environ
    on_github = environ.get("GITHUB_ACTIONS") == "true" or environ.get(ENV_FROM_REGISTRY) == "1"
    build_dir.mkdir(parents=True, exist_ok=True)
    cli_config = build_dir / "terraformrc"
    if on_github and not mirror.is_dir():
        found = shutil.which("terraform", path=environ.get("PATH"))
        if found is None:
            raise EngineError(
                "terraform is not on the PATH: on a GitHub runner add hashicorp/setup-terraform "
                f"before `make` in the workflow; with {ENV_FROM_REGISTRY}=1 install Terraform >= 1.10"
            )
        cache = build_dir / "plugin-cache"
        cache.mkdir(exist_ok=True)
        cli_config.write_text(cli_config_text(mirror=None, plugin_cache=cache), encoding="utf-8")
        return Engine(binary=Path(found), cli_config=cli_config, registry=True)
    missing = []
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        missing.append(f"the Terraform binary {binary} (Terraform >= 1.10)")
    provider_dir = mirror / PROVIDER_SOURCE
    if not provider_dir.is_dir() or not any(provider_dir.glob("*/linux_amd64")):
        missing.append(f"the AWS provider mirror {provider_dir}/<version>/linux_amd64")
    if missing:
        raise EngineError(
            "cannot run Terraform: missing "
            + " and ".join(missing)
            + f". Install them (see infra/README.md, 'Checks'), or set {ENV_FROM_REGISTRY}=1 to use "
            "`terraform` on the PATH and the provider from the registry; the infra checks never skip."
        )
    cli_config.write_text(cli_config_text(mirror=mirror), encoding="utf-8")
    return Engine(binary=binary, cli_config=cli_config)


# --- A working copy of infra/ -------------------------------------------------------------------


def copy_infra(destination: Path, infra_dir: Path = INFRA_DIR) -> Path:
    """A fresh copy of ``infra/`` at ``destination/infra`` (no .terraform, state or plan files)."""
    target = destination / "infra"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        infra_dir,
        target,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "*_override.tf"),
    )
    return target


def emulator_override(endpoint: str) -> str:
    """Provider settings that send every call of the AWS provider to the emulator at ``endpoint``."""
    endpoints = "\n".join(f"    {name} = {json.dumps(endpoint)}" for name in EMULATED_SERVICES)
    return (
        "# Written by local_platform.terraform for a run against the local emulator; never committed.\n"
        'provider "aws" {\n'
        '  access_key                  = "test"\n'
        '  secret_key                  = "test"\n'
        "  skip_credentials_validation = true\n"
        "  skip_requesting_account_id  = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n"
        "  # An API the emulator lacks answers 500: fail within seconds instead of retrying for minutes;\n"
        "  # a few retries ride over a connection the threaded emulator closed under load.\n"
        "  max_retries = 3\n"
        "\n"
        "  endpoints {\n"
        f"{endpoints}\n"
        "  }\n"
        "}\n"
    )


LOCAL_BACKEND_OVERRIDE = 'terraform {\n  backend "local" {}\n}\n'


def point_at_emulator(root: Path, endpoint: str) -> None:
    """Write the emulator override (and a local backend) into a copied root."""
    (root / "emulator_override.tf").write_text(emulator_override(endpoint), encoding="utf-8")
    (root / "backend_override.tf").write_text(LOCAL_BACKEND_OVERRIDE, encoding="utf-8")


# --- The emulator -------------------------------------------------------------------------------


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    """An empty emulator in this process (local_platform.emulator), stopped on exit."""
    from local_platform.emulator import start_emulator

    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


# --- Steps --------------------------------------------------------------------------------------


@dataclass
class Timer:
    """Wall-clock seconds per step, for the report."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = round(time.monotonic() - started, 1)

    def call(self, name: str, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` timed as step ``name`` (for a thread pool's ``submit``)."""
        with self.step(name):
            return function(*args)


def init(engine: Engine, root: Path) -> None:
    """``terraform init`` from the mirror (or the registry), never changing the committed lock file."""
    engine.run(root, "init", "-input=false", "-no-color", "-lockfile=readonly")


def validate(engine: Engine, root: Path) -> None:
    engine.run(root, "validate", "-no-color")


def plan(
    engine: Engine, root: Path, var_files: Sequence[Path], out: Path, *extra: str
) -> dict[str, list[str]]:
    """``terraform plan -out``; returns the planned changes: resource address -> actions.

    The changes are read from the plan's machine-readable output (``-json``), which saves a
    ``terraform show -json`` (another start of the provider) per plan.
    """
    args = ["plan", "-json", "-input=false", "-lock=false", "-parallelism=30", f"-out={out}"]
    args += [f"-var-file={path}" for path in var_files]
    result = engine.run(root, *args, *extra, check=False)
    if result.returncode != 0:
        raise EngineError(
            f"terraform plan failed in {_display(root)} (exit {result.returncode}):\n"
            + (diagnostics(result.stdout) or result.stderr.strip())
        )
    return planned_changes(result.stdout)


_ACTIONS = {"create": ["create"], "update": ["update"], "delete": ["delete"], "replace": ["delete", "create"]}


def planned_changes(json_lines: str) -> dict[str, list[str]]:
    """Managed resource address -> actions, from ``terraform plan -json`` (no-ops and reads left out)."""
    changes: dict[str, list[str]] = {}
    for line in json_lines.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("type") != "planned_change":
            continue
        change = message["change"]
        address = change["resource"]["addr"]
        action = change["action"]
        if address.startswith("data.") or ".data." in address or action in ("noop", "read"):
            continue
        changes[address] = _ACTIONS.get(action, [action])
    return changes


def diagnostics(json_lines: str) -> str:
    """The error diagnostics of a ``-json`` run, as Terraform would print them (summary, address, detail)."""
    found = []
    for line in json_lines.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        diagnostic = message.get("diagnostic") if message.get("type") == "diagnostic" else None
        if diagnostic and diagnostic.get("severity") == "error":
            where = diagnostic.get("address") or diagnostic.get("range", {}).get("filename", "")
            found.append(
                f"Error: {diagnostic.get('summary', '')} [{where}]\n{diagnostic.get('detail', '')}".strip()
            )
    return "\n\n".join(found)


def apply(
    engine: Engine, root: Path, plan_file: Path, *, parallelism: int = 30
) -> subprocess.CompletedProcess[str]:
    """``terraform apply`` of a saved plan; not checked: the caller compares the state with the plan."""
    return engine.run(
        root,
        "apply",
        "-input=false",
        "-no-color",
        "-lock=false",
        f"-parallelism={parallelism}",
        str(plan_file),
        check=False,
    )


def destroy(
    engine: Engine, root: Path, var_files: Sequence[Path], *extra: str, parallelism: int = 30
) -> subprocess.CompletedProcess[str]:
    args = [
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-lock=false",
        f"-parallelism={parallelism}",
    ]
    args += [f"-var-file={path}" for path in var_files]
    return engine.run(root, *args, *extra, check=False)


def managed_in_state(engine: Engine, root: Path) -> set[str]:
    """Addresses of the managed resources in a root's state (data sources left out)."""
    listed = engine.run(root, "state", "list", check=False)
    if listed.returncode != 0 and "No state file was found" in listed.stderr:
        return set()
    if listed.returncode != 0:
        raise EngineError(f"terraform state list failed in {_display(root)}: {listed.stderr.strip()}")
    addresses = (line.strip() for line in listed.stdout.splitlines())
    return {a for a in addresses if a and not a.startswith("data.") and ".data." not in a}


def failed_addresses(apply_output: str) -> set[str]:
    """The resource addresses named by ``with <address>,`` in the errors of an apply."""
    found = set()
    for line in apply_output.splitlines():
        stripped = line.strip()
        if stripped.startswith("with ") and stripped.endswith(","):
            found.add(stripped[len("with ") : -1])
    return found
