"""The escalation suite: what an attacker holding the deploy role would try, every one denied,
and the deploy's own work still allowed (so the policy is not simply emptied).

The policies are the blocks Terraform deploys (infra/bootstrap deploy_policy.tf and boundary.tf),
rendered from the HCL (tests/infra_policies.py). Two judges:

- the documented IAM evaluation logic (tests/fakes/iam_evaluator.py) for everything, because the
  protections are condition-bearing (iam:PermissionsBoundary, iam:PolicyARN, aws:ResourceTag,
  kms:ResourceAliases, iam:PassedToService);
- an IAM-enforcing moto server, as the deploy role itself (sts:AssumeRole), for what moto does
  evaluate: statements without conditions. moto puts only sts:ExternalId into the condition
  context, so there a conditional Allow never matches and a conditional Deny never applies; the
  moto part therefore checks only the unconditional Denies and Allows, and one test shows the
  limitation (a legitimate bounded CreateRole that moto refuses and the evaluator allows).

The API part (a non-allowed caller listing the data bucket through the API) is in
test_allowed_callers_through_the_gateway below, against the local stack's gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.fakes.iam_evaluator import Decision, Principal, evaluate
from tests.infra_policies import (
    ACCOUNT,
    API_ID,
    BOUNDARY_ARN,
    CHAT_TOPIC_ARN,
    DEPLOY_ROLE_ARN,
    MODULES,
    NOTIFIER_LOGS,
    PREFIX,
    REGION,
    deploy_policies,
    deploy_policy,
    render,
    workload_boundary,
)
from tests.integration.test_iam_behaviour import _config, _iam, enforcing_moto  # noqa: F401 - fixture

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

pytestmark = pytest.mark.integration

ROLES = f"arn:aws:iam::{ACCOUNT}:role"
POLICIES = f"arn:aws:iam::{ACCOUNT}:policy"
FUNCTION_ROLE = f"{ROLES}/{PREFIX}-objects-api-role"
OUR_POLICY = f"{POLICIES}/{PREFIX}-chatbot-guardrail"
ADMIN_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
KEYS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key"
FOREIGN_KEY = f"{KEYS}/1111aaaa-2222-bbbb-3333-cccccccccccc"
OUR_KEY = f"{KEYS}/0b0b0b0b-1111-2222-3333-444444444444"
BOUNDED = {"iam:PermissionsBoundary": BOUNDARY_ARN}
# The notifier (infra/modules/notifications notifier.tf): its role, function and rule.
NOTIFIER_ROLE = f"{ROLES}/{PREFIX}-notifier-role"
NOTIFIER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-notifier"
NOTIFIER_RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{PREFIX}-alarm-state-change"
FOREIGN_FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments-refunds"
TO_LAMBDA = {"iam:PassedToService": "lambda.amazonaws.com"}
SECRETS = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret"
TOKEN_SECRET = f"{SECRETS}:{PREFIX}-next-token-secret-Ab12Cd"
FOREIGN_SECRET = f"{SECRETS}:payments-db-password-Zz98Yx"


@dataclass(frozen=True)
class Attempt:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


# What an attacker with the deploy role's credentials tries. Each must be denied.
ESCALATIONS: dict[str, Attempt] = {
    "put an admin inline policy on itself": Attempt("iam:PutRolePolicy", DEPLOY_ROLE_ARN),
    "put an inline policy on itself, claiming the boundary": Attempt(
        "iam:PutRolePolicy", DEPLOY_ROLE_ARN, BOUNDED
    ),
    "attach AdministratorAccess to itself": Attempt(
        "iam:AttachRolePolicy", DEPLOY_ROLE_ARN, {"iam:PolicyARN": ADMIN_ACCESS}
    ),
    "attach a project policy to itself": Attempt(
        "iam:AttachRolePolicy", DEPLOY_ROLE_ARN, {**BOUNDED, "iam:PolicyARN": OUR_POLICY}
    ),
    "replace its own inline policy (delete it)": Attempt("iam:DeleteRolePolicy", DEPLOY_ROLE_ARN, BOUNDED),
    "update its own trust (another account)": Attempt("iam:UpdateAssumeRolePolicy", DEPLOY_ROLE_ARN),
    "update its own trust, claiming the boundary": Attempt(
        "iam:UpdateAssumeRolePolicy", DEPLOY_ROLE_ARN, BOUNDED
    ),
    "give itself a boundary it controls": Attempt("iam:PutRolePermissionsBoundary", DEPLOY_ROLE_ARN, BOUNDED),
    "tag itself": Attempt("iam:TagRole", DEPLOY_ROLE_ARN),
    "rewrite the boundary (new default version)": Attempt("iam:CreatePolicyVersion", BOUNDARY_ARN),
    "rewrite its own managed policy (new default version)": Attempt(
        "iam:CreatePolicyVersion", f"{POLICIES}/{PREFIX}-github-deploy-iam"
    ),
    "delete its own managed policy": Attempt(
        "iam:DeletePolicy", f"{POLICIES}/{PREFIX}-github-deploy-services"
    ),
    "detach its own managed policy (drops the Denies)": Attempt(
        "iam:DetachRolePolicy",
        DEPLOY_ROLE_ARN,
        {**BOUNDED, "iam:PolicyARN": f"{POLICIES}/{PREFIX}-github-deploy-iam"},
    ),
    "switch the boundary's default version": Attempt("iam:SetDefaultPolicyVersion", BOUNDARY_ARN),
    "delete the boundary": Attempt("iam:DeletePolicy", BOUNDARY_ARN),
    "create a project role without the boundary": Attempt("iam:CreateRole", f"{ROLES}/{PREFIX}-backdoor"),
    "create a project role with another boundary": Attempt(
        "iam:CreateRole", f"{ROLES}/{PREFIX}-backdoor", {"iam:PermissionsBoundary": POWER_USER}
    ),
    "take the boundary off a project role": Attempt(
        "iam:DeleteRolePermissionsBoundary", FUNCTION_ROLE, BOUNDED
    ),
    "put an inline policy on an unbounded project role": Attempt(
        "iam:PutRolePolicy", f"{ROLES}/{PREFIX}-legacy"
    ),
    "trust itself on an unbounded project role": Attempt(
        "iam:UpdateAssumeRolePolicy", f"{ROLES}/{PREFIX}-legacy"
    ),
    "attach AdministratorAccess to a bounded project role": Attempt(
        "iam:AttachRolePolicy", FUNCTION_ROLE, {**BOUNDED, "iam:PolicyARN": ADMIN_ACCESS}
    ),
    "attach another team's policy to a bounded project role": Attempt(
        "iam:AttachRolePolicy", FUNCTION_ROLE, {**BOUNDED, "iam:PolicyARN": f"{POLICIES}/payments-admin"}
    ),
    "pass itself to a new Lambda": Attempt(
        "iam:PassRole", DEPLOY_ROLE_ARN, {"iam:PassedToService": "lambda.amazonaws.com"}
    ),
    "pass another team's role to a new Lambda": Attempt(
        "iam:PassRole", f"{ROLES}/payments-admin", {"iam:PassedToService": "lambda.amazonaws.com"}
    ),
    "pass a project role to EC2": Attempt(
        "iam:PassRole", FUNCTION_ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}
    ),
    "create an IAM user": Attempt("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
    "create an access key for another user": Attempt(
        "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice"
    ),
    "assume another role": Attempt("sts:AssumeRole", f"{ROLES}/payments-admin"),
    "tag a foreign key (another project's) as ours": Attempt(
        "kms:TagResource",
        FOREIGN_KEY,
        {"aws:ResourceTag/project": "payments", "aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project"]},
    ),
    "use a foreign key after tagging it as ours": Attempt(
        "kms:Decrypt",
        FOREIGN_KEY,
        {"aws:ResourceTag/project": PREFIX, "kms:ResourceAliases": ["alias/payments-data"]},
    ),
    "grant itself a foreign key after tagging it": Attempt(
        "kms:CreateGrant", FOREIGN_KEY, {"aws:ResourceTag/project": PREFIX, "kms:ResourceAliases": []}
    ),
    "alias a foreign key into our namespace": Attempt("kms:CreateAlias", FOREIGN_KEY),
    "relabel one of our keys as another project's": Attempt(
        "kms:TagResource", OUR_KEY, {"aws:RequestTag/project": "payments", "aws:TagKeys": ["project"]}
    ),
    "strip the project tag from our collection": Attempt(
        "aoss:UntagResource", "*", {"aws:ResourceTag/project": PREFIX, "aws:TagKeys": ["project"]}
    ),
    "untag another team's collection": Attempt(
        "aoss:UntagResource", "*", {"aws:ResourceTag/project": "payments", "aws:TagKeys": ["owner"]}
    ),
    "delete the account's GuardDuty detector after tagging it": Attempt(
        "guardduty:DeleteDetector",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0",
        {"aws:ResourceTag/project": PREFIX},
    ),
    "claim the account's untagged GuardDuty detector (tag it as ours)": Attempt(
        "guardduty:TagResource",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0",
        {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project"]},
    ),
    "disable the account's untagged GuardDuty detector": Attempt(
        "guardduty:UpdateDetector",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0",
    ),
    "change another team's HTTP API": Attempt(
        "apigateway:PATCH",
        f"arn:aws:apigateway:{REGION}::/apis/zzzz999999",
        {"aws:ResourceTag/project": "payments"},
    ),
    "delete another team's Grafana workspace": Attempt(
        "grafana:DeleteWorkspace",
        f"arn:aws:grafana:{REGION}:{ACCOUNT}:/workspaces/g-1234567890",
        {"aws:ResourceTag/project": "payments"},
    ),
    "call another API": Attempt(
        "execute-api:Invoke", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:zzzz999999/$default/GET/objects"
    ),
    "call a write route of our API": Attempt(
        "execute-api:Invoke", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/$default/POST/objects"
    ),
    "read another team's secret": Attempt("secretsmanager:GetSecretValue", FOREIGN_SECRET),
    "overwrite another team's secret": Attempt("secretsmanager:PutSecretValue", FOREIGN_SECRET),
    "create another secret under the prefix": Attempt(
        "secretsmanager:CreateSecret",
        f"{SECRETS}:{PREFIX}-backdoor-Ab12Cd",
        {"aws:RequestTag/project": PREFIX},
    ),
    "open the token secret to another account (resource policy)": Attempt(
        "secretsmanager:PutResourcePolicy", TOKEN_SECRET
    ),
    "relabel the token secret as another project's": Attempt(
        "secretsmanager:TagResource",
        TOKEN_SECRET,
        {"aws:RequestTag/project": "payments", "aws:TagKeys": ["project"]},
    ),
    "strip the project tag from the token secret": Attempt(
        "secretsmanager:UntagResource",
        TOKEN_SECRET,
        {"aws:ResourceTag/project": PREFIX, "aws:TagKeys": ["project"]},
    ),
    "overwrite a same-named secret of another project": Attempt(
        "secretsmanager:PutSecretValue", TOKEN_SECRET, {"aws:ResourceTag/project": "payments"}
    ),
    "read the data bucket's objects": Attempt(
        "s3:GetObject", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}/reports/a.csv"
    ),
    # EventBridge: a rule of ours feeding something that is not ours, or a rule that is not ours
    "point our rule at another team's Lambda": Attempt(
        "events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [FOREIGN_FUNCTION]}
    ),
    "point our rule at the notifier and another team's Lambda": Attempt(
        "events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [NOTIFIER, FOREIGN_FUNCTION]}
    ),
    "point our rule at another account's event bus": Attempt(
        "events:PutTargets",
        NOTIFIER_RULE,
        {"events:TargetArn": [f"arn:aws:events:{REGION}:999999999999:event-bus/default"]},
    ),
    "point our rule at a foreign topic": Attempt(
        "events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [f"arn:aws:sns:{REGION}:{ACCOUNT}:payments"]}
    ),
    "put targets that name no target ARN": Attempt("events:PutTargets", NOTIFIER_RULE),
    "retarget another team's rule at our function": Attempt(
        "events:PutTargets",
        f"arn:aws:events:{REGION}:{ACCOUNT}:rule/payments-nightly",
        {"events:TargetArn": [NOTIFIER]},
    ),
    "create a rule outside the prefix": Attempt(
        "events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/payments-x"
    ),
    "delete another team's rule": Attempt(
        "events:DeleteRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/payments-nightly"
    ),
    "let our rule invoke another team's Lambda (its permission)": Attempt(
        "lambda:AddPermission", FOREIGN_FUNCTION
    ),
    "create the notifier role without the boundary": Attempt("iam:CreateRole", NOTIFIER_ROLE),
    "pass the notifier role to EventBridge": Attempt(
        "iam:PassRole", NOTIFIER_ROLE, {"iam:PassedToService": "events.amazonaws.com"}
    ),
    "pass another team's role to the notifier function": Attempt(
        "iam:PassRole", f"{ROLES}/payments-admin", TO_LAMBDA
    ),
}

# What the deploy itself does (terraform apply of infra/live and the smoke test). Each must be allowed.
LEGITIMATE: dict[str, Attempt] = {
    "create the function role with the boundary": Attempt("iam:CreateRole", FUNCTION_ROLE, BOUNDED),
    "put the function role's inline policy": Attempt("iam:PutRolePolicy", FUNCTION_ROLE, BOUNDED),
    "put the boundary on an existing project role": Attempt(
        "iam:PutRolePermissionsBoundary", FUNCTION_ROLE, BOUNDED
    ),
    "update a bounded role's trust": Attempt("iam:UpdateAssumeRolePolicy", FUNCTION_ROLE, BOUNDED),
    "delete a bounded project role": Attempt("iam:DeleteRole", FUNCTION_ROLE, BOUNDED),
    "attach a project policy to a bounded role": Attempt(
        "iam:AttachRolePolicy", FUNCTION_ROLE, {**BOUNDED, "iam:PolicyARN": OUR_POLICY}
    ),
    "create the Chatbot guardrail policy": Attempt("iam:CreatePolicy", OUR_POLICY),
    "update the Chatbot guardrail policy": Attempt("iam:CreatePolicyVersion", OUR_POLICY),
    "read a project role": Attempt("iam:GetRole", FUNCTION_ROLE),
    "pass the function role to Lambda": Attempt(
        "iam:PassRole", FUNCTION_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"}
    ),
    "create a key with the project tag": Attempt(
        "kms:CreateKey", "*", {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project", "managed-by"]}
    ),
    "tag the key being created": Attempt(
        "kms:TagResource", "*", {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project", "managed-by"]}
    ),
    "use our state key (by its alias)": Attempt(
        "kms:GenerateDataKey", OUR_KEY, {"kms:ResourceAliases": [f"alias/{PREFIX}-delivery"]}
    ),
    "write Terraform state": Attempt(
        "s3:PutObject", f"arn:aws:s3:::{PREFIX}-tfstate-{ACCOUNT}/live/terraform.tfstate"
    ),
    "upload a function package": Attempt(
        "s3:PutObject", f"arn:aws:s3:::{PREFIX}-artifacts-{ACCOUNT}/function/abc.zip"
    ),
    "update the function's code": Attempt(
        "lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-objects-api"
    ),
    "tag the detector being created": Attempt(
        "guardduty:TagResource",
        "*",
        {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project", "managed-by"]},
    ),
    "update our GuardDuty detector": Attempt(
        "guardduty:UpdateDetector",
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/12abc34d567e8fa901bc2d34e56789f0",
        {"aws:ResourceTag/project": PREFIX},
    ),
    "remove an operator tag from our collection": Attempt(
        "aoss:UntagResource", "*", {"aws:ResourceTag/project": PREFIX, "aws:TagKeys": ["cost-center"]}
    ),
    "update our Grafana workspace": Attempt(
        "grafana:UpdateWorkspace",
        f"arn:aws:grafana:{REGION}:{ACCOUNT}:/workspaces/g-1234567890",
        {"aws:ResourceTag/project": PREFIX},
    ),
    "change our HTTP API": Attempt(
        "apigateway:PATCH",
        f"arn:aws:apigateway:{REGION}::/apis/{API_ID}",
        {"aws:ResourceTag/project": PREFIX},
    ),
    "create the paging-token secret": Attempt(
        "secretsmanager:CreateSecret",
        TOKEN_SECRET,
        {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project", "managed-by"]},
    ),
    "tag the paging-token secret": Attempt(
        "secretsmanager:TagResource",
        TOKEN_SECRET,
        {"aws:RequestTag/project": PREFIX, "aws:TagKeys": ["project", "managed-by"]},
    ),
    "have AWS generate the paging-token key": Attempt("secretsmanager:GetRandomPassword", "*"),
    "write a new paging-token key (rotation)": Attempt(
        "secretsmanager:PutSecretValue", TOKEN_SECRET, {"aws:ResourceTag/project": PREFIX}
    ),
    "read the paging-token secret back": Attempt("secretsmanager:DescribeSecret", TOKEN_SECRET),
    "read the paging-token secret's policy": Attempt("secretsmanager:GetResourcePolicy", TOKEN_SECRET),
    "read the paging-token version back": Attempt("secretsmanager:GetSecretValue", TOKEN_SECRET),
    "delete the paging-token secret": Attempt(
        "secretsmanager:DeleteSecret", TOKEN_SECRET, {"aws:ResourceTag/project": PREFIX}
    ),
    "smoke-test GET /objects on our API": Attempt(
        "execute-api:Invoke", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/$default/GET/objects"
    ),
    # The notifier (module notifications): role, function, rule and target, chat topic, log group
    "create the notifier role with the boundary": Attempt("iam:CreateRole", NOTIFIER_ROLE, BOUNDED),
    "put the notifier role's inline policy": Attempt("iam:PutRolePolicy", NOTIFIER_ROLE, BOUNDED),
    "delete the notifier role": Attempt("iam:DeleteRole", NOTIFIER_ROLE, BOUNDED),
    "pass the notifier role to Lambda": Attempt("iam:PassRole", NOTIFIER_ROLE, TO_LAMBDA),
    **{
        f"{action} the notifier function": Attempt(f"lambda:{action}", NOTIFIER)
        for action in (
            "AddPermission",
            "CreateFunction",
            "DeleteFunction",
            "GetFunction",
            "GetPolicy",
            "PutFunctionConcurrency",
            "RemovePermission",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
        )
    },
    **{
        f"{action} the notifier's rule": Attempt(f"events:{action}", NOTIFIER_RULE)
        for action in (
            "DeleteRule",
            "DescribeRule",
            "ListTagsForResource",
            "ListTargetsByRule",
            "PutRule",
            "RemoveTargets",
            "TagResource",
            "UntagResource",
        )
    },
    "target the notifier from its rule": Attempt(
        "events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [NOTIFIER]}
    ),
    **{
        f"{action} the chat topic": Attempt(f"sns:{action}", CHAT_TOPIC_ARN)
        for action in (
            "CreateTopic",
            "DeleteTopic",
            "GetTopicAttributes",
            "SetTopicAttributes",
            "TagResource",
        )
    },
    **{
        f"{action} the notifier's log group": Attempt(f"logs:{action}", NOTIFIER_LOGS)
        for action in ("CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "TagResource")
    },
}


@pytest.fixture(scope="module")
def deployer() -> Principal:
    return Principal(DEPLOY_ROLE_ARN, [deploy_policy()])


@pytest.mark.parametrize("name", sorted(ESCALATIONS))
def test_escalation_is_denied(deployer: Principal, name: str) -> None:
    attempt = ESCALATIONS[name]
    decision = evaluate(deployer, attempt.action, attempt.resource, attempt.context)
    assert decision is not Decision.ALLOWED, name


@pytest.mark.parametrize("name", sorted(LEGITIMATE))
def test_the_deploys_own_work_is_allowed(deployer: Principal, name: str) -> None:
    attempt = LEGITIMATE[name]
    assert evaluate(deployer, attempt.action, attempt.resource, attempt.context) is Decision.ALLOWED, name


def test_self_changes_are_denied_explicitly_whatever_the_context(deployer: Principal) -> None:
    # An explicit Deny, not a missing Allow: it holds even if another policy is attached later.
    for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole"):
        context = {**BOUNDED, "iam:PolicyARN": OUR_POLICY, "iam:PassedToService": "lambda.amazonaws.com"}
        assert evaluate(deployer, action, DEPLOY_ROLE_ARN, context) is Decision.EXPLICIT_DENY, action
    extra_admin = Principal(
        DEPLOY_ROLE_ARN,
        [deploy_policy(), {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}],
    )
    assert evaluate(extra_admin, "iam:CreatePolicyVersion", BOUNDARY_ARN) is Decision.EXPLICIT_DENY


def test_without_an_api_id_the_deploy_role_calls_no_api() -> None:
    principal = Principal(DEPLOY_ROLE_ARN, [deploy_policy(smoke_test_api_id=None)])
    attempt = LEGITIMATE["smoke-test GET /objects on our API"]
    assert evaluate(principal, attempt.action, attempt.resource) is Decision.IMPLICIT_DENY


# --- a role the pipeline created, taken over: the boundary is the ceiling ------------------------

TAKEN_OVER = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def taken_over_role() -> Principal:
    # Given a bounded project role whose inline policy an attacker rewrote to "Action": "*"
    return Principal(FUNCTION_ROLE, [TAKEN_OVER], workload_boundary())


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor"),
        ("iam:PutRolePolicy", FUNCTION_ROLE),
        ("iam:AttachRolePolicy", DEPLOY_ROLE_ARN),
        ("sts:AssumeRole", DEPLOY_ROLE_ARN),
        ("s3:GetObject", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}/reports/a.csv"),
        ("s3:ListBucket", "arn:aws:s3:::payments-data"),
        ("kms:Decrypt", FOREIGN_KEY),
        ("secretsmanager:GetSecretValue", FOREIGN_SECRET),
        ("secretsmanager:PutSecretValue", TOKEN_SECRET),
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-objects-api"),
    ],
)
def test_a_taken_over_role_stays_under_the_boundary(
    taken_over_role: Principal, action: str, resource: str
) -> None:
    assert evaluate(taken_over_role, action, resource) is not Decision.ALLOWED


def test_the_boundary_leaves_the_workloads_their_work(taken_over_role: Principal) -> None:
    assert (
        evaluate(taken_over_role, "s3:ListBucket", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}")
        is Decision.ALLOWED
    )
    log_stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{PREFIX}-objects-api:log-stream:x"
    assert evaluate(taken_over_role, "logs:PutLogEvents", log_stream) is Decision.ALLOWED
    aliases = {"kms:ResourceAliases": [f"alias/{PREFIX}-telemetry"]}
    assert evaluate(taken_over_role, "kms:Decrypt", OUR_KEY, aliases) is Decision.ALLOWED
    assert evaluate(taken_over_role, "secretsmanager:GetSecretValue", TOKEN_SECRET) is Decision.ALLOWED


# --- the notifier at run time: its own policy under the boundary ---------------------------------

TELEMETRY_ALIAS = {"kms:ResourceAliases": [f"alias/{PREFIX}-telemetry"]}
NOTIFIER_LOG_STREAM = f"{NOTIFIER_LOGS}:log-stream:2026/12/02/[$LATEST]abc"


@pytest.fixture(scope="module")
def notifier_policy() -> dict[str, Any]:
    return render(MODULES / "notifications", "notifier")


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("sns:Publish", CHAT_TOPIC_ARN, {}),
        ("kms:GenerateDataKey", OUR_KEY, TELEMETRY_ALIAS),
        ("kms:Decrypt", OUR_KEY, TELEMETRY_ALIAS),
        ("logs:CreateLogStream", NOTIFIER_LOG_STREAM, {}),
        ("logs:PutLogEvents", NOTIFIER_LOG_STREAM, {}),
        ("xray:PutTraceSegments", "*", {}),
        ("xray:PutTelemetryRecords", "*", {}),
    ],
)
def test_the_notifier_does_its_work_under_the_boundary(
    notifier_policy: dict[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> None:
    # Given the notifier role as deployed: its inline policy and the workload boundary
    notifier = Principal(NOTIFIER_ROLE, [notifier_policy], workload_boundary())
    assert evaluate(notifier, action, resource, context) is Decision.ALLOWED


def test_every_notifier_permission_is_inside_the_boundary(notifier_policy: dict[str, Any]) -> None:
    # Each action of the notifier's policy on each of its resources is admitted by the boundary
    # alone (the key through its alias): nothing the notifier is given is silently cut off.
    boundary_only = Principal(NOTIFIER_ROLE, [workload_boundary()])
    cut = [
        (action, resource)
        for statement in notifier_policy["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
        if evaluate(boundary_only, action, resource.replace(":*", ":log-stream:x"), TELEMETRY_ALIAS)
        is not Decision.ALLOWED
    ]
    assert cut == []


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-alarms", {}),
        ("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:payments", {}),
        ("sns:Subscribe", CHAT_TOPIC_ARN, {}),
        ("kms:Decrypt", FOREIGN_KEY, {"kms:ResourceAliases": ["alias/payments-data"]}),
        ("lambda:InvokeFunction", FOREIGN_FUNCTION, {}),
        ("events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [FOREIGN_FUNCTION]}),
        ("iam:PassRole", NOTIFIER_ROLE, TO_LAMBDA),
        ("s3:ListBucket", f"arn:aws:s3:::{PREFIX}-data-{ACCOUNT}", {}),
    ],
)
def test_the_notifier_can_do_nothing_more(
    notifier_policy: dict[str, Any], action: str, resource: str, context: Mapping[str, Any]
) -> None:
    notifier = Principal(NOTIFIER_ROLE, [notifier_policy], workload_boundary())
    assert evaluate(notifier, action, resource, context) is not Decision.ALLOWED


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        ("events:PutTargets", NOTIFIER_RULE, {"events:TargetArn": [FOREIGN_FUNCTION]}),
        ("lambda:InvokeFunction", FOREIGN_FUNCTION, {}),
        ("iam:PassRole", NOTIFIER_ROLE, TO_LAMBDA),
        ("sns:Subscribe", CHAT_TOPIC_ARN, {}),
        ("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:payments", {}),
    ],
)
def test_a_taken_over_notifier_stays_under_the_boundary(
    action: str, resource: str, context: Mapping[str, Any]
) -> None:
    # Given the notifier role with its inline policy rewritten to "Action": "*"
    taken_over = Principal(NOTIFIER_ROLE, [TAKEN_OVER], workload_boundary())
    assert evaluate(taken_over, action, resource, context) is not Decision.ALLOWED


# --- moto, as the deploy role: what it evaluates (statements without conditions) -----------------

ADMIN_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'


@dataclass(frozen=True)
class MotoDeployer:
    iam: IAMClient
    s3: Any


@pytest.fixture(scope="module")
def moto_deployer(enforcing_moto: str) -> MotoDeployer:  # noqa: F811 - the imported fixture
    # Given an admin (within the unauthenticated bootstrap budget), the deploy role with the
    # rendered policy and a trust for this account, and the boundary and state bucket
    bootstrap = _iam(enforcing_moto, "bootstrap", "bootstrap")
    bootstrap.create_user(UserName="escalation-admin")
    bootstrap.put_user_policy(UserName="escalation-admin", PolicyName="admin", PolicyDocument=ADMIN_POLICY)
    key = bootstrap.create_access_key(UserName="escalation-admin")["AccessKey"]
    admin = (key["AccessKeyId"], key["SecretAccessKey"])
    iam = _iam(enforcing_moto, *admin)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/escalation-admin"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_name = DEPLOY_ROLE_ARN.rsplit("/", 1)[1]
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))
    for part, policy in deploy_policies().items():
        arn = iam.create_policy(PolicyName=f"{role_name}-{part}", PolicyDocument=json.dumps(policy))[
            "Policy"
        ]["Arn"]
        iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
    iam.create_policy(
        PolicyName=BOUNDARY_ARN.rsplit("/", 1)[1], PolicyDocument=json.dumps(workload_boundary())
    )
    iam.create_role(
        RoleName=FUNCTION_ROLE.rsplit("/", 1)[1],
        AssumeRolePolicyDocument=json.dumps(trust),
        PermissionsBoundary=BOUNDARY_ARN,
    )
    admin_s3 = boto3.client(
        "s3",
        endpoint_url=enforcing_moto,
        region_name=REGION,
        aws_access_key_id=admin[0],
        aws_secret_access_key=admin[1],
        config=_config(),
    )
    admin_s3.create_bucket(
        Bucket=f"{PREFIX}-tfstate-{ACCOUNT}", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    sts = boto3.client(
        "sts",
        endpoint_url=enforcing_moto,
        region_name=REGION,
        aws_access_key_id=admin[0],
        aws_secret_access_key=admin[1],
        config=_config(),
    )
    creds = sts.assume_role(RoleArn=DEPLOY_ROLE_ARN, RoleSessionName="github-deploy")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )
    return MotoDeployer(
        iam=session.client("iam", endpoint_url=enforcing_moto, config=_config()),
        s3=session.client("s3", endpoint_url=enforcing_moto, config=_config()),
    )


def _code(call: Any) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "allowed"


def test_moto_denies_the_deploy_role_changing_itself(moto_deployer: MotoDeployer) -> None:
    # moto resolves the resource of a role action to the role's ARN when the role exists (else
    # "*", as for every policy action: those are judged by the evaluator above only).
    iam = moto_deployer.iam
    me = DEPLOY_ROLE_ARN.rsplit("/", 1)[1]
    attempts = {
        "put admin inline policy": lambda: iam.put_role_policy(
            RoleName=me, PolicyName="x", PolicyDocument=ADMIN_POLICY
        ),
        "attach AdministratorAccess": lambda: iam.attach_role_policy(RoleName=me, PolicyArn=ADMIN_ACCESS),
        "detach own policy": lambda: iam.detach_role_policy(RoleName=me, PolicyArn=f"{POLICIES}/{me}-iam"),
        "update own trust": lambda: iam.update_assume_role_policy(RoleName=me, PolicyDocument=ADMIN_POLICY),
        # TagRole is allowed on every project role without a condition: only the Deny on the
        # role's own ARN stops it, so this one shows moto applying that Deny
        "tag itself": lambda: iam.tag_role(RoleName=me, Tags=[{"Key": "project", "Value": PREFIX}]),
        "remove a boundary": lambda: iam.delete_role_permissions_boundary(
            RoleName=FUNCTION_ROLE.rsplit("/", 1)[1]
        ),
        "create a user": lambda: iam.create_user(UserName="backdoor"),
    }
    assert {name: _code(call) for name, call in attempts.items()} == dict.fromkeys(attempts, "AccessDenied")


def test_moto_allows_the_deploys_unconditional_work(moto_deployer: MotoDeployer) -> None:
    iam, s3 = moto_deployer.iam, moto_deployer.s3
    function_role = FUNCTION_ROLE.rsplit("/", 1)[1]
    role = iam.get_role(RoleName=function_role)["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY_ARN
    iam.tag_role(RoleName=function_role, Tags=[{"Key": "cost-center", "Value": "42"}])
    s3.put_object(Bucket=f"{PREFIX}-tfstate-{ACCOUNT}", Key="live/terraform.tfstate", Body=b"{}")
    assert (
        s3.get_object(Bucket=f"{PREFIX}-tfstate-{ACCOUNT}", Key="live/terraform.tfstate")["Body"].read()
        == b"{}"
    )


def test_moto_cannot_judge_conditions(moto_deployer: MotoDeployer, deployer: Principal) -> None:
    # Given a legitimate, bounded CreateRole (allowed only through an iam:PermissionsBoundary
    # condition): moto refuses it because it never fills that key; the documented logic allows it.
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    code = _code(
        lambda: moto_deployer.iam.create_role(
            RoleName=f"{PREFIX}-new-role", AssumeRolePolicyDocument=trust, PermissionsBoundary=BOUNDARY_ARN
        )
    )
    assert code == "AccessDenied"
    assert evaluate(deployer, "iam:CreateRole", f"{ROLES}/{PREFIX}-new-role", BOUNDED) is Decision.ALLOWED


# --- through the API: an authenticated caller who is not listed ----------------------------------


@pytest.fixture
def stack_listing_someone_else(local_stack: Any) -> Iterator[Any]:
    """The session's local stack (moto, S3 proxy, real function, SigV4 gateway), its function
    restarted cold with another caller listed than the one the gateway authenticates: every signed
    request then comes from a principal of the account that API Gateway lets through and the
    function must refuse. Restored (and restarted) afterwards."""
    from signals.config import ENV_ALLOWED_CALLERS

    function = local_stack.function
    saved = dict(function.environment)
    function.environment[ENV_ALLOWED_CALLERS] = f"{ROLES}/reporting-reader,o-a1b2c3d4e5"
    function.recycle()  # a new execution environment reads the setting at its cold start
    try:
        yield local_stack
    finally:
        function.environment.clear()
        function.environment.update(saved)
        function.recycle()


def test_a_caller_not_listed_cannot_list_the_data_bucket_through_the_api(
    stack_listing_someone_else: Any,
) -> None:
    from obsctl import client

    stack = stack_listing_someone_else
    creds = stack.credentials
    # When the account's caller (signed correctly, so API Gateway lets it through) lists the bucket
    response = client.request(
        "GET",
        f"{stack.url}/objects?prefix=",
        access_key=creds.access_key,
        secret_key=creds.secret_key,
        region=stack.names.region,
    )
    # Then the function answers the fixed 403, with no object key in it
    assert response.status == 403
    assert response.json() == {"error": "forbidden", "message": "this caller is not allowed to use this API"}
    assert stack.gateway.exchanges[-1].invoked
    listing = stack.emulator.client("s3").list_objects_v2(Bucket=stack.names.data_bucket, MaxKeys=1)
    assert listing["KeyCount"] == 1, "the bucket holds objects the caller must not see"
    assert listing["Contents"][0]["Key"].encode() not in response.body


# --- the alarm topic: only the operators listen or reconfigure; TLS for everything ---------------

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-alarms"
SNS_EVERYTHING = {"Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]}
OVER_TLS = {"aws:SecureTransport": "true", "aws:PrincipalIsAWSService": "false"}


@pytest.fixture(scope="module")
def topic_policy() -> dict[str, Any]:
    return render(MODULES / "notifications", "topic", resource_policy=True)


@pytest.mark.parametrize(
    "action", ["sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:AddPermission"]
)
def test_a_principal_of_the_account_with_broad_sns_rights_cannot_listen_or_reconfigure(
    topic_policy: dict[str, Any], action: str
) -> None:
    someone = Principal(f"{ROLES}/payments-admin", [SNS_EVERYTHING])
    assert evaluate(someone, action, TOPIC, OVER_TLS, resource_policy=topic_policy) is Decision.EXPLICIT_DENY


def test_the_operators_still_manage_the_topic_over_tls_only(topic_policy: dict[str, Any]) -> None:
    operator = Principal(DEPLOY_ROLE_ARN, [SNS_EVERYTHING])
    assert (
        evaluate(operator, "sns:Subscribe", TOPIC, OVER_TLS, resource_policy=topic_policy) is Decision.ALLOWED
    )
    plain = {**OVER_TLS, "aws:SecureTransport": "false"}
    for action in ("sns:Subscribe", "sns:GetTopicAttributes", "sns:Publish"):
        decision = evaluate(operator, action, TOPIC, plain, resource_policy=topic_policy)
        assert decision is Decision.EXPLICIT_DENY, action


# --- the chat topic: only the notifier (and the operators) post to on-call's channel -------------

CHAT_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-chat"


@pytest.fixture(scope="module")
def chat_topic_policy() -> dict[str, Any]:
    return render(MODULES / "notifications", "chat_topic", resource_policy=True)


@pytest.mark.parametrize(
    "action",
    ["sns:Publish", "sns:Subscribe", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:AddPermission"],
)
def test_a_principal_of_the_account_cannot_post_to_or_listen_on_the_chat_topic(
    chat_topic_policy: dict[str, Any], action: str
) -> None:
    # A forged "all clear" in the on-call channel is an attack too: publishing is the notifier's.
    someone = Principal(f"{ROLES}/payments-admin", [SNS_EVERYTHING])
    decision = evaluate(someone, action, CHAT_TOPIC, OVER_TLS, resource_policy=chat_topic_policy)
    assert decision is Decision.EXPLICIT_DENY


def test_the_notifier_posts_and_the_operators_manage_the_chat_topic_over_tls_only(
    chat_topic_policy: dict[str, Any],
) -> None:
    notifier = Principal(NOTIFIER_ROLE, [SNS_EVERYTHING])
    operator = Principal(DEPLOY_ROLE_ARN, [SNS_EVERYTHING])
    assert (
        evaluate(notifier, "sns:Publish", CHAT_TOPIC, OVER_TLS, resource_policy=chat_topic_policy)
        is Decision.ALLOWED
    )
    assert (
        evaluate(notifier, "sns:Subscribe", CHAT_TOPIC, OVER_TLS, resource_policy=chat_topic_policy)
        is Decision.EXPLICIT_DENY
    )
    assert (
        evaluate(operator, "sns:Subscribe", CHAT_TOPIC, OVER_TLS, resource_policy=chat_topic_policy)
        is Decision.ALLOWED
    )
    plain = {**OVER_TLS, "aws:SecureTransport": "false"}
    for principal, action in ((notifier, "sns:Publish"), (operator, "sns:GetTopicAttributes")):
        decision = evaluate(principal, action, CHAT_TOPIC, plain, resource_policy=chat_topic_policy)
        assert decision is Decision.EXPLICIT_DENY, action
