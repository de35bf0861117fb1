"""Index templates: every schema field mapped, labels as flat_object, committed files in sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from log_pipeline.templates import field_types, index_templates, render_files
from signals import logs as fields

ROOT = Path(__file__).resolve().parents[3]


def _leaf(properties: dict[str, Any], dotted: str) -> Any:
    *parents, leaf = dotted.split(".")
    for parent in parents:
        properties = properties[parent]["properties"]
    return properties[leaf]


def test_one_template_per_kind_matching_the_index_pattern():
    templates = index_templates()
    assert sorted(templates) == sorted(f"{fields.INDEX_PREFIX}-{kind}" for kind in fields.EVENT_KINDS)
    for kind in fields.EVENT_KINDS:
        assert templates[f"{fields.INDEX_PREFIX}-{kind}"]["index_patterns"] == [fields.index_pattern(kind)]


def test_mappings_avoid_explosion_and_type_conflicts():
    mappings = index_templates()["logs-application"]["template"]["mappings"]
    assert mappings["dynamic"] == "false"
    properties = mappings["properties"]
    assert _leaf(properties, fields.EXTRA) == {"type": "flat_object"}
    assert _leaf(properties, fields.UNMAPPED)["type"] == "text"
    assert _leaf(properties, fields.LAMBDA_DURATION_MS)["type"] == "double"
    assert _leaf(properties, fields.HTTP_STATUS)["type"] == "integer"
    assert _leaf(properties, fields.TIMESTAMP)["type"] == "date"
    assert "settings" not in index_templates()["logs-access"]["template"]  # AOSS rejects shard settings


def test_every_document_field_in_signals_is_mapped():
    names = {
        value
        for key, value in vars(fields).items()
        if key.isupper()
        and isinstance(value, str)
        and not key.startswith(("PT_", "APP_", "KIND_", "INDEX_", "ALL_", "SHIPPER_"))
    }
    assert names - set(field_types()) == set()
    for dotted in field_types():
        assert _leaf(index_templates()["logs-platform"]["template"]["mappings"]["properties"], dotted)


def test_rendered_files_are_deterministic_and_committed():
    files = render_files()
    assert files == render_files()
    for path, content in files.items():
        assert content.endswith("\n")
        assert json.loads(content) == index_templates()[Path(path).stem]
        assert (ROOT / path).read_text() == content, f"{path} is stale: run make render"
