"""Render every ``dashboards/*.dashboard.py`` to Grafana JSON, deterministically.

One dashboard per file, each defining ``dashboard`` (grafanalib's convention); the output is JSON
with sorted keys, indent 2 and a trailing newline, committed under ``dashboards/rendered/`` so a
review shows what changes on screen, and ``make check-generated`` fails when the code and the
committed files disagree.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Final

DASHBOARD_DIR: Final = Path(__file__).resolve().parent
RENDERED_DIR: Final = "dashboards/rendered"
SUFFIX: Final = ".dashboard.py"


class RenderError(Exception):
    """A dashboard definition that cannot be rendered (named in the message)."""


def definition_files() -> list[Path]:
    return sorted(DASHBOARD_DIR.glob(f"*{SUFFIX}"))


def load(path: Path) -> Any:
    """The ``dashboard`` object a ``*.dashboard.py`` file defines."""
    module_name = "dashboards._defs." + path.name.removesuffix(SUFFIX)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for non-Python paths
        raise RenderError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dashboard = getattr(module, "dashboard", None)
    if dashboard is None:
        raise RenderError(f"{path.name} does not define a variable named 'dashboard'")
    return dashboard


class _Encoder(json.JSONEncoder):
    """grafanalib objects (and ours) serialise themselves with ``to_json_data``."""

    def default(self, o: Any) -> Any:
        to_json_data = getattr(o, "to_json_data", None)
        if callable(to_json_data):
            return to_json_data()
        return super().default(o)


GRAFANALIB_LEFTOVERS: Final = frozenset({"span", "minSpan", "height", "error", "editable"})
"""Panel keys of grafanalib's old (pre-schemaVersion 14) row layout that Grafana's panel model does
not have; ``gridPos`` replaced them."""
ROW_FIELDS: Final = frozenset(
    {"type", "collapsed", "title", "datasource", "gridPos", "id", "panels", "repeat"}
)
"""The fields of Grafana's row panel (``RowPanel``); grafanalib writes a graph panel's on top."""
TABLE_LEFTOVERS: Final = frozenset({"columns", "fontSize", "color", "mappings"})
"""Table panel keys of the old (Angular) table that grafanalib still writes next to ``fieldConfig``."""
VARIABLE_LEFTOVERS: Final = frozenset({"definition"})
"""A query variable's ``definition``: editor text, not part of the dashboard schema's variable model."""


def _drop_nulls(value: Any, key: str = "") -> Any:
    """Grafana reads a missing field as unset; a threshold step's ``value: null`` (the base step) is
    meaningful and stays."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v, k) for k, v in value.items() if v is not None or k == "value"}
    if isinstance(value, list):
        return [_drop_nulls(item, key) for item in value]
    return value


def _drop_leftovers(model: dict[str, Any]) -> dict[str, Any]:
    """The dashboard JSON without what grafanalib writes that Grafana's typed models do not have."""

    def clean(panel: dict[str, Any]) -> dict[str, Any]:
        if panel.get("type") == "row":
            kept = {k: v for k, v in panel.items() if k in ROW_FIELDS}
        else:
            dropped = GRAFANALIB_LEFTOVERS | (
                TABLE_LEFTOVERS if panel.get("type") == "table" else frozenset()
            )
            kept = {k: v for k, v in panel.items() if k not in dropped}
        if "panels" in kept:
            kept["panels"] = [clean(child) for child in kept["panels"]]
        return kept

    variables = [
        {k: v for k, v in variable.items() if k not in VARIABLE_LEFTOVERS}
        for variable in model.get("templating", {}).get("list", [])
    ]
    cleaned = {**model, "panels": [clean(panel) for panel in model.get("panels", [])]}
    if "templating" in model:
        cleaned["templating"] = {**model["templating"], "list": variables}
    return dict(_drop_nulls(cleaned))


def to_json(dashboard: Any) -> str:
    model = json.loads(json.dumps(dashboard.to_json_data(), cls=_Encoder))
    return json.dumps(_drop_leftovers(model), sort_keys=True, indent=2) + "\n"


def models() -> dict[str, dict[str, Any]]:
    """Every dashboard as a plain JSON model, by uid (what ``publish`` sends)."""
    out: dict[str, dict[str, Any]] = {}
    for path in definition_files():
        model = json.loads(to_json(load(path)))
        if model["uid"] in out:
            raise RenderError(f"{path.name}: uid {model['uid']!r} is used by two dashboards")
        out[model["uid"]] = model
    return out


def render_files() -> dict[str, str]:
    """Repo-relative path -> file content, one JSON file per dashboard (named after its file)."""
    files: dict[str, str] = {}
    for path in definition_files():
        name = path.name.removesuffix(SUFFIX)
        files[f"{RENDERED_DIR}/{name}.json"] = to_json(load(path))
    return files


def write(out_dir: Path) -> list[Path]:
    """Write the rendered dashboards into ``out_dir`` (flat, one file per dashboard)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rel, content in render_files().items():
        target = out_dir / Path(rel).name
        target.write_text(content, encoding="utf-8")
        written.append(target)
    return written
