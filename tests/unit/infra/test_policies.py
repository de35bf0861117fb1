"""Policy checks on infra/ that checkov does not make, each proven able to fail.

Every check is a function returning a list of violations (empty = compliant). Each runs over every
Terraform root and module of infra/ and expects no violation, and again over a deliberately broken
snippet written to a temporary module, where it must report one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.hcl import Block, blocks, parse_file, statements, tf_files
from tools.terraform import INFRA_DIR, terraform_dirs

MODULES_DIR = INFRA_DIR / "modules"
CATALOG = MODULES_DIR / "alerting" / "catalog.tf.json"

# Data-plane services: no Allow statement may grant every action of one of them.
DATA_PLANE_SERVICES = {"s3", "aoss", "es", "kms", "sns", "sqs", "logs", "execute-api", "dynamodb", "lambda"}

# Actions AWS documents without resource-level permissions: the only ones an identity policy may
# grant on Resource "*". Adding one here is a reviewed decision (checkov's CKV_AWS_109/111/356
# are skipped in favour of this list; see infra/.checkov.yaml). No whole-service prefix: every
# action is named, so a data-plane action such as aoss:APIAccessAll can never slip in on "*".
STAR_RESOURCE_ACTIONS = frozenset(
    {
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
        "cloudwatch:DescribeAlarmHistory",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:GetInsightRuleReport",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "ec2:DescribeRegions",
        "logs:DescribeLogGroups",
        "logs:GetQueryResults",
        "logs:StopQuery",
        "logs:DescribeQueries",
        "tag:GetResources",
        "aoss:ListCollections",
        # deploy role (infra/bootstrap): account-wide settings and reads without resource types
        "kms:ListAliases",
        # ephemeral aws_secretsmanager_random_password: an API without a resource (returns bytes)
        "secretsmanager:GetRandomPassword",
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "aoss:BatchGetCollection",
        "aoss:BatchGetLifecyclePolicy",
        "aoss:GetAccessPolicy",
        "aoss:GetSecurityPolicy",
        "aoss:ListTagsForResource",
        # retention policies have neither a resource type nor an aoss:collection condition key
        "aoss:CreateLifecyclePolicy",
        "aoss:DeleteLifecyclePolicy",
        "aoss:UpdateLifecyclePolicy",
        "organizations:DescribeOrganization",
        "sso:CreateManagedApplicationInstance",
        "sso:DeleteManagedApplicationInstance",
        "sso:DescribeRegisteredRegions",
        "sso:GetSharedSsoConfiguration",
        "chatbot:DescribeSlackChannelConfigurations",
        "chatbot:ListMicrosoftTeamsChannelConfigurations",
        "chatbot:ListTagsForResource",
        "guardduty:ListDetectors",
    }
)

# Creation (and policy) calls that have no resource ARN to scope by: allowed on "*" only in a
# statement that carries a condition (aws:RequestTag/project, aoss:collection), so they reach
# only what the project creates or names.
STAR_RESOURCE_IF_CONDITIONED = frozenset(
    {
        "kms:CreateKey",
        "kms:TagResource",
        "aoss:CreateCollection",
        "aoss:TagResource",
        "aoss:UntagResource",
        "aoss:CreateAccessPolicy",
        "aoss:CreateSecurityPolicy",
        "aoss:DeleteAccessPolicy",
        "aoss:DeleteCollection",
        "aoss:DeleteSecurityPolicy",
        "aoss:UpdateAccessPolicy",
        "aoss:UpdateCollection",
        "aoss:UpdateSecurityPolicy",
        "grafana:CreateWorkspace",
        "chatbot:CreateMicrosoftTeamsChannelConfiguration",
        "chatbot:CreateSlackChannelConfiguration",
        "guardduty:CreateDetector",
        "guardduty:TagResource",
    }
)

Violations = list[str]


def _star_resource_ok(action: str, conditioned: bool) -> bool:
    return action in STAR_RESOURCE_ACTIONS or (conditioned and action in STAR_RESOURCE_IF_CONDITIONED)


_DOCUMENT_JSON = re.compile(r"\$\{data\.aws_iam_policy_document\.(\w+)\.json\}")


def _all_dirs() -> list[Path]:
    return terraform_dirs(INFRA_DIR)


def _resources(directory: Path, type_name: str) -> Iterator[Block]:
    return (b for b in blocks(directory, "resource") if b.type == type_name)


def _policy_documents(directory: Path) -> dict[str, dict[str, Any]]:
    return {b.name: b.body for b in blocks(directory, "data") if b.type == "aws_iam_policy_document"}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _locals(directory: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in tf_files(directory):
        for entry in parse_file(path).get("locals", []):
            merged.update(entry)
    return merged


def _raw(directory: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in tf_files(directory))


# --- the checks ----------------------------------------------------------------------------------


def tls_only_violations(directory: Path) -> Violations:
    """Every bucket has a policy denying requests without TLS on the bucket and its objects."""
    documents = _policy_documents(directory)
    policies = list(_resources(directory, "aws_s3_bucket_policy"))
    found: Violations = []
    for bucket in _resources(directory, "aws_s3_bucket"):
        arn = f"${{aws_s3_bucket.{bucket.name}.arn}}"
        wanted = {arn, f"{arn}/*"}
        ok = False
        for policy in policies:
            if policy.body.get("bucket") != f"${{aws_s3_bucket.{bucket.name}.id}}":
                continue
            match = _DOCUMENT_JSON.fullmatch(str(policy.body.get("policy")))
            document = documents.get(match.group(1), {}) if match else {}
            for statement in statements(document):
                conditions = statement.get("condition", [])
                insecure = any(
                    c.get("variable") == "aws:SecureTransport" and _list(c.get("values")) == ["false"]
                    for c in conditions
                )
                if (
                    statement.get("effect") == "Deny"
                    and insecure
                    and wanted <= set(_list(statement.get("resources")))
                    and "__for_each__" not in statement
                ):
                    ok = True
        if not ok:
            found.append(f"{directory.name}: bucket {bucket.name} has no TLS-only deny on bucket and objects")
    return found


def route_auth_violations(directory: Path) -> Violations:
    """Every HTTP API route requires AWS_IAM (or JWT), $default included; NONE is never possible."""
    found: Violations = []
    routes = list(_resources(directory, "aws_apigatewayv2_route"))
    local_values = _locals(directory)
    raw = _raw(directory)
    route_keys: list[str] = []
    for route in routes:
        auth = route.body.get("authorization_type")
        route_keys.extend(_list(route.body.get("route_key")))
        route_keys.extend(str(route.body.get("for_each", "")).split('"'))
        if auth in ("AWS_IAM", "JWT"):
            continue
        reference = re.fullmatch(r"\$\{local\.(\w+)\}", str(auth))
        resolved = str(local_values.get(reference.group(1), "")) if reference else ""
        variable = re.fullmatch(r"\$\{var\.(\w+)\.type\}", resolved)
        allowed_by_validation = bool(variable) and re.search(
            r'contains\(\["AWS_IAM", "JWT"\], var\.'
            + re.escape(variable.group(1) if variable else "")
            + r"\.type\)",
            raw,
        )
        if not allowed_by_validation:
            found.append(f"{directory.name}: route {route.name} authorization {auth!r} is not AWS_IAM/JWT")
    if routes and not any("$default" in key for key in route_keys):
        found.append(f"{directory.name}: no $default route with authorization (unmatched requests)")
    return found


def kms_violations(directory: Path) -> Violations:
    """KMS (our key) on every log group, topic, queue, bucket and collection."""
    found: Violations = []
    for group in _resources(directory, "aws_cloudwatch_log_group"):
        if not group.body.get("kms_key_id"):
            found.append(f"{directory.name}: log group {group.name} without kms_key_id")
    for type_name in ("aws_sns_topic", "aws_sqs_queue"):
        for res in _resources(directory, type_name):
            key = str(res.body.get("kms_master_key_id") or "")
            if not key or "alias/aws/" in key:
                found.append(f"{directory.name}: {type_name} {res.name} without a customer managed key")
    sse = list(_resources(directory, "aws_s3_bucket_server_side_encryption_configuration"))
    for bucket in _resources(directory, "aws_s3_bucket"):
        ok = False
        for conf in sse:
            if conf.body.get("bucket") != f"${{aws_s3_bucket.{bucket.name}.id}}":
                continue
            for rule in _list(conf.body.get("rule")):
                for default in _list(rule.get("apply_server_side_encryption_by_default")):
                    if default.get("sse_algorithm") == "aws:kms" and default.get("kms_master_key_id"):
                        ok = True
        if not ok:
            found.append(f"{directory.name}: bucket {bucket.name} without SSE-KMS")
    collections = list(_resources(directory, "aws_opensearchserverless_collection"))
    if collections:
        encryption = [
            p
            for p in _resources(directory, "aws_opensearchserverless_security_policy")
            if p.body.get("type") == "encryption"
        ]
        ours = [p for p in encryption if re.search(r"AWSOwnedKey\s*=\s*false", str(p.body.get("policy")))]
        if not ours or not all("KmsARN" in str(p.body.get("policy")) for p in ours):
            found.append(f"{directory.name}: collection without an encryption policy using our key")
        for collection in collections:
            depends = " ".join(_list(collection.body.get("depends_on")))
            if not any(f"aws_opensearchserverless_security_policy.{p.name}" in depends for p in ours):
                found.append(f"{directory.name}: collection {collection.name} created before its encryption")
    return found


def star_action_violations(directory: Path) -> Violations:
    """No Allow of `*` or `<data-plane service>:*`; `*` resources only for allow-listed actions."""
    found: Violations = []
    for name, document in _policy_documents(directory).items():
        for statement in statements(document):
            if statement.get("effect", "Allow") != "Allow":
                continue
            actions = [str(a) for a in _list(statement.get("actions"))]
            for action in actions:
                service = action.split(":", 1)[0]
                if action == "*" or (action.endswith(":*") and service in DATA_PLANE_SERVICES):
                    found.append(f"{directory.name}: {name}/{statement.get('sid', '?')} allows {action}")
            is_resource_policy = bool(statement.get("principals"))
            if "*" in _list(statement.get("resources")) and not is_resource_policy:
                conditioned = bool(statement.get("condition"))
                wide = [a for a in actions if not _star_resource_ok(a, conditioned)]
                if wide:
                    found.append(f"{directory.name}: {name}/{statement.get('sid', '?')} grants {wide} on *")
    for match in re.finditer(r'"(aoss|es):\*"', _raw(directory)):
        found.append(f"{directory.name}: data-access policy grants {match.group(0)}")
    return found


def oidc_violations(directory: Path) -> Violations:
    """A GitHub OIDC trust pins aud = sts.amazonaws.com and exact subjects (StringEquals, no `*`)."""
    found: Violations = []
    local_values = _locals(directory)
    for name, document in _policy_documents(directory).items():
        for statement in statements(document):
            if "sts:AssumeRoleWithWebIdentity" not in _list(statement.get("actions")):
                continue
            conditions = {
                str(c.get("variable")).rsplit(":", 1)[-1]: c for c in statement.get("condition", [])
            }
            aud, sub = conditions.get("aud"), conditions.get("sub")
            if (
                not aud
                or aud.get("test") != "StringEquals"
                or _list(aud.get("values")) != ["sts.amazonaws.com"]
            ):
                found.append(f"{directory.name}: {name} does not pin aud = sts.amazonaws.com")
            if not sub or sub.get("test") != "StringEquals":
                found.append(f"{directory.name}: {name} does not pin sub with StringEquals")
                continue
            values = _list(sub.get("values"))
            reference = re.fullmatch(r"\$\{local\.(\w+)\}", str(values[0])) if len(values) == 1 else None
            if reference:
                values = _list(local_values.get(reference.group(1)))
            for value in values:
                text = str(value)
                # The environment subject only: a branch subject lets any job on that branch that
                # asks for id-token: write skip the environment's required reviewers.
                if "*" in text or not text.startswith("repo:") or not re.search(r":environment:[^:]+$", text):
                    found.append(f"{directory.name}: {name} trusts a loose subject {text!r}")
            if not values:
                found.append(f"{directory.name}: {name} has no subjects")
    return found


def network_policy_violations(directory: Path) -> Violations:
    """A collection's network policy is public only when a variable says so."""
    found: Violations = []
    for policy in _resources(directory, "aws_opensearchserverless_security_policy"):
        if policy.body.get("type") != "network":
            continue
        text = str(policy.body.get("policy"))
        values = re.findall(r"AllowFromPublic\s*=\s*([^,}\]\s]+)", text)
        if not values:
            found.append(f"{directory.name}: network policy {policy.name} does not state AllowFromPublic")
        for value in values:
            if value != "false" and not value.startswith("var."):
                found.append(f"{directory.name}: network policy {policy.name} AllowFromPublic = {value}")
    return found


