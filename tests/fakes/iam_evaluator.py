"""AWS's documented IAM policy evaluation logic, for the policies moto cannot evaluate.

moto's IAM enforcement puts only ``sts:ExternalId`` into the condition context, so a conditional
Allow never matches there and a conditional Deny never applies. The escalation suite therefore
evaluates condition-bearing policies (permissions boundaries, ``iam:PermissionsBoundary``,
``iam:PolicyARN``, ``aws:ResourceTag``, ``kms:ResourceAliases``) here, and keeps moto for what it
does evaluate (tests/integration/test_escalation.py).

Why our own and not a package: ``iam-ape`` (PyPI) computes a principal's *effective permissions*
(which actions on which resources), not the outcome of one request with a request context, and
it resolves conditions only partly; what the suite needs is the per-request decision. This module
follows "Policy evaluation logic" and "IAM JSON policy elements: Condition operators" of the IAM
User Guide, for one account and without SCPs or session policies:

1. an explicit Deny in any policy (identity, boundary, resource) decides: denied;
2. a permissions boundary, when present, must Allow the request, else it is implicitly denied;
3. an identity-policy Allow (or, in the same account, a resource-policy Allow naming the
   principal) allows it;
4. otherwise it is implicitly denied.

Within a statement, Action/NotAction, Resource/NotResource and every condition must match.
Conditions: operators are ANDed, keys within an operator are ANDed, values of one key are ORed
(for negated operators: the request value equals none of them). A key missing from the request
context makes a condition false, except for negated operators (true), ``...IfExists`` (true),
``Null`` and ``ForAllValues`` (true for an empty set). Unknown operators raise: a condition this
module does not understand is never silently treated as met.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

ContextValue = str | Sequence[str]


class Decision(Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


class PolicyError(ValueError):
    """A policy uses something this evaluator does not implement."""


@dataclass(frozen=True)
class Request:
    """One API call: who, what, on which resource, with which condition keys."""

    principal_arn: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def value(self, key: str) -> list[str] | None:
        """The context values of ``key`` (keys are case-insensitive), None when absent."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return [value] if isinstance(value, str) else list(value)
        if wanted == "aws:principalarn":
            return [self.principal_arn]
        return None


@dataclass(frozen=True)
class Principal:
    """A principal's policies: identity policies and an optional permissions boundary."""

    arn: str
    identity_policies: Sequence[Mapping[str, Any]]
    boundary: Mapping[str, Any] | None = None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_glob(pattern, ignore_case=ignore_case).match(value))


