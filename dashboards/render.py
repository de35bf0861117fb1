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

from grafanalib._gen import DashboardEncoder

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


def to_json(dashboard: Any) -> str:
    return json.dumps(dashboard.to_json_data(), sort_keys=True, indent=2, cls=DashboardEncoder) + "\n"


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