def boundary_violations(directory: Path) -> Violations:
    """Every role a module creates carries the permissions boundary, and the root passes it on.

    The deploy role (infra/bootstrap) is the one role without it: the administrators own it.
    """
    found: Violations = []
    if directory.name == "bootstrap":
        return found
    for role in _resources(directory, "aws_iam_role"):
        if role.body.get("permissions_boundary") != "${var.permissions_boundary_arn}":
            found.append(
                f"{directory.name}: role {role.name} without "
                "permissions_boundary = var.permissions_boundary_arn"
            )
    for module in blocks_of_kind(directory, "module"):
        source = directory / str(module.get("source", ""))
        if not source.is_dir() or not list(source.glob("*.tf")):
            continue
        variables = {
            name
            for path in tf_files(source)
            for entry in parse_file(path).get("variable", [])
            for name in entry
        }
        if "permissions_boundary_arn" in variables and "permissions_boundary_arn" not in module:
            found.append(
                f"{directory.name}: module {module.get('__name__')} does not pass permissions_boundary_arn"
            )
    return found


def blocks_of_kind(directory: Path, kind: str) -> list[dict[str, Any]]:
    """Top-level ``module "name" {...}`` blocks (with their name under ``__name__``)."""
    found: list[dict[str, Any]] = []
    for path in tf_files(directory):
        for entry in parse_file(path).get(kind, []):
            for name, body in entry.items():
                found.append({**body, "__name__": name})
    return found


