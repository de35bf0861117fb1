"""Small additions to moto (5.2) for APIs the Terraform of infra/ calls and moto lacks or gets wrong.

Each follows the public AWS API reference (request parameters and response members by name) and
stays within moto's own models, so everything else moto does with the resource (describe, delete,
tag) keeps working. Installed into the moto of this process by :func:`install`; they change only
behaviour moto did not have, so other users of the same in-process emulator are unaffected.

* CloudWatch ``PutCompositeAlarm`` (moto 5.2: not implemented). moto's alarm model already holds
  composite alarms (an alarm with a rule, returned under ``CompositeAlarms`` by ``DescribeAlarms``);
  this adds the action and the ``ActionsSuppressor*`` members.
* GuardDuty ``UpdateDetector`` with ``Features``: AWS updates the named features and keeps the
  others; moto replaced the whole list, so two ``aws_guardduty_detector_feature`` resources
  overwrote each other.
* KMS ``EnableKeyRotation`` with ``RotationPeriodInDays`` (90-2560, default 365) and
  ``GetKeyRotationStatus`` returning it: moto dropped the period.
* Lambda ``LoggingConfig`` (``CreateFunction``, ``UpdateFunctionConfiguration``, returned by
  ``GetFunction``): moto dropped it. AWS returns ``LogFormat`` (default ``Text``) and ``LogGroup``
  (default ``/aws/lambda/<name>``) always, and the log levels with the JSON format.
* OpenSearch Serverless data access policies (``Create/Get/Update/Delete/ListAccessPolicies``),
  lifecycle policies (``Create/Update/Delete/BatchGetLifecyclePolicy``) and
  ``DeleteSecurityPolicy``: not implemented in moto 5.2. They are stored documents here (no
  enforcement of who may read which index: the local OpenSearch node has no AOSS authorization).

* CloudWatch Logs subscription delivery to a Lambda destination: moto runs the destination in
  Docker on every ``PutLogEvents`` (no Docker here: an error and a connection attempt per call). The
  extension leaves the events stored and delivers nothing; the local platform's shipper reads the
  subscribed groups itself (local_platform/demo/logs.py). Firehose destinations are unchanged.

* S3 bucket policies on object requests: moto evaluates a statement's conditions only for
  ``StringEquals`` and takes every other operator as met, so a TLS-only or only-these-principals
  Deny refuses every object request. The extension evaluates bucket policies the way the IAM guide's
  evaluation logic describes for a single policy (an explicit Deny wins; ``Allow`` only adds), with the
  request context S3 would have: ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` of the signing key
  (an IAM user, the role of an STS session, else the account root), and ``aws:SecureTransport`` true:
  the plain-HTTP loopback endpoint stands in for S3's TLS endpoint. Operators: ``String*``, ``Arn*``
  and ``Bool``, ``...IfExists``; a missing key fails a condition, except for negated operators
  (``...Not...``), as documented. An operator it does not know makes a Deny apply and an Allow not.

* CloudWatch Logs event ids: moto numbers events 0, 1, 2, ... per process, so two emulators (a demo
  and a test session sharing one OpenSearch node) give different events the same id, and the
  shipper, which can use the id as the document id, overwrites one with the other. CloudWatch's ids
  are unique 56-digit strings; the extension draws them at random with that shape.
* CloudWatch alarm reads over a snapshot: moto 5.2 filters ``DescribeAlarms`` by iterating its alarm
  dict while the threaded server inserts into it for a concurrent ``PutMetricAlarm`` (Terraform
  creates alarms 30 at a time), so a read now and then answered 500 "dictionary changed size during
  iteration", which fails an apply (the provider retries once). Each read now copies the alarms first.

What remains out of reach is listed in ``EMULATOR_GAPS`` of local_platform.terraform.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from typing import Any

__all__ = [
    "DEFAULT_ROTATION_PERIOD_DAYS",
    "bucket_policy_decision",
    "install",
    "principal_of",
]


_installed = False

DEFAULT_ROTATION_PERIOD_DAYS = 365


def install() -> None:
    """Add the extensions to moto's classes (idempotent)."""
    global _installed
    if _installed:
        return
    _composite_alarms()
    _cloudwatch_alarm_snapshots()
    _guardduty_features()
    _kms_rotation_period()
    _opensearch_serverless_policies()
    _lambda_logging_config()
    _no_docker_subscription_delivery()
    _bucket_policy_context()
    _unique_log_event_ids()
    _installed = True


