"""What a rendered dashboard depends on: metrics, dimensions, OpenSearch fields, variables, links.

The contract tests compare these inventories with what really exists (AWS's published metrics, the
EMF the handlers print, the index templates, the alarm catalog), so a renamed metric or field
breaks a test instead of leaving an empty panel in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

_INSIGHTS: Final = re.compile(
    r'^SELECT (?P<func>\w+)\((?P<metric>[\w.-]+)\) FROM SCHEMA\("(?P<namespace>[^"]+)", ?(?P<keys>[^)]*)\)'
)
_LUCENE_FIELD: Final = re.compile(r"_exists_:(?P<exists>[@\w][\w.@]*)|(?P<field>[@\w][\w.@]*):")
_VARIABLE: Final = re.compile(r"\$(?:\{(?P<braced>\w+)(?::\w+)?\}|(?P<plain>\w+))")
_BUILTIN_VARIABLES: Final = frozenset(
    {"__url_time_range", "__value", "__data", "__interval", "__from", "__to"}
)
_AGG_PREFIXES: Final = ("Max ", "Min ", "Average ", "Sum ")


@dataclass(frozen=True)
class MetricUse:
    namespace: str
    metric: str
    dimensions: frozenset[str]
    where: str
    partial: bool = False
    """True for a variable's dimension lookup: its keys need only be part of a published set."""


def panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def targets(model: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for panel in panels(model):
        for target in panel.get("targets") or []:
            yield panel, target


def metric_uses(model: dict[str, Any]) -> list[MetricUse]:
    """Every CloudWatch metric a panel, annotation or variable of the dashboard reads."""
    uses: list[MetricUse] = []
    for panel, target in targets(model):
        if target.get("datasource", {}).get("type") != "cloudwatch":
            continue
        where = f"{model['uid']}/{panel['title']}/{target['refId']}"
        if target.get("metricQueryType") == 1:
            match = _INSIGHTS.match(target["sqlExpression"])
            if not match:
                raise ValueError(f"{where}: cannot read Metrics Insights query {target['sqlExpression']!r}")
            keys = frozenset(k.strip() for k in match["keys"].split(",") if k.strip())
            uses.append(MetricUse(match["namespace"], match["metric"], keys, where))
        elif target.get("metricEditorMode") == 0:
            uses.append(
                MetricUse(target["namespace"], target["metricName"], frozenset(target["dimensions"]), where)
            )
    for annotation in model["annotations"]["list"]:
        target = annotation.get("target")
        if target and target.get("queryMode") == "Annotations":
            where = f"{model['uid']}/annotation {annotation['name']}"
            uses.append(
                MetricUse(target["namespace"], target["metricName"], frozenset(target["dimensions"]), where)
            )
    for variable in model["templating"]["list"]:
        query = variable.get("query")
        if isinstance(query, dict) and query.get("queryType") == "dimensionValues":
            keys = frozenset({query["dimensionKey"], *query.get("dimensionFilters", {})})
            where = f"{model['uid']}/${variable['name']}"
            uses.append(MetricUse(query["namespace"], query["metricName"], keys, where, partial=True))
    return uses


def opensearch_fields(model: dict[str, Any]) -> dict[str, set[str]]:
    """Field name -> where it is used, for every OpenSearch query, aggregation and table column."""
    used: dict[str, set[str]] = {}

    def note(field: str, where: str) -> None:
        used.setdefault(field, set()).add(where)

    for panel, target in targets(model):
        if target.get("datasource", {}).get("type") != "grafana-opensearch-datasource":
            continue
        where = f"{model['uid']}/{panel['title']}"
        for match in _LUCENE_FIELD.finditer(target.get("query", "")):
            note(match["exists"] or match["field"], where)
        for agg in (*target.get("metrics", []), *target.get("bucketAggs", [])):
            if agg.get("field"):
                note(agg["field"], where)
        note(target["timeField"], where)
        for transformation in panel.get("transformations", []):
            for name in transformation.get("options", {}).get("include", {}).get("names", []):
                field = _column_field(name)
                if field:
                    note(field, where)
        for override in panel.get("fieldConfig", {}).get("overrides", []):
            field = _column_field(override["matcher"]["options"])
            if field:
                note(field, where)
    return used


def _column_field(column: str) -> str | None:
    """The document field behind a table column (``Max aws.lambda.duration_ms`` -> the field)."""
    if column == "Count":
        return None
    for prefix in _AGG_PREFIXES:
        if column.startswith(prefix):
            return column.removeprefix(prefix)
    return column


def variables_used(model: dict[str, Any]) -> dict[str, set[str]]:
    """Template variable name -> where a query, link or annotation references it."""
    used: dict[str, set[str]] = {}

    def scan(value: Any, where: str) -> None:
        if isinstance(value, str):
            for match in _VARIABLE.finditer(value):
                name = match["braced"] or match["plain"]
                if name not in _BUILTIN_VARIABLES and name != "default":  # "$default" is a stage name
                    used.setdefault(name, set()).add(where)
        elif isinstance(value, dict):
            for item in value.values():
                scan(item, where)
        elif isinstance(value, list):
            for item in value:
                scan(item, where)

    for panel in panels(model):
        scan(panel.get("targets"), f"panel {panel['title']}")
        scan(panel.get("fieldConfig"), f"panel {panel['title']}")
    for annotation in model["annotations"]["list"]:
        scan(annotation.get("target"), f"annotation {annotation['name']}")
    for variable in model["templating"]["list"]:
        scan(variable.get("query"), f"variable {variable['name']}")
    return used


def links(model: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, url) of every data link and table-cell link."""
    out: list[tuple[str, str]] = []
    for panel in panels(model):
        field_config = panel.get("fieldConfig", {})
        for link in field_config.get("defaults", {}).get("links", []):
            out.append((panel["title"], link["url"]))
        for override in field_config.get("overrides", []):
            for prop in override.get("properties", []):
                if prop["id"] == "links":
                    out.extend((panel["title"], link["url"]) for link in prop["value"])
    return out


def text_of(model: dict[str, Any]) -> str:
    """Descriptions, titles and text panels: where alarm names are written for people."""
    parts = [model.get("description", "")]
    for panel in panels(model):
        parts += [panel.get("title") or "", panel.get("description") or ""]
        parts.append(panel.get("options", {}).get("content", "") if panel.get("type") == "text" else "")
    return "\n".join(parts)