def _arn_like(pattern: str, value: str) -> bool:
    # ARNs are compared component by component (the six colon-separated parts); wildcards do not
    # cross a colon in the first five, and the resource part may contain colons.
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return pattern == "*"
    return all(_glob_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _bool(policy_value: str, value: str) -> bool:
    return policy_value.lower() == value.lower()


_MATCHERS = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: _glob_match(p, v),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": _bool,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _operator_parts(operator: str) -> tuple[str | None, str, bool]:
    """(set qualifier, base operator, if-exists) of a condition operator."""
    qualifier = None
    for prefix in ("ForAnyValue:", "ForAllValues:"):
        if operator.startswith(prefix):
            qualifier, operator = prefix[:-1], operator[len(prefix) :]
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    if operator not in _MATCHERS and operator not in _NEGATED and operator != "Null":
        raise PolicyError(f"condition operator {operator!r} is not implemented")
    return qualifier, operator, if_exists


def _one_value_matches(operator: str, policy_values: list[str], value: str) -> bool:
    if operator in _NEGATED:
        positive = _MATCHERS[_NEGATED[operator]]
        return not any(positive(p, value) for p in policy_values)
    matcher = _MATCHERS[operator]
    return any(matcher(p, value) for p in policy_values)


def _condition_met(operator_name: str, key: str, policy_values: list[str], request: Request) -> bool:
    qualifier, operator, if_exists = _operator_parts(operator_name)
    values = request.value(key)
    if operator == "Null":
        expected_absent = {str(v).lower() for v in policy_values}
        absent = values is None or values == []
        return ("true" if absent else "false") in expected_absent
    if values is None or values == []:
        if qualifier == "ForAllValues" or if_exists:
            return True
        return operator in _NEGATED and qualifier is None
    if qualifier == "ForAllValues":
        return all(_one_value_matches(operator, policy_values, v) for v in values)
    # ForAnyValue, and a plain operator (single-valued key: its one value)
    return any(_one_value_matches(operator, policy_values, v) for v in values)


def _conditions_met(conditions: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    for operator, keys in conditions.items():
        for key, policy_values in keys.items():
            if not _condition_met(operator, key, [str(v) for v in _as_list(policy_values)], request):
                return False
    return True


def statement_matches(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether one statement applies to the request (Effect aside)."""
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if has_principal and not _principal_matches(statement, request.principal_arn):
        return False
    if "Action" in statement:
        action_ok = any(
            _glob_match(a, request.action, ignore_case=True) for a in _as_list(statement["Action"])
        )
    elif "NotAction" in statement:
        action_ok = not any(
            _glob_match(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"])
        )
    else:
        raise PolicyError("statement without Action or NotAction")
    if not action_ok:
        return False
    if "Resource" in statement:
        resource_ok = any(_arn_like(r, request.resource) for r in _as_list(statement["Resource"]))
    elif "NotResource" in statement:
        resource_ok = not any(_arn_like(r, request.resource) for r in _as_list(statement["NotResource"]))
    else:
        raise PolicyError("statement without Resource or NotResource")
    return resource_ok and _conditions_met(statement.get("Condition", {}), request)


def _principal_matches(statement: Mapping[str, Any], principal_arn: str) -> bool:
    if "NotPrincipal" in statement:
        raise PolicyError("NotPrincipal is not implemented")
    principal = statement["Principal"]
    if principal == "*":
        return True
    names = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
    account = principal_arn.split(":")[4] if principal_arn.count(":") >= 5 else ""
    return any(name in ("*", principal_arn, account, f"arn:aws:iam::{account}:root") for name in names)


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if isinstance(policy, str):  # pragma: no cover - callers pass parsed JSON
        policy = json.loads(policy)
    return list(_as_list(policy.get("Statement")))


def _effects(policies: Sequence[Mapping[str, Any]], request: Request) -> set[str]:
    return {
        str(s.get("Effect"))
        for policy in policies
        for s in _statements(policy)
        if statement_matches(s, request)
    }


def _names_exactly(policy: Mapping[str, Any], request: Request) -> bool:
    for statement in _statements(policy):
        principal = statement.get("Principal")
        names = _as_list(principal.get("AWS")) if isinstance(principal, Mapping) else []
        if (
            statement.get("Effect") == "Allow"
            and request.principal_arn in names
            and statement_matches(statement, request)
        ):
            return True
    return False


def evaluate(
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
    *,
    resource_policy: Mapping[str, Any] | None = None,
) -> Decision:
    """The decision for one request of ``principal`` (same account, no SCPs)."""
    request = Request(principal.arn, action, resource, context or {})
    identity = _effects(principal.identity_policies, request)
    boundary = _effects([principal.boundary], request) if principal.boundary is not None else None
    resource_effects = _effects([resource_policy], request) if resource_policy is not None else set()
    if "Deny" in identity or "Deny" in resource_effects or (boundary is not None and "Deny" in boundary):
        return Decision.EXPLICIT_DENY
    if resource_policy is not None and _names_exactly(resource_policy, request):
        # Same account: a resource policy that names the principal itself suffices; one that
        # names the account (":root") only delegates to the identity policies.
        return Decision.ALLOWED
    if boundary is not None and "Allow" not in boundary:
        return Decision.IMPLICIT_DENY
    return Decision.ALLOWED if "Allow" in identity else Decision.IMPLICIT_DENY
