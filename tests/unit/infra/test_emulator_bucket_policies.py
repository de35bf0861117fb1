"""The emulator's bucket-policy evaluation (local_platform.emulator_extensions), on the statements the
platform's buckets carry (infra/modules/data_bucket) and the IAM guide's rules for conditions."""

from __future__ import annotations

from typing import Any

import pytest

from local_platform.emulator_extensions import bucket_policy_decision

ACCOUNT = "123456789012"
BUCKET = "arn:aws:s3:::obs-platform-dead-letters-123456789012"
SHIPPER = f"arn:aws:iam::{ACCOUNT}:role/obs-platform-log-shipper-role"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:role/Admin"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/someone-else"

# The two statements of infra/modules/data_bucket's policy, as the AWS provider renders them
PLATFORM_BUCKET_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyEveryoneElse",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [SHIPPER, OPERATOR]}},
        },
    ],
}


def context(principal: str, secure: str = "true") -> dict[str, str]:
    return {"aws:PrincipalArn": principal, "aws:PrincipalAccount": ACCOUNT, "aws:SecureTransport": secure}


@pytest.mark.parametrize("principal", [SHIPPER, OPERATOR])
def test_the_named_principals_over_tls_are_not_denied(principal: str) -> None:
    decision = bucket_policy_decision(
        PLATFORM_BUCKET_POLICY, "s3:PutObject", f"{BUCKET}/k", context(principal)
    )
    assert decision == "neutral"  # a Deny-only policy never allows: the caller's own policy decides


@pytest.mark.parametrize("principal", [OTHER, f"arn:aws:iam::{ACCOUNT}:root"])
def test_anyone_else_is_denied(principal: str) -> None:
    assert (
        bucket_policy_decision(PLATFORM_BUCKET_POLICY, "s3:GetObject", f"{BUCKET}/k", context(principal))
        == "deny"
    )


def test_plain_http_is_denied_even_for_a_named_principal() -> None:
    decision = bucket_policy_decision(
        PLATFORM_BUCKET_POLICY, "s3:GetObject", f"{BUCKET}/k", context(SHIPPER, secure="false")
    )
    assert decision == "deny"


def test_another_bucket_is_not_concerned() -> None:
    other = "arn:aws:s3:::another-bucket/k"
    assert bucket_policy_decision(PLATFORM_BUCKET_POLICY, "s3:GetObject", other, context(OTHER)) == "neutral"


def test_missing_keys_fail_conditions_except_negated_and_if_exists_ones() -> None:
    def policy(operator: str, effect: str = "Allow") -> dict[str, Any]:
        return {
            "Statement": [
                {
                    "Effect": effect,
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "s3:GetObject",
                    "Resource": f"{BUCKET}/*",
                    "Condition": {operator: {"aws:SourceVpce": "vpce-1"}},
                }
            ]
        }

    # The request has no aws:SourceVpce: StringEquals fails, StringNotEquals and ...IfExists hold
    assert (
        bucket_policy_decision(policy("StringEquals"), "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "neutral"
    )
    assert (
        bucket_policy_decision(policy("StringNotEquals"), "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "allow"
    )
    assert (
        bucket_policy_decision(policy("StringEqualsIfExists"), "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "allow"
    )
    # An operator the evaluator does not know: a Deny applies, an Allow does not
    assert (
        bucket_policy_decision(policy("DateLessThan", "Deny"), "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "deny"
    )
    assert (
        bucket_policy_decision(policy("DateLessThan"), "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "neutral"
    )


def test_an_account_principal_admits_the_accounts_roles_and_a_deny_wins_over_an_allow() -> None:
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": ACCOUNT},
        "Action": ["s3:GetObject"],
        "Resource": f"{BUCKET}/*",
    }
    assert (
        bucket_policy_decision({"Statement": [allow]}, "s3:GetObject", f"{BUCKET}/k", context(OTHER))
        == "allow"
    )
    policy = {"Statement": [allow, *PLATFORM_BUCKET_POLICY["Statement"]]}
    assert bucket_policy_decision(policy, "s3:GetObject", f"{BUCKET}/k", context(OTHER)) == "deny"
    # and a principal of another account is not this account's
    stranger = "arn:aws:iam::210987654321:role/x"
    assert (
        bucket_policy_decision({"Statement": [allow]}, "s3:GetObject", f"{BUCKET}/k", context(stranger))
        == "neutral"
    )
