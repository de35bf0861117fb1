"""IAM analysers from PyPI over every identity policy infra/ creates, rendered from the HCL.

- parliament (malformed or questionable statements): no HIGH/CRITICAL finding; every other
  finding justified in infra/analyser-findings.yaml, and no justification left stale.
- cloudsplaining: its checks for unrestricted privilege escalation, permissions management,
  data exfiltration, credentials exposure and service wildcards find nothing; and its catalogue
  of privilege-escalation methods (Rhino Security Labs, pathfinding.cloud) is replayed on the
  resources that lie outside the project's ceiling (the deploy role itself, its boundary, a role
  without the boundary, another team's role), decided by the documented evaluation logic
  (tests/fakes/iam_evaluator.py): no method may be complete. The same replay over the policy as
  it was before issue 14 finds the escalations the review reproduced, so the check can fail.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS
from parliament import analyze_policy_string
from parliament import config as parliament_config
from parliament import statement as parliament_statement

from tests.fakes.iam_evaluator import Decision, Principal, evaluate
from tests.infra_policies import (
    ACCOUNT,
    BOUNDARY_ARN,
    DEPLOY_ROLE_ARN,
    IDENTITY_DOCUMENTS,
    PREFIX,
    REGION,
    all_identity_policies,
    deploy_policy,
    identity_document_names,
)
from tools.terraform import INFRA_DIR, terraform_dirs

JUSTIFICATIONS = INFRA_DIR / "analyser-findings.yaml"
HIGH = {"HIGH", "CRITICAL"}

# Resources outside the ceiling: reaching any of them is an escalation.
OUTSIDE = {
    "self": DEPLOY_ROLE_ARN,
    "boundary": BOUNDARY_ARN,
    "own policy": f"arn:aws:iam::{ACCOUNT}:policy/{PREFIX}-github-deploy-iam",
    "unbounded project role": f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-unbounded",
    "foreign role": f"arn:aws:iam::{ACCOUNT}:role/payments-admin",
    "foreign user": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "foreign group": f"arn:aws:iam::{ACCOUNT}:group/admins",
    "foreign policy": f"arn:aws:iam::{ACCOUNT}:policy/payments",
    "any": "*",
    "foreign function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments",
}
PASSED_TO = ["lambda.amazonaws.com", "ec2.amazonaws.com", "grafana.amazonaws.com", "chatbot.amazonaws.com"]


_PARLIAMENT_TYPES = parliament_statement.translate_documentation_types


def _documentation_type(name: str) -> str:
    """parliament 1.6.4's own action table types events:TargetArn "ArrayOfARN", a type its code
    does not know (it raises "Unknown data format"); a list of ARNs is checked as ARNs, as its
    code already checks "ArrayOfString" as String."""
    return "Arn" if name in ("ArrayOfARN", "ArrayOfArn") else str(_PARLIAMENT_TYPES(name))


parliament_statement.translate_documentation_types = _documentation_type


def _subject(detail: Any) -> str:
    if isinstance(detail, list):
        names = [d.get("action", "") if isinstance(d, dict) else str(d) for d in detail]
        return ",".join(sorted(names))
    return str(detail)


def parliament_findings(policies: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(policy, issue, severity, subject) of every parliament finding."""
    found = []
    for name, policy in policies.items():
        for finding in analyze_policy_string(json.dumps(policy)).findings:
            severity = str(parliament_config.get(finding.issue, {}).get("severity", "UNKNOWN"))
            found.append((name, finding.issue, severity, _subject(finding.detail)))
    return sorted(set(found))


