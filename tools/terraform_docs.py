"""Inputs and Outputs tables of every Terraform module README, rendered from the module's own files.

The tables sit between ``<!-- BEGIN_TF_DOCS -->`` and ``<!-- END_TF_DOCS -->`` (terraform-docs'
markers and column layout), so the README prose stays hand-written and the tables cannot drift:
``make render`` rewrites them and ``make check-generated`` fails when a variable or output changed
without them. terraform-docs itself is not used: its Go module is not served by the module proxy
this project builds its tools from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.hcl import parse_file

__all__ = [
    "BEGIN",
    "END",
    "MODULES_DIR",
    "TerraformDocsError",
    "inject",
    "render_files",
    "tables",
]


ROOT = Path(__file__).resolve().parents[1]
MODULES_DIR = ROOT / "infra" / "modules"
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


class TerraformDocsError(Exception):
    """A README has one marker without the other, or they are out of order."""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _expression(value: Any) -> str:
    """A type or default as Terraform source: python-hcl2 wraps expressions in ``${...}``."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return json.dumps(value, sort_keys=True)


def _type(value: Any) -> str:
    """A type constraint: python-hcl2 gives a keyword (``string``) bare, anything else in ``${...}``."""
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name in ("variables.tf", "outputs.tf"):
        path = directory / name
        if path.is_file():
            for entry in parse_file(path).get(kind, []):
                found.update(entry)
    return dict(sorted(found.items()))


def tables(directory: Path) -> str:
    """The Inputs and Outputs tables of one module, as terraform-docs' ``markdown table`` lays them out."""
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in _blocks(directory, "variable").items():
        required = "default" not in body
        default = "n/a" if required else f"`{_cell(_expression(body['default']))}`"
        type_ = f"`{_cell(_type(body.get('type', 'any')))}`"
        description = _cell(str(body.get("description", "")))
        lines.append(f"| {name} | {description} | {type_} | {default} | {'yes' if required else 'no'} |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in _blocks(directory, "output").items():
        lines.append(f"| {name} | {_cell(str(body.get('description', '')))} |")
    return "\n".join(lines)


def inject(readme: str, generated: str, *, where: str = "README.md") -> str:
    """The README with the text between the markers replaced (markers appended when absent)."""
    block = f"{BEGIN}\n{generated}\n{END}\n"
    has_begin, has_end = BEGIN in readme, END in readme
    if has_begin != has_end or (has_begin and readme.index(BEGIN) > readme.index(END)):
        raise TerraformDocsError(f"{where}: needs both {BEGIN} and {END}, in that order")
    if not has_begin:
        return readme.rstrip("\n") + "\n\n" + block
    head, rest = readme.split(BEGIN, 1)
    tail = rest.split(END, 1)[1].lstrip("\n")
    return head + block + (("\n" + tail) if tail else "")


def render_files() -> dict[str, str]:
    """Every module README with its tables (repository-relative path -> content)."""
    files: dict[str, str] = {}
    for directory in sorted(p for p in MODULES_DIR.iterdir() if (p / "variables.tf").is_file()):
        readme = directory / "README.md"
        where = str(readme.relative_to(ROOT))
        files[where] = inject(readme.read_text(encoding="utf-8"), tables(directory), where=where)
    return files