ALARM_TYPES = ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm")


def _alarm_violation(where: str, name: str, body: dict[str, Any]) -> str | None:
    """Someone hears when the alarm fires (alarm_actions) and when it clears (ok_actions)."""
    if body.get("actions_enabled") is False or body.get("actions_enabled") == "false":
        return f"{where}: alarm {name} has its actions disabled"
    missing = [key for key in ("alarm_actions", "ok_actions") if not _list(body.get(key))]
    if missing:
        return f"{where}: alarm {name} has no {' and no '.join(missing)}"
    return None


def alarm_violations(directory: Path) -> Violations:
    """Every alarm (HCL and the rendered catalog) notifies someone on ALARM and on OK."""
    found: Violations = []
    for type_name in ALARM_TYPES:
        for alarm in _resources(directory, type_name):
            problem = _alarm_violation(directory.name, alarm.name, alarm.body)
            if problem:
                found.append(problem)
    for path in sorted(directory.glob("*.tf.json")):
        resources = json.loads(path.read_text(encoding="utf-8")).get("resource", {})
        for entry in _list(resources):
            for type_name in ALARM_TYPES:
                for named in _list(entry.get(type_name, {})):
                    for name, body in named.items():
                        for instance in _list(body):
                            problem = _alarm_violation(path.name, name, instance)
                            if problem:
                                found.append(problem)
    return found


