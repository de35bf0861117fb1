"""``render_files()``: every generated file of alerts/, deterministic (sorted keys, indent 2,
trailing newline), written by ``obsctl alerts render`` / ``make render`` and checked for drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

CATALOG_TF: Final = "infra/modules/alerting/catalog.tf.json"
GRAFANA_RULES: Final = "alerts/rendered/grafana-alert-rules.json"
NOTIFIER_ROUTING: Final = "notifier/routing.json"


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_files() -> dict[str, str]:
    """Repo-relative path -> file content."""
    from alerts.grafana import render_provisioning
    from alerts.routing import render_routing
    from alerts.terraform import render_catalog

    return {
        CATALOG_TF: dumps(render_catalog()),
        GRAFANA_RULES: dumps(render_provisioning()),
        NOTIFIER_ROUTING: dumps(render_routing()),
    }


def write_files(root: Path) -> list[Path]:
    written = []
    for relative, content in sorted(render_files().items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