def _composite_alarms() -> None:
    from moto.cloudwatch.models import Alarm
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import EmptyResult

    def put_composite_alarm(self: Any) -> Any:
        name = self._get_param("AlarmName")
        self.cloudwatch_backend.put_metric_alarm(
            name=name,
            namespace=None,
            metric_name=None,
            metric_data_queries=None,
            comparison_operator=None,
            evaluation_periods=None,
            datapoints_to_alarm=None,
            period=None,
            threshold=None,
            statistic=None,
            extended_statistic=None,
            description=self._get_param("AlarmDescription"),
            dimensions=[],
            alarm_actions=self._get_param("AlarmActions", []),
            ok_actions=self._get_param("OKActions", []),
            insufficient_data_actions=self._get_param("InsufficientDataActions", []),
            unit=None,
            actions_enabled=self._get_bool_param("ActionsEnabled"),
            treat_missing_data=None,
            evaluate_low_sample_count_percentile=None,
            threshold_metric_id=None,
            rule=self._get_param("AlarmRule"),
            tags=self._get_param("Tags", []),
        )
        alarm = self.cloudwatch_backend.alarms[name]
        suppressor = self._get_param("ActionsSuppressor")
        alarm.actions_suppressor = suppressor
        # AWS defaults both periods to 60 seconds when a suppressor is set.
        alarm.actions_suppressor_wait_period = (
            self._get_int_param("ActionsSuppressorWaitPeriod", 60) if suppressor else None
        )
        alarm.actions_suppressor_extension_period = (
            self._get_int_param("ActionsSuppressorExtensionPeriod", 60) if suppressor else None
        )
        return EmptyResult()

    for attribute in (
        "actions_suppressor",
        "actions_suppressor_wait_period",
        "actions_suppressor_extension_period",
    ):
        if not hasattr(Alarm, attribute):
            setattr(Alarm, attribute, None)
    CloudWatchResponse.put_composite_alarm = put_composite_alarm  # type: ignore[attr-defined]


def _cloudwatch_alarm_snapshots() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    def snapshot(self: Any) -> list[Any]:
        return list(self.alarms.values())  # one C-level copy: no insert can interleave

    def by_action_prefix(self: Any, action_prefix: str) -> list[Any]:
        return [
            a for a in snapshot(self) if any(action.startswith(action_prefix) for action in a.alarm_actions)
        ]

    def by_name_prefix(self: Any, name_prefix: str) -> list[Any]:
        return [a for a in snapshot(self) if a.name.startswith(name_prefix)]

    def by_names(self: Any, alarm_names: list[str]) -> list[Any]:
        return [a for a in snapshot(self) if a.name in alarm_names]

    def by_state_value(self: Any, target_state: str) -> list[Any]:
        return [a for a in snapshot(self) if a.state_value == target_state]

    CloudWatchBackend.describe_alarms = snapshot  # type: ignore[method-assign]
    CloudWatchBackend.get_alarms_by_action_prefix = by_action_prefix  # type: ignore[method-assign]
    CloudWatchBackend.get_alarms_by_alarm_name_prefix = by_name_prefix  # type: ignore[method-assign]
    CloudWatchBackend.get_alarms_by_alarm_names = by_names  # type: ignore[method-assign]
    CloudWatchBackend.get_alarms_by_state_value = by_state_value  # type: ignore[method-assign]


def _guardduty_features() -> None:
    from moto.guardduty.models import Detector

    original_update = Detector.update

    def update(
        self: Any,
        enable: bool,
        finding_publishing_frequency: str,
        data_sources: Any,
        features: list[dict[str, Any]] | None,
    ) -> None:
        merged = None
        if features is not None:
            by_name = {feature.get("name"): dict(feature) for feature in self.features}
            for feature in features:
                by_name[feature.get("name")] = {**by_name.get(feature.get("name"), {}), **feature}
            merged = list(by_name.values())
        # moto's own update keeps the features when given None, despite its annotation.
        original_update(self, enable, finding_publishing_frequency, data_sources, merged)  # type: ignore[arg-type]

    Detector.update = update  # type: ignore[method-assign]


