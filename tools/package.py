"""Reproducible Lambda packages: ``make package`` writes ``build/dist/{function,shipper}.zip``.

Each zip holds the deployable unit's code, the ``signals`` package, and the dependencies of the
unit's ``requirements.txt`` installed for the Lambda runtime (python3.12, x86_64, binary wheels
only). Entries are sorted, every timestamp is 1980-01-01 and permissions are normalized, so two
builds of the same commit are byte-identical and the artifact's SHA-256 identifies the commit's code.

Bytecode: ``/var/task`` is read-only on Lambda, so a zip without ``__pycache__`` recompiles every
module (Powertools, botocore, ours) on every cold start. The package therefore carries bytecode
compiled by a python3.12 interpreter (the runtime's version) with ``unchecked-hash`` invalidation:
no timestamps in the ``.pyc`` files (reproducible) and no source check at import (the zip is
immutable). Stale source-tree ``.pyc`` files are never copied; only what this build compiles is.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_OUT",
    "ENV_BYTECODE_PYTHON",
    "EXCLUDED_DIRS",
    "EXCLUDED_SUFFIXES",
    "LAMBDA_PLATFORM",
    "LAMBDA_PYTHON",
    "LAMBDA_TASK_ROOT",
    "PACKAGES",
    "REPO_ROOT",
    "UNZIPPED_LIMIT_BYTES",
    "ZIP_EPOCH",
    "PackageError",
    "PackageSpec",
    "build",
    "collect",
    "find_bytecode_python",
    "install_dependencies",
    "main",
    "sha256",
    "write_zip",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "build" / "dist"

LAMBDA_PYTHON = "3.12"
LAMBDA_TASK_ROOT = "/var/task"
ENV_BYTECODE_PYTHON = "LAMBDA_BYTECODE_PYTHON"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
"""Lambda's limit on the unzipped size of a function package."""

