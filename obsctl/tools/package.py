"""Reproducible Lambda packages: ``make package`` writes ``build/dist/{function,shipper}.zip``.

Each zip holds the deployable unit's code, the ``signals`` package, and the dependencies of the
unit's ``requirements.txt`` installed for the Lambda runtime (python3.12, x86_64, binary wheels
only). Entries are sorted, every timestamp is 1980-01-01, permissions are normalized and no
bytecode is included, so two builds of the same commit are byte-identical and the artifact's
SHA-256 identifies the commit's code.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "build" / "dist"

LAMBDA_PYTHON = "3.12"
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


def build(spec: PackageSpec, out_dir: Path, *, repo_root: Path = REPO_ROOT, with_deps: bool = True) -> Path:
    """Build one package into ``out_dir`` and return its path."""
    with tempfile.TemporaryDirectory(prefix="package-") as scratch:
        deps = Path(scratch) / "deps"
        deps.mkdir()
        if with_deps:
            install_dependencies(repo_root / spec.requirements, deps)
        roots = [(deps, Path())] + [(repo_root / name, Path(name)) for name in spec.packages]
        destination = out_dir / spec.zip_name
        write_zip(collect(roots), destination)
    return destination


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m obsctl.tools.package",
        description=(
            "Build the Lambda zips reproducibly (python3.12, x86_64): function.zip and shipper.zip, "
            "each with its code, signals/ and its requirements.txt installed for Lambda."
        ),
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default build/dist)")
    parser.add_argument(
        "--only", choices=[spec.zip_name.removesuffix(".zip") for spec in PACKAGES], help="build one package"
    )
    args = parser.parse_args(argv)
    selected = [spec for spec in PACKAGES if args.only is None or spec.zip_name == f"{args.only}.zip"]
    try:
        for spec in selected:
            path = build(spec, args.out)
            print(f"{sha256(path)}  {path}")
    except PackageError as exc:
        print(f"package: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