def _kms_rotation_period() -> None:
    from moto.kms.models import Key
    from moto.kms.responses import KmsResponse

    def enable_key_rotation(self: Any) -> str:
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        period = self._get_param("RotationPeriodInDays") or DEFAULT_ROTATION_PERIOD_DAYS
        self.kms_backend.enable_key_rotation(key_id)
        self.kms_backend.keys[self.kms_backend.get_key_id(key_id)].rotation_period_in_days = period
        return json.dumps(None)

    def get_key_rotation_status(self: Any) -> str:
        key_id = self._get_param("KeyId")
        self._validate_cmk_id(key_id)
        key = self.kms_backend.keys[self.kms_backend.get_key_id(key_id)]
        body: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": bool(key.key_rotation_status)}
        if key.key_rotation_status:
            body["RotationPeriodInDays"] = key.rotation_period_in_days or DEFAULT_ROTATION_PERIOD_DAYS
        return json.dumps(body)

    if not hasattr(Key, "rotation_period_in_days"):
        Key.rotation_period_in_days = None  # type: ignore[attr-defined]
    KmsResponse.enable_key_rotation = enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = get_key_rotation_status  # type: ignore[method-assign]


def _opensearch_serverless_policies() -> None:
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random
    from moto.opensearchserverless.exceptions import ConflictException, ResourceNotFoundException
    from moto.opensearchserverless.responses import OpenSearchServiceServerlessResponse as Response

    def store(response: Any, kind: str) -> dict[tuple[str, str], dict[str, Any]]:
        backend = response.opensearchserverless_backend
        stores: dict[str, dict[tuple[str, str], dict[str, Any]]] = backend.__dict__.setdefault(
            "_obs_policy_stores", {"access": {}, "lifecycle": {}}
        )
        return stores[kind]

    def now_ms() -> int:
        return int(unix_time() * 1000)

    def create(response: Any, kind: str) -> dict[str, Any]:
        params = json.loads(response.body)
        key = (params["type"], params["name"])
        policies = store(response, kind)
        if key in policies:
            raise ConflictException(
                f"Policy with name {params['name']} and type {params['type']} already exists"
            )
        created = now_ms()
        policies[key] = {
            "createdDate": created,
            "lastModifiedDate": created,
            "name": params["name"],
            "type": params["type"],
            "description": params.get("description") or "",
            "policy": json.loads(params["policy"]),
            "policyVersion": mock_random.get_random_string(20),
        }
        return policies[key]

    def find(response: Any, kind: str, policy_type: str, name: str) -> dict[str, Any]:
        found = store(response, kind).get((policy_type, name))
        if found is None:
            raise ResourceNotFoundException(f"Policy with name {name} and type {policy_type} is not found")
        return found

    def update(response: Any, kind: str) -> dict[str, Any]:
        params = json.loads(response.body)
        policy = find(response, kind, params["type"], params["name"])
        if "description" in params:
            policy["description"] = params["description"] or ""
        if params.get("policy") is not None:
            policy["policy"] = json.loads(params["policy"])
        policy["lastModifiedDate"] = now_ms()
        policy["policyVersion"] = mock_random.get_random_string(20)
        return policy

    def delete(response: Any, kind: str) -> str:
        params = json.loads(response.body)
        find(response, kind, params["type"], params["name"])
        del store(response, kind)[(params["type"], params["name"])]
        return "{}"

    def create_access_policy(self: Any) -> str:
        return json.dumps({"accessPolicyDetail": create(self, "access")})

    def get_access_policy(self: Any) -> str:
        params = json.loads(self.body)
        return json.dumps({"accessPolicyDetail": find(self, "access", params["type"], params["name"])})

    def update_access_policy(self: Any) -> str:
        return json.dumps({"accessPolicyDetail": update(self, "access")})

    def delete_access_policy(self: Any) -> str:
        return delete(self, "access")

    def list_access_policies(self: Any) -> str:
        params = json.loads(self.body)
        summaries = [
            {k: v for k, v in policy.items() if k != "policy"}
            for (policy_type, _), policy in sorted(store(self, "access").items())
            if policy_type == params["type"]
        ]
        return json.dumps({"accessPolicySummaries": summaries})

    def create_lifecycle_policy(self: Any) -> str:
        return json.dumps({"lifecyclePolicyDetail": create(self, "lifecycle")})

    def update_lifecycle_policy(self: Any) -> str:
        return json.dumps({"lifecyclePolicyDetail": update(self, "lifecycle")})

    def delete_lifecycle_policy(self: Any) -> str:
        return delete(self, "lifecycle")

    def batch_get_lifecycle_policy(self: Any) -> str:
        params = json.loads(self.body)
        details, errors = [], []
        policies = store(self, "lifecycle")
        for identifier in params.get("identifiers", []):
            found = policies.get((identifier["type"], identifier["name"]))
            if found is None:
                errors.append(
                    {**identifier, "errorCode": "ResourceNotFound", "errorMessage": "Policy not found"}
                )
            else:
                details.append(found)
        return json.dumps({"lifecyclePolicyDetails": details, "lifecyclePolicyErrorDetails": errors})

    def delete_security_policy(self: Any) -> str:
        params = json.loads(self.body)
        backend = self.opensearchserverless_backend
        for token, policy in list(backend.security_policies.items()):
            if policy.name == params["name"] and policy.type == params["type"]:
                del backend.security_policies[token]
                return "{}"
        raise ResourceNotFoundException(
            f"Policy with name {params['name']} and type {params['type']} is not found"
        )

    for name, method in {
        "create_access_policy": create_access_policy,
        "get_access_policy": get_access_policy,
        "update_access_policy": update_access_policy,
        "delete_access_policy": delete_access_policy,
        "list_access_policies": list_access_policies,
        "create_lifecycle_policy": create_lifecycle_policy,
        "update_lifecycle_policy": update_lifecycle_policy,
        "delete_lifecycle_policy": delete_lifecycle_policy,
        "batch_get_lifecycle_policy": batch_get_lifecycle_policy,
        "delete_security_policy": delete_security_policy,
    }.items():
        setattr(Response, name, method)


