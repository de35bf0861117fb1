"""Module README tables rendered from the module's variables and outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import terraform_docs
from tools.terraform_docs import BEGIN, END, TerraformDocsError, inject, tables


def test_tables_list_every_variable_and_output_with_type_default_and_requirement(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text(
        'variable "name" {\n  description = "The name | with a pipe."\n  type = string\n}\n\n'
        'variable "size" {\n  description = "How many."\n  type = number\n  default = 3\n}\n\n'
        'variable "opts" {\n  description = "Options."\n  type = object({ a = optional(bool, true) })\n'
        "  default = {}\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "outputs.tf").write_text('output "arn" {\n  description = "The ARN."\n  value = "x"\n}\n')

    rendered = tables(tmp_path).splitlines()

    assert "| name | The name \\| with a pipe. | `string` | n/a | yes |" in rendered
    assert "| size | How many. | `number` | `3` | no |" in rendered
    assert any(
        line.startswith("| opts | Options. | `object({a = optional(bool, true)})` | `{}` | no |")
        for line in rendered
    )
    assert "| arn | The ARN. |" in rendered


def test_inject_replaces_only_the_text_between_the_markers() -> None:
    readme = f"# m\n\nProse.\n\n{BEGIN}\nold tables\n{END}\n\nMore prose.\n"

    assert inject(readme, "new") == f"# m\n\nProse.\n\n{BEGIN}\nnew\n{END}\n\nMore prose.\n"


def test_inject_appends_the_markers_once() -> None:
    first = inject("# m\n", "tables")

    assert first == f"# m\n\n{BEGIN}\ntables\n{END}\n"
    assert inject(first, "tables") == first


def test_a_lone_marker_is_an_error() -> None:
    with pytest.raises(TerraformDocsError, match="needs both"):
        inject(f"# m\n{END}\n{BEGIN}\n", "tables")


def test_every_module_readme_is_rendered() -> None:
    rendered = terraform_docs.render_files()

    assert len(rendered) == len([p for p in terraform_docs.MODULES_DIR.iterdir() if p.is_dir()])
    for content in rendered.values():
        assert content.count(BEGIN) == 1 and "## Inputs" in content and "## Outputs" in content