CHECKS: dict[str, Callable[[Path], Violations]] = {
    "tls_only": tls_only_violations,
    "route_auth": route_auth_violations,
    "kms": kms_violations,
    "star_action": star_action_violations,
    "oidc": oidc_violations,
    "boundary": boundary_violations,
    "network_policy": network_policy_violations,
    "alarms": alarm_violations,
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_infra_passes(check: str) -> None:
    violations = [v for d in _all_dirs() for v in CHECKS[check](d)]
    assert violations == []


def test_the_checks_see_the_resources() -> None:
    # Guard against a check passing because it found nothing to look at.
    dirs = _all_dirs()
    counts = {
        type_name: sum(1 for d in dirs for _ in _resources(d, type_name))
        for type_name in (
            "aws_s3_bucket",
            "aws_apigatewayv2_route",
            "aws_cloudwatch_log_group",
            "aws_sns_topic",
            "aws_opensearchserverless_collection",
            "aws_opensearchserverless_security_policy",
        )
    }
    assert all(count > 0 for count in counts.values()), counts
    catalog = json.loads(CATALOG.read_text(encoding="utf-8")).get("resource", {})
    assert sum(len(catalog.get(t, {})) for t in ALARM_TYPES) > 0, "the rendered catalog has no alarms"
    trusts = [d for d in dirs for v in _policy_documents(d).values() if "AssumeRoleWithWebIdentity" in str(v)]
    assert trusts == [INFRA_DIR / "bootstrap"]


# --- each check must be able to fail: broken snippets ---------------------------------------------

BROKEN: dict[str, str] = {
    "tls_only": """
resource "aws_s3_bucket" "leaky" {
  bucket = "leaky"
}
""",
    "route_auth": """
resource "aws_apigatewayv2_route" "open" {
  api_id             = "x"
  route_key          = "$default"
  authorization_type = "NONE"
}
""",
    "kms": """
resource "aws_cloudwatch_log_group" "plain" {
  name = "/plain"
}
resource "aws_sns_topic" "aws_key" {
  name              = "t"
  kms_master_key_id = "alias/aws/sns"
}
""",
    "star_action": """
data "aws_iam_policy_document" "greedy" {
  statement {
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::b"]
  }
  statement {
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
""",
    "oidc": """
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:owner/name:*"]
    }
  }
}
""",
    "boundary": """
resource "aws_iam_role" "unbounded" {
  name               = "x"
  assume_role_policy = "{}"
}
""",
    "network_policy": """
resource "aws_opensearchserverless_security_policy" "net" {
  name   = "n"
  type   = "network"
  policy = jsonencode([{ Rules = [], AllowFromPublic = true }])
}
""",
    "alarms": """
resource "aws_cloudwatch_metric_alarm" "silent" {
  alarm_name          = "silent"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 1
}
""",
}

# Further broken snippets, each with the violation it must produce (one defect per snippet).
MORE_BROKEN: dict[str, tuple[str, str, str]] = {
    "data plane on *": (
        "star_action",
        """
data "aws_iam_policy_document" "reader" {
  statement {
    actions   = ["aoss:APIAccessAll"]
    resources = ["*"]
  }
}
""",
        "grants ['aoss:APIAccessAll'] on *",
    ),
    "delete on * without a condition": (
        "star_action",
        """
data "aws_iam_policy_document" "deployer" {
  statement {
    actions   = ["aoss:DeleteCollection", "grafana:DeleteWorkspace"]
    resources = ["*"]
  }
}
""",
        "grants ['aoss:DeleteCollection', 'grafana:DeleteWorkspace'] on *",
    ),
    "creation on * without a request tag": (
        "star_action",
        """
data "aws_iam_policy_document" "deployer" {
  statement {
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]
  }
}
""",
        "grants ['kms:CreateKey', 'kms:TagResource'] on *",
    ),
    "a branch subject in the OIDC trust": (
        "oidc",
        """
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:owner/name:ref:refs/heads/main"]
    }
  }
}
""",
        "trusts a loose subject 'repo:owner/name:ref:refs/heads/main'",
    ),
    "a module that drops the boundary": (
        "boundary",
        f"""
module "function" {{
  source = "{MODULES_DIR / "function"}"
}}
""",
        "module function does not pass permissions_boundary_arn",
    ),
    "alarm without ok_actions": (
        "alarms",
        """
resource "aws_cloudwatch_metric_alarm" "half_silent" {
  alarm_name          = "half-silent"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 1
  alarm_actions       = ["arn:aws:sns:eu-west-1:123456789012:t"]
}
""",
        "alarm half_silent has no ok_actions",
    ),
}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_each_check_fails_on_a_broken_snippet(check: str, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BROKEN[check], encoding="utf-8")
    assert CHECKS[check](tmp_path) != []


@pytest.mark.parametrize("case", sorted(MORE_BROKEN))
def test_each_check_names_the_defect(case: str, tmp_path: Path) -> None:
    check, snippet, expected = MORE_BROKEN[case]
    (tmp_path / "main.tf").write_text(snippet, encoding="utf-8")
    violations = CHECKS[check](tmp_path)
    assert len(violations) == 1, violations
    assert expected in violations[0]


def test_a_conditioned_creation_on_star_passes(tmp_path: Path) -> None:
    # Given creation calls on "*" limited by the project's request tag (as in deploy_policy.tf)
    (tmp_path / "main.tf").write_text(
        """
data "aws_iam_policy_document" "deployer" {
  statement {
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/project"
      values   = ["obs"]
    }
  }
}
""",
        encoding="utf-8",
    )
    # Then the check accepts them: the condition is what scopes them
    assert star_action_violations(tmp_path) == []


def test_alarm_check_reads_the_rendered_catalog(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("# empty\n", encoding="utf-8")
    catalog = {
        "resource": {"aws_cloudwatch_metric_alarm": {"no_actions": {"alarm_name": "x", "threshold": 1}}}
    }
    (tmp_path / "catalog.tf.json").write_text(json.dumps(catalog), encoding="utf-8")
    expected = "catalog.tf.json: alarm no_actions has no alarm_actions and no ok_actions"
    assert alarm_violations(tmp_path) == [expected]


def test_the_catalog_is_valid_json() -> None:
    assert isinstance(json.loads(CATALOG.read_text(encoding="utf-8")), dict)


def test_the_vpc_endpoint_network_is_rejected_until_it_can_work() -> None:
    # The shipper, Grafana and the template step cannot reach a VPC-only collection yet, so the
    # log pipeline's network variable must refuse allow_public = false with a reason.
    parsed = parse_file(MODULES_DIR / "log_pipeline" / "variables.tf")
    network = next(v["network"] for v in parsed["variable"] if "network" in v)
    rules = _list(network["validation"])
    assert any(rule["condition"] == "${var.network.allow_public}" for rule in rules), rules
    message = " ".join(rule["error_message"] for rule in rules)
    assert "not supported yet" in message and "data-access policy" in message
