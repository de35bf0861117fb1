"""Every committed generated file, rendered from code: ``write`` refreshes them, ``check`` fails on drift.

Each generator module exposes ``render_files() -> dict[str, str]`` (repository-relative path ->
exact content). Content is deterministic (sorted keys, stable order, trailing newline), so a
committed file that differs from its render means someone edited the output or forgot to re-render.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from pathlib import Path

__all__ = ["GENERATORS", "ROOT", "check", "main", "render_all", "write"]

GENERATORS: tuple[str, ...] = (
    "tools.signal_files",
    "tools.architecture",
    "tools.terraform",
    "tools.terraform_docs",
    "tools.s3_model",
    "log_pipeline.templates",
    "alerts.render",
    "dashboards.render",
)
ROOT = Path(__file__).resolve().parents[1]


def render_all() -> dict[str, str]:
    files: dict[str, str] = {}
    for module_name in GENERATORS:
        rendered = importlib.import_module(module_name).render_files()
        for path, content in rendered.items():
            if path in files:
                raise RuntimeError(f"{path} is rendered by two generators")
            if not content.endswith("\n"):
                raise RuntimeError(f"{module_name} renders {path} without a trailing newline")
            files[path] = content
    return dict(sorted(files.items()))


def check(root: Path = ROOT) -> list[str]:
    """Return one message per drifted or missing file (empty when everything matches)."""
    problems: list[str] = []
    for path, content in render_all().items():
        target = root / path
        if not target.exists():
            problems.append(f"{path}: missing (run `make render` and commit it)")
            continue
        current = target.read_text()
        if current != content:
            diff = "".join(
                list(
                    difflib.unified_diff(
                        current.splitlines(True), content.splitlines(True), path, path + " (rendered)"
                    )
                )[:40]
            )
            problems.append(f"{path}: differs from what the code renders (run `make render`)\n{diff}")
    return problems


def write(root: Path = ROOT) -> list[str]:
    changed: list[str] = []
    for path, content in render_all().items():
        target = root / path
        if not target.exists() or target.read_text() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.generated", description=__doc__)
    parser.add_argument("action", choices=("check", "write"))
    args = parser.parse_args(argv)
    if args.action == "write":
        changed = write()
        print("\n".join(f"wrote {p}" for p in changed) or "every generated file is up to date")
        return 0
    problems = check()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} generated file(s) out of date", file=sys.stderr)
        return 1
    print(f"{len(render_all())} generated files match the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
