"""make package: deterministic Lambda zips (tools.package)."""

from __future__ import annotations

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from tools.package import PACKAGES, PackageError, PackageSpec, build, sha256

SPEC = PackageSpec("unit.zip", ("unit", "signals"), "unit/requirements.txt")


def _layout(root: Path, requirements: str = "# no runtime dependencies\n") -> Path:
    (root / "unit" / "__pycache__").mkdir(parents=True)
    (root / "unit" / "__init__.py").write_text("")
    (root / "unit" / "handler.py").write_text("def lambda_handler(event, context):\n    return {}\n")
    (root / "unit" / "__pycache__" / "handler.cpython-312.pyc").write_bytes(b"\x00bytecode")
    (root / "unit" / "requirements.txt").write_text(requirements)
    (root / "signals").mkdir()
    (root / "signals" / "__init__.py").write_text('"""names"""\n')
    return root


def _tiny_wheel(directory: Path) -> Path:
    """A pure-Python wheel built by hand, so the dependency path runs without an index."""
    files = {
        "tinydep/__init__.py": b"VALUE = 42\n",
        "tinydep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
        "tinydep-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tinydep-1.0.dist-info/RECORD,,")
    path = directory / "tinydep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr("tinydep-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = _layout(tmp_path / "repo")
    first = build(SPEC, tmp_path / "a", repo_root=root)
    # Touch every source file: mtimes must not leak into the archive
    for path in root.rglob("*.py"):
        path.write_text(path.read_text())
    second = build(SPEC, tmp_path / "b", repo_root=root)
    assert first.read_bytes() == second.read_bytes()
    assert sha256(first) == sha256(second)


def test_entries_are_sorted_fixed_and_free_of_bytecode(tmp_path: Path) -> None:
    built = build(SPEC, tmp_path / "out", repo_root=_layout(tmp_path / "repo"))
    with zipfile.ZipFile(built) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert names == ["signals/__init__.py", "unit/__init__.py", "unit/handler.py", "unit/requirements.txt"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}


def test_dependencies_are_installed_into_the_zip_root(tmp_path: Path) -> None:
    wheel = _tiny_wheel(tmp_path)
    root = _layout(tmp_path / "repo", requirements=f"tinydep @ {wheel.as_uri()}\n")
    first = build(SPEC, tmp_path / "a", repo_root=root)
    second = build(SPEC, tmp_path / "b", repo_root=root)
    with zipfile.ZipFile(first) as archive:
        assert archive.read("tinydep/__init__.py") == b"VALUE = 42\n"
        assert not [n for n in archive.namelist() if n.endswith(".pyc")]
    assert first.read_bytes() == second.read_bytes()


def test_missing_requirements_is_a_clear_error(tmp_path: Path) -> None:
    root = _layout(tmp_path / "repo")
    (root / "unit" / "requirements.txt").unlink()
    with pytest.raises(PackageError, match=r"requirements\.txt not found"):
        build(SPEC, tmp_path / "out", repo_root=root)


def test_a_failing_install_is_reported(tmp_path: Path) -> None:
    root = _layout(tmp_path / "repo", requirements=f"nothere @ {(tmp_path / 'missing.whl').as_uri()}\n")
    with pytest.raises(PackageError, match="pip install"):
        build(SPEC, tmp_path / "out", repo_root=root)


def test_the_real_packages_are_the_three_lambdas() -> None:
    assert {(s.zip_name, s.packages) for s in PACKAGES} == {
        ("function.zip", ("function", "signals")),
        ("shipper.zip", ("log_pipeline", "signals")),
        ("notifier.zip", ("notifier", "signals")),
    }


def test_bytecode_is_compiled_reproducibly_with_task_root_paths(tmp_path: Path) -> None:
    # Given a source tree with a stale .pyc of its own, and an interpreter to compile with
    # (the test's own; make package uses python3.12, the runtime's version)
    root = _layout(tmp_path / "repo")
    # When the package is built twice with bytecode
    first = build(SPEC, tmp_path / "a", repo_root=root, bytecode_python=sys.executable)
    second = build(SPEC, tmp_path / "b", repo_root=root, bytecode_python=sys.executable)
    # Then the builds are identical, the stale .pyc is gone, and every module has fresh bytecode
    assert first.read_bytes() == second.read_bytes()
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(first) as archive:
        names = set(archive.namelist())
        compiled = archive.read(f"unit/__pycache__/handler.{tag}.pyc")
    assert "unit/__pycache__/handler.cpython-312.pyc" not in names or tag == "cpython-312"
    assert {f"unit/__pycache__/__init__.{tag}.pyc", f"signals/__pycache__/__init__.{tag}.pyc"} <= names
    assert compiled != b"\x00bytecode"
    # unchecked-hash pyc: flags word = 0b01 (hash-based, not checked), no source mtime inside
    assert int.from_bytes(compiled[4:8], "little") == 1
    assert b"/var/task/unit/handler.py" in compiled


def test_missing_runtime_interpreter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.package import ENV_BYTECODE_PYTHON, find_bytecode_python

    monkeypatch.setenv(ENV_BYTECODE_PYTHON, "/bin/true")
    with pytest.raises(PackageError, match=r"is not a python3\.12 interpreter"):
        find_bytecode_python()
