"""Every IAM policy the Terraform under infra/ creates, rendered from the HCL with example values.

Used by the analysers (tests/unit/infra/test_iam_analysers.py) and the escalation suite
(tests/integration/test_escalation.py): both judge the very blocks Terraform deploys. Locals are
resolved from the module's own ``locals`` blocks; everything else (data sources, variables,
resource attributes) gets a documented example value below. An unresolved reference fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from tools.hcl import blocks, parse_file, render_policy, statements, tf_files
from tools.terraform import INFRA_DIR

ACCOUNT = "123456789012"
REGION: Final = "eu-west-1"
PREFIX = "obs-platform"
API_ID = "a1b2c3d4e5"
DEPLOY_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-github-deploy"
ADMIN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/platform-admin"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/{PREFIX}-workload-boundary"
DEPLOY_PARTS = ("iam", "platform", "services")
"""The deploy role's managed policies, ``<prefix>-github-deploy-<part>`` (deploy_policy.tf)."""
BOOTSTRAP = INFRA_DIR / "bootstrap"
LIVE = INFRA_DIR / "live"
MODULES = INFRA_DIR / "modules"

_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b0b0b0b-1111-2222-3333-444444444444"
_FUNCTION_LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{PREFIX}-objects-api"
CHAT_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-chat"
NOTIFIER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-notifier-role"
NOTIFIER_LOGS = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{PREFIX}-notifier"
_TOKEN_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{PREFIX}-next-token-secret-Ab12Cd"
_COLLECTION = f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/abcdefghij0123456789"
_REFERENCE = re.compile(r"\$\{([^{}]+)\}")

# Values of what is not a local: data sources, variables, attributes of created resources.
BASE_VALUES: dict[str, str | list[str]] = {
    "data.aws_caller_identity.current.account_id": ACCOUNT,
    "data.aws_partition.current.partition": "aws",
    "data.aws_region.current.name": REGION,
    "var.name_prefix": PREFIX,
    "var.github_repository": "example-org/obs-platform",
    "var.deploy_environment": "production",
    "var.admin_role_arn": ADMIN_ROLE_ARN,
    "aws_iam_role.deploy.arn": DEPLOY_ROLE_ARN,
    "module.state_bucket.bucket_arn": f"arn:aws:s3:::{PREFIX}-tfstate-{ACCOUNT}",
    "module.artifacts_bucket.bucket_arn": f"arn:aws:s3:::{PREFIX}-artifacts-{ACCOUNT}",
    "statement.value": API_ID,
}

# Per module policy: the references its documents use, with values as infra/live passes them.
MODULE_VALUES: dict[str, dict[str, str | list[str]]] = {
    "function": {
        "statement.value": f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}",
        "aws_cloudwatch_log_group.this.arn": _FUNCTION_LOGS,
        "var.kms_key_arn": _KEY,
    },
    "grafana": {
        "var.log_group_arns": [_FUNCTION_LOGS],
        "var.collection_arn": _COLLECTION,
        "var.alarm_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-alarms",
        "var.alarm_topic_kms_key_arn": _KEY,
        "data.aws_region.current.name": REGION,
    },
    "log_pipeline": {
        "aws_opensearchserverless_collection.this.arn": _COLLECTION,
        "module.dead_letters.bucket_arn": f"arn:aws:s3:::{PREFIX}-dead-letters-{ACCOUNT}",
        "var.kms_key_arn": _KEY,
        "local.region": REGION,
    },
    "notifications": {
        "aws_sns_topic.alarms.arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-alarms",
        "aws_sns_topic.chat.arn": CHAT_TOPIC_ARN,
        "aws_cloudwatch_log_group.notifier[0].arn": NOTIFIER_LOGS,
        "var.kms_key_arn": _KEY,
        "var.operator_arns": [DEPLOY_ROLE_ARN, ADMIN_ROLE_ARN],
        "local.chat_publishers": [DEPLOY_ROLE_ARN, ADMIN_ROLE_ARN, NOTIFIER_ROLE_ARN],
    },
    "live": {
        "aws_secretsmanager_secret.next_token.arn": _TOKEN_SECRET,
    },
}

# Expressions the renderer cannot evaluate (a `for` inside concat), with what they evaluate to.
EXPRESSIONS: dict[str, list[str]] = {
    '${concat(var.log_group_arns, [for arn in var.log_group_arns : "${arn}:*"])}': [
        _FUNCTION_LOGS,
        f"{_FUNCTION_LOGS}:*",
    ],
}

