"""The escalation suite's IAM evaluator, checked against the IAM User Guide's documented examples.

Each case names the page it comes from ("Policy evaluation logic", "Permissions boundaries for
IAM entities", "IAM JSON policy elements: Condition operators", "...: Condition keys with
multiple values"). If one of these fails, the escalation suite's verdicts mean nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.iam_evaluator import Decision, PolicyError, Principal, evaluate

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ShirleyRodriguez"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def _deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_nothing_allowed_is_implicitly_denied() -> None:
    # Policy evaluation logic: "By default, all requests are implicitly denied"
    principal = Principal(ROLE, [_policy(_allow("s3:ListBucket", BUCKET))])
    assert evaluate(principal, "s3:GetObject", f"{BUCKET}/x") is Decision.IMPLICIT_DENY
    assert evaluate(principal, "s3:ListBucket", BUCKET) is Decision.ALLOWED


def test_an_explicit_deny_overrides_any_allow() -> None:
    principal = Principal(ROLE, [_policy(_allow("s3:*")), _policy(_deny("s3:DeleteBucket", BUCKET))])
    assert evaluate(principal, "s3:DeleteBucket", BUCKET) is Decision.EXPLICIT_DENY
    assert evaluate(principal, "s3:ListBucket", BUCKET) is Decision.ALLOWED


def test_action_names_are_case_insensitive_and_wildcards_match() -> None:
    principal = Principal(ROLE, [_policy(_allow("iam:*AccessKey*"))])
    assert evaluate(principal, "IAM:createaccesskey", "*") is Decision.ALLOWED
    assert evaluate(principal, "iam:CreateUser", "*") is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource() -> None:
    principal = Principal(
        ROLE, [_policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret/*"})]
    )
    assert evaluate(principal, "s3:GetObject", f"{BUCKET}/public/a") is Decision.ALLOWED
    assert evaluate(principal, "s3:GetObject", f"{BUCKET}/secret/a") is Decision.IMPLICIT_DENY
    assert evaluate(principal, "iam:CreateUser", "*") is Decision.IMPLICIT_DENY


def test_permissions_boundary_limits_the_identity_policy() -> None:
    # Permissions boundaries: identity policy allows iam:CreateUser, the boundary allows only
    # s3, cloudwatch and ec2: CreateUser is denied (the boundary does not allow it).
    boundary = _policy(_allow(["s3:*", "cloudwatch:*", "ec2:*"]))
    identity = _policy(_allow("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/*"), _allow("s3:ListBucket"))
    principal = Principal(ROLE, [identity], boundary)
    assert evaluate(principal, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x") is Decision.IMPLICIT_DENY
    # and the boundary alone grants nothing: ec2 is in the boundary but not the identity policy
    assert evaluate(principal, "ec2:RunInstances", "*") is Decision.IMPLICIT_DENY
    assert evaluate(principal, "s3:ListBucket", BUCKET) is Decision.ALLOWED


def test_a_deny_in_the_boundary_is_explicit() -> None:
    boundary = _policy(_allow("*"), _deny("iam:*"))
    principal = Principal(ROLE, [_policy(_allow("*"))], boundary)
    assert evaluate(principal, "iam:PutRolePolicy", "*") is Decision.EXPLICIT_DENY


def test_delegation_with_the_permissions_boundary_condition() -> None:
    # Permissions boundaries, "Delegating responsibility to others": CreateUser only when the new
    # user gets the boundary (iam:PermissionsBoundary), absent key means no match.
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/XCompanyBoundaries"
    identity = _policy(
        _allow(
            ["iam:CreateUser", "iam:PutUserPermissionsBoundary"],
            f"arn:aws:iam::{ACCOUNT}:user/*",
            Condition={"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
        )
    )
    principal = Principal(ROLE, [identity])
    user = f"arn:aws:iam::{ACCOUNT}:user/new"
    assert (
        evaluate(principal, "iam:CreateUser", user, {"iam:PermissionsBoundary": boundary_arn})
        is Decision.ALLOWED
    )
    assert evaluate(principal, "iam:CreateUser", user) is Decision.IMPLICIT_DENY
    other = f"arn:aws:iam::{ACCOUNT}:policy/Other"
    assert (
        evaluate(principal, "iam:CreateUser", user, {"iam:PermissionsBoundary": other})
        is Decision.IMPLICIT_DENY
    )


def test_values_of_one_key_are_ored_and_keys_anded() -> None:
    condition = {
        "StringEquals": {"aws:PrincipalTag/team": ["a", "b"]},
        "Bool": {"aws:SecureTransport": "true"},
    }
    principal = Principal(ROLE, [_policy(_allow("s3:ListBucket", BUCKET, Condition=condition))])
    ok = {"aws:PrincipalTag/team": "b", "aws:SecureTransport": "true"}
    assert evaluate(principal, "s3:ListBucket", BUCKET, ok) is Decision.ALLOWED
    assert (
        evaluate(principal, "s3:ListBucket", BUCKET, {**ok, "aws:SecureTransport": "false"})
        is Decision.IMPLICIT_DENY
    )
    assert (
        evaluate(principal, "s3:ListBucket", BUCKET, {**ok, "aws:PrincipalTag/team": "c"})
        is Decision.IMPLICIT_DENY
    )


def test_condition_keys_are_case_insensitive() -> None:
    condition = {"StringEquals": {"AWS:ResourceTag/project": "obs"}}
    principal = Principal(ROLE, [_policy(_allow("kms:Decrypt", Condition=condition))])
    assert evaluate(principal, "kms:Decrypt", "k", {"aws:resourcetag/project": "obs"}) is Decision.ALLOWED


def test_missing_keys_fail_positive_operators_and_pass_negated_ones() -> None:
    # Condition operators: "If the key ... is not present in the request context, the values do not
    # match"; for negated operators (StringNotLike...) the condition returns true.
    positive = Principal(
        ROLE, [_policy(_allow("s3:*", Condition={"StringEquals": {"aws:RequestTag/p": "x"}}))]
    )
    negated = Principal(
        ROLE, [_policy(_deny("s3:*", Condition={"StringNotEquals": {"aws:RequestTag/p": "x"}}))]
    )
    assert evaluate(positive, "s3:PutObject", "o") is Decision.IMPLICIT_DENY
    assert evaluate(negated, "s3:PutObject", "o") is Decision.EXPLICIT_DENY
    assert evaluate(negated, "s3:PutObject", "o", {"aws:RequestTag/p": "x"}) is Decision.IMPLICIT_DENY


def test_if_exists_passes_when_the_key_is_absent() -> None:
    # Condition operators, "...IfExists": ec2:InstanceType absent -> true
    condition = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    principal = Principal(ROLE, [_policy(_allow("ec2:*", Condition=condition))])
    assert evaluate(principal, "ec2:RunInstances", "i") is Decision.ALLOWED
    assert evaluate(principal, "ec2:RunInstances", "i", {"ec2:InstanceType": "t2.micro"}) is Decision.ALLOWED
    assert (
        evaluate(principal, "ec2:RunInstances", "i", {"ec2:InstanceType": "x1.32xlarge"})
        is Decision.IMPLICIT_DENY
    )


def test_null_checks_presence() -> None:
    # Condition operators, "Condition operator to check existence of condition keys"
    deny_if_tagged = _deny(
        "kms:TagResource",
        Condition={
            "Null": {"aws:ResourceTag/project": "false"},
            "StringNotEquals": {"aws:ResourceTag/project": "obs"},
        },
    )
    principal = Principal(ROLE, [_policy(_allow("kms:TagResource"), deny_if_tagged)])
    assert evaluate(principal, "kms:TagResource", "k") is Decision.ALLOWED
    assert evaluate(principal, "kms:TagResource", "k", {"aws:ResourceTag/project": "obs"}) is Decision.ALLOWED
    assert (
        evaluate(principal, "kms:TagResource", "k", {"aws:ResourceTag/project": "pay"})
        is Decision.EXPLICIT_DENY
    )


def test_for_all_values_and_for_any_value() -> None:
    # Condition keys with multiple values: ForAllValues is true for an empty set; ForAnyValue false.
    all_values = Principal(
        ROLE,
        [_policy(_allow("dynamodb:*", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}))],
    )
    any_value = Principal(
        ROLE,
        [
            _policy(
                _allow(
                    "kms:Decrypt",
                    Condition={"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/obs-*"}},
                )
            )
        ],
    )
    assert evaluate(all_values, "dynamodb:TagResource", "t", {"aws:TagKeys": ["a"]}) is Decision.ALLOWED
    assert (
        evaluate(all_values, "dynamodb:TagResource", "t", {"aws:TagKeys": ["a", "c"]})
        is Decision.IMPLICIT_DENY
    )
    assert evaluate(all_values, "dynamodb:TagResource", "t") is Decision.ALLOWED
    assert (
        evaluate(any_value, "kms:Decrypt", "k", {"kms:ResourceAliases": ["alias/x", "alias/obs-data"]})
        is Decision.ALLOWED
    )
    assert (
        evaluate(any_value, "kms:Decrypt", "k", {"kms:ResourceAliases": ["alias/x"]})
        is Decision.IMPLICIT_DENY
    )
    assert evaluate(any_value, "kms:Decrypt", "k", {"kms:ResourceAliases": []}) is Decision.IMPLICIT_DENY


def test_arn_like_compares_component_by_component() -> None:
    condition = {"ArnLike": {"iam:PolicyARN": f"arn:aws:iam::{ACCOUNT}:policy/obs-*"}}
    principal = Principal(ROLE, [_policy(_allow("iam:AttachRolePolicy", Condition=condition))])
    ours = f"arn:aws:iam::{ACCOUNT}:policy/obs-guardrail"
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert evaluate(principal, "iam:AttachRolePolicy", "r", {"iam:PolicyARN": ours}) is Decision.ALLOWED
    assert (
        evaluate(principal, "iam:AttachRolePolicy", "r", {"iam:PolicyARN": admin}) is Decision.IMPLICIT_DENY
    )
    # a wildcard in the resource part does not reach into the account field
    sneaky = "arn:aws:iam::999999999999:policy/obs-x"
    assert (
        evaluate(principal, "iam:AttachRolePolicy", "r", {"iam:PolicyARN": sneaky}) is Decision.IMPLICIT_DENY
    )


def test_resource_arns_match_with_wildcards_and_stay_case_sensitive() -> None:
    principal = Principal(ROLE, [_policy(_allow("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/obs-*"))])
    assert evaluate(principal, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/obs-api") is Decision.ALLOWED
    assert (
        evaluate(principal, "iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/OBS-api") is Decision.IMPLICIT_DENY
    )


def test_a_resource_policy_naming_the_role_allows_but_naming_the_account_delegates() -> None:
    principal = Principal(ROLE, [])
    names_role = _policy(_allow("s3:ListBucket", BUCKET, Principal={"AWS": ROLE}))
    names_account = _policy(
        _allow("s3:ListBucket", BUCKET, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    )
    assert evaluate(principal, "s3:ListBucket", BUCKET, resource_policy=names_role) is Decision.ALLOWED
    assert (
        evaluate(principal, "s3:ListBucket", BUCKET, resource_policy=names_account) is Decision.IMPLICIT_DENY
    )


def test_an_unknown_operator_is_an_error_not_a_match() -> None:
    principal = Principal(
        ROLE, [_policy(_allow("s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020"}}))]
    )
    with pytest.raises(PolicyError, match="DateGreaterThan"):
        evaluate(principal, "s3:ListBucket", BUCKET)
