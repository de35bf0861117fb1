"""Check rendered Grafana JSON against Grafana's own typed models (``grafana-foundation-sdk``).

The SDK's ``from_json`` is permissive: it keeps what it knows and silently drops the rest, and it
does not check literal or enum values. So a document conforms when

- decoding it with the model and encoding it again gives back the same JSON (no field the model does
  not know; fields left out take the schema's defaults, as in Grafana), and
- every value matches the model's type hints: ``Literal`` members, enum values, str/int/float/bool,
  lists, maps and nested models.

Data queries are decoded by their data source type (``cloudwatch``, ``__expr__``); a query the SDK
cannot type is a failure, except for data source types the SDK has no model for (listed in
``UNTYPED_DATASOURCES`` with the reason).
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from typing import Any, Final

from grafana_foundation_sdk.cog import runtime
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import alerting, cloudwatch, dashboard

register_default_plugins()
_SDK: Final = "grafana_foundation_sdk"

UNTYPED_DATASOURCES: Final = {
    # The OpenSearch plugin is not in the SDK (it has Elasticsearch only); its targets are checked
    # by tests/unit/dashboards/test_dashboards_contract.py against the plugin's query fields.
    "grafana-opensearch-datasource": "no OpenSearch model in grafana-foundation-sdk",
}


def _encode(obj: Any) -> Any:
    return json.loads(json.dumps(obj, cls=JSONEncoder))


def _diff(original: Any, roundtrip: Any, path: str, problems: list[str]) -> None:
    if isinstance(original, dict) and isinstance(roundtrip, dict):
        for key in sorted(set(original) | set(roundtrip)):
            where = f"{path}.{key}"
            if key not in roundtrip:
                problems.append(f"{where}: not a field of Grafana's model")
            elif key not in original:
                continue  # a field the model fills with its schema default, as Grafana does
            else:
                _diff(original[key], roundtrip[key], where, problems)
    elif isinstance(original, list) and isinstance(roundtrip, list) and len(original) == len(roundtrip):
        for index, (a, b) in enumerate(zip(original, roundtrip, strict=True)):
            _diff(a, b, f"{path}[{index}]", problems)
    elif original != roundtrip:
        problems.append(f"{path}: {original!r} reads back as {roundtrip!r}")


def _check_type(hint: Any, value: Any, path: str, problems: list[str]) -> None:
    origin = typing.get_origin(hint)
    if value is None:
        if origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint):
            return
        problems.append(f"{path}: null where Grafana's model wants {hint}")
        return
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        exact = [
            o
            for o in options
            if isinstance(o, type) and o.__module__.startswith(_SDK) and isinstance(value, o)
        ]
        options = exact or options
        errors: list[list[str]] = []
        for option in options:
            found: list[str] = []
            _check_type(option, value, path, found)
            if not found:
                return
            errors.append(found)
        problems.extend(sorted(errors, key=len)[0])
        return
    if origin is typing.Literal:
        if value not in typing.get_args(hint):
            problems.append(f"{path}: {value!r} is not one of {typing.get_args(hint)}")
        return
    if origin is list:
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {value!r}")
            return
        (item,) = typing.get_args(hint)
        for index, element in enumerate(value):
            _check_type(item, element, f"{path}[{index}]", problems)
        return
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object, got {value!r}")
            return
        _, item = typing.get_args(hint)
        for key, element in value.items():
            _check_type(item, element, f"{path}.{key}", problems)
        return
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        raw = value.value if isinstance(value, enum.Enum) else value
        if raw not in {member.value for member in hint}:
            problems.append(f"{path}: {value!r} is not one of {[m.value for m in hint]}")
        return
    if hint is typing.Any or hint is object:
        return
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number, got {value!r}")
        return
    if hint in (str, int, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            problems.append(f"{path}: expected {hint.__name__}, got {value!r}")
        return
    if isinstance(value, runtime.UnknownDataquery):
        _check_object(value, path, problems)
        return
    if isinstance(hint, type) and isinstance(value, dict) and hasattr(hint, "from_json"):
        # Some decoders keep a nested model as a plain object (Panel.transformations): type it here.
        problems.extend(conformance(hint, value, path))
        return
    if isinstance(hint, type) and not isinstance(value, hint):
        problems.append(f"{path}: expected {hint.__name__}, got {type(value).__name__}")
        return
    _check_object(value, path, problems)


def _check_object(obj: Any, path: str, problems: list[str]) -> None:
    if isinstance(obj, runtime.UnknownDataquery):
        datasource = obj.data.get("datasource") or {}
        if datasource.get("type") not in UNTYPED_DATASOURCES:
            problems.append(f"{path}: Grafana's models cannot type this query: {obj.data!r}")
        return
    hints = typing.get_type_hints(type(obj))
    for name, hint in hints.items():
        if name.startswith("_") or not hasattr(obj, name):
            continue
        _check_type(hint, getattr(obj, name), f"{path}.{name}", problems)


def conformance(model: type[Any], document: dict[str, Any], path: str = "$") -> list[str]:
    """Problems of ``document`` against one of the SDK's model classes (empty: it conforms)."""
    try:
        obj = model.from_json(document)
    except (TypeError, KeyError, AttributeError) as exc:
        return [f"{path}: Grafana's model cannot read it ({type(exc).__name__}: {exc})"]
    problems: list[str] = []
    _diff(document, _encode(obj), path, problems)
    _check_object(obj, path, problems)
    return problems