EXCLUDED_DIRS = {"__pycache__", "tests", ".pytest_cache", ".mypy_cache", "bin"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


class PackageError(Exception):
    """A package could not be built (missing source, failed dependency install, too large)."""


@dataclass(frozen=True)
class PackageSpec:
    """One deployable unit: the zip's name, the packages it contains, its requirements file."""

    zip_name: str
    packages: tuple[str, ...]
    requirements: str


PACKAGES: tuple[PackageSpec, ...] = (
    PackageSpec("function.zip", ("function", "signals"), "function/requirements.txt"),
    PackageSpec("shipper.zip", ("log_pipeline", "signals"), "log_pipeline/requirements.txt"),
    PackageSpec("notifier.zip", ("notifier", "signals"), "notifier/requirements.txt"),
)


def _requirement_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise PackageError(f"{path} not found: every deployable unit lists its runtime dependencies")
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def install_dependencies(requirements: Path, target: Path) -> None:
    """pip-install the requirements for the Lambda runtime into ``target`` (no-op when empty)."""
    if not _requirement_lines(requirements):
        return
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        "--platform",
        LAMBDA_PLATFORM,
        "--python-version",
        LAMBDA_PYTHON,
        "--implementation",
        "cp",
        "--target",
        str(target),
        "--requirement",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise PackageError(f"pip install -r {requirements} failed:\n{result.stderr.strip()}")


def _included(relative: Path) -> bool:
    if any(part in EXCLUDED_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return False
    return relative.suffix not in EXCLUDED_SUFFIXES


def collect(roots: Iterable[tuple[Path, Path]]) -> dict[str, Path]:
    """Archive name -> file, from (directory, prefix inside the zip) pairs; later roots win."""
    entries: dict[str, Path] = {}
    for directory, prefix in roots:
        if not directory.is_dir():
            raise PackageError(f"{directory} is not a directory")
        for path in directory.rglob("*"):
            relative = path.relative_to(directory)
            if path.is_file() and _included(relative):
                entries[(prefix / relative).as_posix()] = path
    return entries


def write_zip(entries: dict[str, Path], destination: Path) -> None:
    """Write a deterministic zip: sorted names, fixed timestamps and modes, fixed compression."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    unzipped = 0
    with zipfile.ZipFile(destination, "w") as archive:
        for name in sorted(entries):
            data = entries[name].read_bytes()
            unzipped += len(data)
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the mode on every host
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, data, compresslevel=9)
    if unzipped > UNZIPPED_LIMIT_BYTES:
        destination.unlink()
        raise PackageError(f"{destination.name}: {unzipped} bytes unzipped exceeds Lambda's 250 MB limit")


def build(
    spec: PackageSpec,
    out_dir: Path,
    *,
    repo_root: Path = REPO_ROOT,
    with_deps: bool = True,
    bytecode_python: str | None = None,
) -> Path:
    """Build one package into ``out_dir`` and return its path.

    With ``bytecode_python`` (an interpreter of the runtime's version), the zip also carries the
    ``__pycache__`` that interpreter compiles for every module, with paths under /var/task.
    """
    with tempfile.TemporaryDirectory(prefix="package-") as scratch:
        deps = Path(scratch) / "deps"
        deps.mkdir()
        if with_deps:
            install_dependencies(repo_root / spec.requirements, deps)
        roots = [(deps, Path())] + [(repo_root / name, Path(name)) for name in spec.packages]
        entries = collect(roots)
        if bytecode_python is not None:
            entries = _with_bytecode(entries, Path(scratch) / "tree", bytecode_python)
        destination = out_dir / spec.zip_name
        write_zip(entries, destination)
    return destination


def _with_bytecode(entries: dict[str, Path], tree: Path, python: str) -> dict[str, Path]:
    """Stage ``entries`` in ``tree``, compile them there, and return the staged files plus bytecode."""
    for name, source in entries.items():
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    command = [
        python, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        "-s", str(tree), "-p", LAMBDA_TASK_ROOT,
        str(tree),
    ]  # fmt: skip
    # A fixed hash seed keeps set/frozenset constants in the same order in every build.
    result = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        command, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    # compileall exits 1 when one file does not compile (a test fixture inside a wheel, say); that
    # is fatal only when nothing was produced at all.
    if result.returncode != 0 and not any(tree.rglob("*.pyc")):
        output = (result.stdout + result.stderr).strip()[-500:]
        raise PackageError(f"bytecode compilation failed: {output}")
    staged: dict[str, Path] = {}
    for path in tree.rglob("*"):
        if path.is_file():
            staged[path.relative_to(tree).as_posix()] = path
    return staged


def find_bytecode_python() -> str | None:
    """An interpreter of the runtime's version: $LAMBDA_BYTECODE_PYTHON, python3.12 on PATH, or pyenv's.

    Each candidate is run once to check its version (a pyenv shim may exist without the version
    being active).
    """
    configured = os.environ.get(ENV_BYTECODE_PYTHON)
    candidates: list[str | None] = [configured] if configured else []
    candidates.append(shutil.which(f"python{LAMBDA_PYTHON}"))
    candidates.extend(
        str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{LAMBDA_PYTHON}*/bin/python3"))
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(  # noqa: S603 - fixed argv
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == LAMBDA_PYTHON:
            return candidate
        if configured and candidate == configured:
            raise PackageError(
                f"${ENV_BYTECODE_PYTHON}={configured} is not a python{LAMBDA_PYTHON} interpreter"
            )
    return None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.package",
        description=(
            "Build the Lambda zips reproducibly (python3.12, x86_64): function.zip and shipper.zip, "
            "each with its code, signals/ and its requirements.txt installed for Lambda."
        ),
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default build/dist)")
    parser.add_argument(
        "--only", choices=[spec.zip_name.removesuffix(".zip") for spec in PACKAGES], help="build one package"
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help=f"leave out __pycache__ (slower cold starts); otherwise python{LAMBDA_PYTHON} "
        f"(or ${ENV_BYTECODE_PYTHON}) compiles every module",
    )
    args = parser.parse_args(argv)
    selected = [spec for spec in PACKAGES if args.only is None or spec.zip_name == f"{args.only}.zip"]
    try:
        bytecode_python = None if args.no_bytecode else find_bytecode_python()
        if not args.no_bytecode and bytecode_python is None:
            raise PackageError(
                f"no python{LAMBDA_PYTHON} to compile bytecode for the Lambda runtime: "
                f"install it, set {ENV_BYTECODE_PYTHON}, or pass --no-bytecode"
            )
        for spec in selected:
            path = build(spec, args.out, bytecode_python=bytecode_python)
            print(f"{sha256(path)}  {path}")
    except PackageError as exc:
        print(f"package: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