# Identity policies (no principals) of each directory: (directory, document name).
IDENTITY_DOCUMENTS = [
    (BOOTSTRAP, "deploy_iam"),
    (BOOTSTRAP, "deploy_platform"),
    (BOOTSTRAP, "deploy_services"),
    (BOOTSTRAP, "workload_boundary"),
    (MODULES / "function", "function"),
    (MODULES / "grafana", "read"),
    (MODULES / "log_pipeline", "shipper"),
    (MODULES / "notifications", "chatbot_read_only"),
    (MODULES / "notifications", "notifier"),
    (LIVE, "function_secret"),
]


def resolved_locals(directory: Path, base: Mapping[str, str | list[str]]) -> dict[str, str | list[str]]:
    """``base`` plus every local of the module whose references can be resolved (to a fixpoint)."""
    values: dict[str, str | list[str]] = dict(base)
    pending: dict[str, Any] = {}
    for path in tf_files(directory):
        for entry in parse_file(path).get("locals", []):
            # a value given in ``base`` stands for a local the renderer cannot evaluate
            pending.update({f"local.{k}": v for k, v in entry.items() if f"local.{k}" not in base})

    def resolve(text: str) -> str | None:
        missing = [m for m in _REFERENCE.findall(text) if not isinstance(values.get(m.strip()), str)]
        if missing:
            return None
        return _REFERENCE.sub(lambda m: str(values[m.group(1).strip()]), text)

    progress = True
    while progress:
        progress = False
        for name, raw in list(pending.items()):
            items = raw if isinstance(raw, list) else [raw]
            if not all(isinstance(i, str) for i in items):
                del pending[name]
                continue
            done = [resolve(i) for i in items]
            if all(d is not None for d in done):
                values[name] = [str(d) for d in done] if isinstance(raw, list) else str(done[0])
                del pending[name]
                progress = True
    return values


def render(
    directory: Path,
    name: str,
    extra: Mapping[str, str | list[str]] | None = None,
    *,
    resource_policy: bool = False,
) -> dict[str, Any]:
    """The IAM JSON of ``data "aws_iam_policy_document" name`` in ``directory``."""
    documents = {b.name: b.body for b in blocks(directory, "data") if b.type == "aws_iam_policy_document"}
    document = _replace_expressions(documents[name])
    values = resolved_locals(
        directory, {**BASE_VALUES, **MODULE_VALUES.get(directory.name, {}), **(extra or {})}
    )
    text = render_policy(document, values, where=f"{directory.name}/{name}", resource_policy=resource_policy)
    rendered: dict[str, Any] = json.loads(text)
    return rendered


def _replace_expressions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _replace_expressions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_expressions(v) for v in value]
    if isinstance(value, str) and value in EXPRESSIONS:
        return EXPRESSIONS[value]
    return value


def deploy_policies(*, smoke_test_api_id: str | None = API_ID) -> dict[str, dict[str, Any]]:
    """The deploy role's managed policies by part; with no API id the smoke-test statement is absent."""
    policies = {part: render(BOOTSTRAP, f"deploy_{part}") for part in DEPLOY_PARTS}
    if smoke_test_api_id is None:
        for policy in policies.values():
            policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != "SmokeTestTheApi"]
    return policies


def deploy_policy(*, smoke_test_api_id: str | None = API_ID) -> dict[str, Any]:
    """All the deploy role's statements as one document (what the role holds in all)."""
    parts = deploy_policies(smoke_test_api_id=smoke_test_api_id).values()
    return {"Version": "2012-10-17", "Statement": [s for policy in parts for s in policy["Statement"]]}


def workload_boundary() -> dict[str, Any]:
    return render(BOOTSTRAP, "workload_boundary")


def all_identity_policies() -> dict[str, dict[str, Any]]:
    """Every identity policy infra/ creates, keyed ``directory/name``."""
    return {f"{d.name}/{n}": render(d, n) for d, n in IDENTITY_DOCUMENTS}


def identity_document_names(directory: Path) -> list[str]:
    """Names of the directory's policy documents without principals (identity policies)."""
    return sorted(
        b.name
        for b in blocks(directory, "data")
        if b.type == "aws_iam_policy_document" and not any(s.get("principals") for s in statements(b.body))
    )