# What the Grafana CloudWatch plugin (and CloudWatch behind it) needs from a metrics query, beyond
# the typed model: ``MetricDataQuery.Id`` starts with a lowercase letter; a Metrics Insights query
# (metricQueryType 1) has ``statistic``; a builder query has namespace, metric name and statistic.
_CLOUDWATCH_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")


def cloudwatch_query_problems(query: dict[str, Any], path: str) -> list[str]:
    if (query.get("datasource") or {}).get("type") != "cloudwatch" or query.get("queryMode") != "Metrics":
        return []
    problems = []
    if query.get("id") and not _CLOUDWATCH_ID.fullmatch(query["id"]):
        problems.append(f"{path}: id {query['id']!r} must start with a lowercase letter (CloudWatch Id)")
    if query.get("metricQueryType") == 1 and not query.get("statistic"):
        problems.append(f"{path}: Metrics Insights query without statistic")
    if query.get("metricQueryType", 0) == 0 and query.get("metricEditorMode", 0) == 0:
        needed = ("namespace", "metricName", "statistic")
        problems += [f"{path}: builder query without {key}" for key in needed if not query.get(key)]
    return problems


def rule_problems(rule: dict[str, Any]) -> list[str]:
    """An alert rule as the provisioning API takes it (``ProvisionedAlertRule``).

    Besides the typed model, each data-source query is sent on its own (Grafana alerting), so a
    CloudWatch math expression that names another query is an invalid shape, and so is a
    server-side expression that names a query the rule does not have.
    """
    where = f"rule {rule.get('title')!r}"
    problems = conformance(alerting.Rule, rule, where)
    ref_ids = {item.get("refId") for item in rule.get("data", [])}
    for index, item in enumerate(rule.get("data", [])):
        model = item.get("model", {})
        path = f"{where}.data[{index}]"
        problems += cloudwatch_query_problems(model, path)
        if (
            item.get("datasourceUid") != "__expr__"
            and model.get("metricEditorMode") == 1
            and model.get("metricQueryType", 0) == 0
        ):
            problems.append(f"{path}: CloudWatch math expression in an alert rule (queries run alone)")
        if item.get("datasourceUid") == "__expr__":
            named = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", model.get("expression", "")))
            if model.get("type") in ("reduce", "threshold", "resample"):
                named = {model.get("expression", "")}
            problems += [f"{path}: refers to unknown query {name!r}" for name in sorted(named - ref_ids)]
    if rule.get("condition") not in ref_ids:
        problems.append(f"{where}: condition {rule.get('condition')!r} is not one of its queries")
    return problems


def _targets(panels: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for panel in panels:
        found += [(f"panel {panel.get('title')!r}", target) for target in panel.get("targets") or []]
        found += _targets(panel.get("panels") or [])
    return found


def dashboard_problems(model: dict[str, Any]) -> list[str]:
    """A dashboard JSON model. Annotation query targets are data-source specific (the dashboard
    schema types them generically), so CloudWatch ones are checked against the CloudWatch
    annotation query model."""
    where = f"dashboard {model.get('uid')!r}"
    annotations = (model.get("annotations") or {}).get("list") or []
    problems: list[str] = []
    generic = []
    for index, annotation in enumerate(annotations):
        if (annotation.get("datasource") or {}).get("type") == "cloudwatch" and "target" in annotation:
            problems += conformance(cloudwatch.CloudWatchAnnotationQuery, annotation["target"],
                                    f"{where}.annotations.list[{index}].target")  # fmt: skip
            annotation = {k: v for k, v in annotation.items() if k != "target"}
        generic.append(annotation)
    problems += conformance(dashboard.Dashboard, {**model, "annotations": {"list": generic}}, where)
    for path, target in _targets(model.get("panels") or []):
        problems += cloudwatch_query_problems(target, f"{where} {path}")
    return problems