def _lambda_logging_config() -> None:
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get_configuration = LambdaFunction.get_configuration
    original_update_configuration = LambdaFunction.update_configuration

    def logging_config(function: Any, requested: dict[str, Any] | None) -> dict[str, Any]:
        config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
        config.update({k: v for k, v in (requested or {}).items() if v is not None})
        if config["LogFormat"] == "JSON":
            config.setdefault("ApplicationLogLevel", "INFO")
            config.setdefault("SystemLogLevel", "INFO")
        return config

    def init(self: Any, account_id: str, spec: dict[str, Any], region: str, version: str | int = 1) -> None:
        original_init(self, account_id, spec, region, version)
        self.logging_config = logging_config(self, spec.get("LoggingConfig"))

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        configuration: dict[str, Any] = original_get_configuration(self, on_create)
        configuration["LoggingConfig"] = self.logging_config
        return configuration

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            # Members left out of the update keep their values.
            self.logging_config = logging_config(
                self, {**self.logging_config, **config_updates["LoggingConfig"]}
            )
        result: dict[str, Any] = original_update_configuration(self, config_updates)
        return result

    LambdaFunction.__init__ = init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


def _no_docker_subscription_delivery() -> None:
    from moto.logs.models import LogStream

    original = LogStream._send_log_events

    def send_log_events(
        self: Any, service: str, destination_arn: str, filter_name: str, log_events: list[dict[str, Any]]
    ) -> None:
        if service == "lambda":
            return  # moto would start the destination in Docker; see the module docstring
        original(self, service, destination_arn, filter_name, log_events)

    LogStream._send_log_events = send_log_events  # type: ignore[method-assign]


# --- S3 bucket policies with a request context ---------------------------------------------------

_request = threading.local()
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