def cloudsplaining_findings(policies: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for name, policy in policies.items():
        document = PolicyDocument(dict(policy))
        for check, result in (
            ("privilege escalation", [e["type"] for e in document.allows_privilege_escalation]),
            (
                "permissions management without constraints",
                document.permissions_management_without_constraints,
            ),
            ("data exfiltration", document.allows_data_exfiltration_actions),
            ("credentials exposure", document.credentials_exposure),
            ("service wildcard", document.service_wildcard),
        ):
            found.extend((name, check, str(item)) for item in result)
    return sorted(found)


def _allowed_outside(principal: Principal, action: str) -> bool:
    for resource in OUTSIDE.values():
        for context in [{}, *({"iam:PassedToService": s} for s in PASSED_TO)]:
            if evaluate(principal, action, resource, context) is Decision.ALLOWED:
                return True
    return False


def escalation_methods(policy: Mapping[str, Any]) -> list[str]:
    """cloudsplaining's escalation methods whose every action reaches outside the ceiling."""
    principal = Principal(DEPLOY_ROLE_ARN, [policy])
    return sorted(
        method
        for method, actions in PRIVILEGE_ESCALATION_METHODS.items()
        if all(_allowed_outside(principal, action) for action in actions)
    )


def _justifications() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = yaml.safe_load(JUSTIFICATIONS.read_text(encoding="utf-8"))["findings"]
    return entries


def _justified(entry: Mapping[str, str], policy: str, issue: str, subject: str) -> bool:
    return (
        entry["tool"] == "parliament"
        and fnmatch.fnmatchcase(policy, entry["policy"])
        and entry["issue"] == issue
        and fnmatch.fnmatchcase(subject, entry["subject"])
    )


@pytest.fixture(scope="module")
def policies() -> dict[str, dict[str, Any]]:
    return all_identity_policies()


def test_every_identity_policy_is_analysed() -> None:
    # Given the documents without principals in every Terraform directory
    listed = {(d, n) for d, n in IDENTITY_DOCUMENTS}
    missing = [
        (d.name, n)
        for d in terraform_dirs()
        if "examples" not in d.parts
        for n in identity_document_names(d)
        if (d, n) not in listed
    ]
    # Then each one is rendered and analysed (http_api's example_caller is a sample for callers,
    # output only, never attached by Terraform; the modules' examples are not deployed)
    assert missing == [("http_api", "example_caller")]


def test_parliament_finds_nothing_high(policies: dict[str, dict[str, Any]]) -> None:
    high = [f for f in parliament_findings(policies) if f[2] in HIGH]
    assert high == []


def test_every_parliament_finding_is_justified_and_no_justification_is_stale(
    policies: dict[str, dict[str, Any]],
) -> None:
    findings = parliament_findings(policies)
    entries = _justifications()
    assert all(e.get("reason", "").strip() for e in entries)
    unjustified = [f for f in findings if not any(_justified(e, f[0], f[1], f[3]) for e in entries)]
    stale = [e for e in entries if not any(_justified(e, f[0], f[1], f[3]) for f in findings)]
    assert unjustified == []
    assert stale == []


def test_cloudsplaining_finds_nothing(policies: dict[str, dict[str, Any]]) -> None:
    assert cloudsplaining_findings(policies) == []


def test_no_escalation_method_is_complete_for_the_deploy_role() -> None:
    assert escalation_methods(deploy_policy()) == []


def test_the_workload_boundary_completes_no_escalation_method(policies: dict[str, dict[str, Any]]) -> None:
    assert escalation_methods(policies["bootstrap/workload_boundary"]) == []


def test_the_replay_finds_the_escalations_of_the_policy_before_issue_14(tmp_path: Path) -> None:
    # Given the deploy policy as it was when the review reproduced the escalation (resources
    # role/<prefix>-* and policy/<prefix>-* without conditions: the role's own name matches)
    roles = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-*"
    policies = f"arn:aws:iam::{ACCOUNT}:policy/{PREFIX}-*"
    before = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "iam:AttachRolePolicy",
                    "iam:CreatePolicyVersion",
                    "iam:CreateRole",
                    "iam:PutRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                ],
                "Resource": [roles, policies],
            },
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": roles,
                "Condition": {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}},
            },
        ],
    }
    # Then the replay reports the escalations (and cloudsplaining's own unrestricted check, which
    # only looks at Resource "*", does not: why the replay exists)
    assert {"AttachRolePolicy", "PutRolePolicy", "UpdateRolePolicyToAssumeIt"} <= set(
        escalation_methods(before)
    )
    assert PolicyDocument(before).allows_privilege_escalation == []


# IAM quotas ("IAM and AWS STS quotas"): characters without whitespace.
MANAGED_POLICY_MAX = 6144
ROLE_INLINE_TOTAL_MAX = 10240


def _size(policy: Mapping[str, Any]) -> int:
    return len("".join(json.dumps(policy, separators=(",", ":")).split()))


def test_every_policy_fits_the_iam_quotas(policies: dict[str, dict[str, Any]]) -> None:
    # Every document fits a managed policy (the stricter quota; the deploy role's and the
    # boundary are managed policies), and the shipper role's two inline policies fit together.
    oversized = {name: _size(p) for name, p in policies.items() if _size(p) > MANAGED_POLICY_MAX}
    assert oversized == {}
    shipper_role = _size(policies["function/function"]) + _size(policies["log_pipeline/shipper"])
    assert shipper_role <= ROLE_INLINE_TOTAL_MAX


def test_the_whole_deploy_policy_would_not_fit_one_inline_policy() -> None:
    # Why it is split into managed policies (and why this test exists: a merge back must fail)
    assert _size(deploy_policy()) > ROLE_INLINE_TOTAL_MAX