def principal_of(account_id: str, headers: Any, query: str = "") -> str:
    """``aws:PrincipalArn`` of a request to the emulator: the IAM user of a long-term key, the role of
    an STS session, else (a key the emulator does not know) the account root."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    found = _CREDENTIAL.search(headers.get("Authorization", "")) or re.search(
        r"X-Amz-Credential=([A-Z0-9]+)%2F", query
    )
    key = found.group(1) if found else ""
    if key and (headers.get("X-Amz-Security-Token") or "X-Amz-Security-Token" in query):
        role = sts_backends[account_id]["aws"].get_assumed_role_from_access_key(key)
        if role is not None:
            return str(role.role_arn)
    for user in iam_backends[account_id]["aws"].users.values():
        if any(access_key.access_key_id == key for access_key in user.access_keys):
            return str(user.arn)
    return f"arn:aws:iam::{account_id}:root"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


_OPERATORS = {
    "StringEquals": lambda values, actual: actual in values,
    "ArnEquals": lambda values, actual: actual in values,
    "StringNotEquals": lambda values, actual: actual not in values,
    "ArnNotEquals": lambda values, actual: actual not in values,
    "StringLike": lambda values, actual: any(_like(v, actual) for v in values),
    "ArnLike": lambda values, actual: any(_like(v, actual) for v in values),
    "StringNotLike": lambda values, actual: not any(_like(v, actual) for v in values),
    "ArnNotLike": lambda values, actual: not any(_like(v, actual) for v in values),
    "StringEqualsIgnoreCase": lambda values, actual: actual.lower() in {v.lower() for v in values},
    "Bool": lambda values, actual: actual.lower() in {v.lower() for v in values},
}


def _condition_holds(operator: str, expected: Any, actual: str | None) -> bool | None:
    """One condition operator on one key; None for an operator this evaluator does not know."""
    base = operator.removesuffix("IfExists")
    test = _OPERATORS.get(base)
    if test is None:
        return None
    if actual is None:
        # a missing key fails the condition, except with ...IfExists and the negated operators
        return operator.endswith("IfExists") or "Not" in base
    return bool(test([str(v) for v in _as_list(expected)], actual))


def _principal_matches(principal: Any, caller: str) -> bool:
    if principal is None or principal == "*":
        return principal is not None
    identifiers = _as_list(principal.get("AWS", [])) if isinstance(principal, dict) else []
    account = caller.split(":")[4]
    own = ("*", caller, account, f"arn:aws:iam::{account}:root")
    return any(str(identifier) in own for identifier in identifiers)


def bucket_policy_decision(
    policy: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> str:
    """``deny``, ``allow`` or ``neutral``: one bucket policy on one request (an explicit Deny wins)."""
    decision = "neutral"
    for statement in _as_list(policy.get("Statement", [])):
        if "NotAction" in statement:
            if any(_like(a, action, case=False) for a in _as_list(statement["NotAction"])):
                continue
        elif not any(_like(a, action, case=False) for a in _as_list(statement.get("Action", []))):
            continue
        if "NotResource" in statement:
            if any(_like(r, resource) for r in _as_list(statement["NotResource"])):
                continue
        elif not any(_like(r, resource) for r in _as_list(statement.get("Resource", []))):
            continue
        if not _principal_matches(statement.get("Principal"), context["aws:PrincipalArn"]):
            continue
        deny = statement.get("Effect") == "Deny"
        holds = True
        for operator, keys in statement.get("Condition", {}).items():
            for key, expected in keys.items():
                result = _condition_holds(operator, expected, context.get(key))
                # an unknown operator: a Deny applies, an Allow does not (the safe side)
                holds = holds and (deny if result is None else result)
        if not holds:
            continue
        if deny:
            return "deny"
        decision = "allow"
    return decision


def _bucket_policy_context() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    original_key_response = S3Response._key_response

    def key_response(self: Any, request: Any, full_url: str) -> Any:
        query = full_url.partition("?")[2]
        _request.principal = principal_of(self.current_account, request.headers, query)
        try:
            return original_key_response(self, request, full_url)
        finally:
            _request.principal = None

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        principal = getattr(_request, "principal", None) or f"arn:aws:iam::{self.account_id}:root"
        context = {
            "aws:PrincipalArn": principal,
            "aws:PrincipalAccount": principal.split(":")[4],
            "aws:SecureTransport": "true",
        }
        action = "s3:GetObject" if action == "s3:HeadObject" else action  # HEAD is authorised as GET
        decision = bucket_policy_decision(json.loads(self.policy), action, resource, context)
        return {
            "deny": PermissionResult.DENIED,
            "allow": PermissionResult.PERMITTED,
            "neutral": PermissionResult.NEUTRAL,
        }[decision]

    S3Response._key_response = key_response  # type: ignore[method-assign]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _unique_log_event_ids() -> None:
    import secrets

    from moto.logs.models import LogEvent

    original_init = LogEvent.__init__

    def init(self: Any, ingestion_time: int, log_event: dict[str, Any]) -> None:
        original_init(self, ingestion_time, log_event)
        self.event_id = f"{secrets.randbelow(10**56):056d}"

    LogEvent.__init__ = init  # type: ignore[method-assign]
