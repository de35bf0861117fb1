"""The boundaries import-linter cannot see: public APIs declared, used from tests, and dashboards' imports.

import-linter (``make lint-py``) checks which package may import which. What it cannot check:
- every public module says what its API is (``__all__``), and that list names things that exist;
- tests use only public names: no ``from x import _y``, no ``module._y`` / ``obj._y`` attribute access,
  no ``monkeypatch.setattr(module, "_y", ...)``; a test that needs a private name is asking for an API;
- the ``*.dashboard.py`` files, which import-linter skips (their names are not importable modules),
  import only ``dashboards``, ``alerts`` and ``signals`` of this repository.
Everything is read with ``ast``; nothing here imports the code under test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = (
    "signals",
    "function",
    "log_pipeline",
    "alerts",
    "dashboards",
    "obsctl",
    "local_platform",
    "tools",
    "bench",
)
DECLARING_PACKAGES = ("signals", "function", "obsctl", "local_platform", "tools")
"""Packages whose every module declares ``__all__`` (alerts, dashboards and log_pipeline: to do)."""

NOT_YET_DECLARING = {
    # Not yet: the fault proxy and the chat receiver (issue 9, item 1).
    "local_platform/faults.py",
    "local_platform/chat.py",
}

# (test file, the private name as written): none left. A new entry needs a one-line reason;
# test_allow_list_has_no_stale_entries makes whoever removes one delete its line here.
PRIVATE_ACCESS_ALLOWED: set[tuple[str, str]] = set()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _python_files(*roots: str) -> list[Path]:
    return sorted(path for root in roots for path in (REPO / root).rglob("*.py"))


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _is_first_party_module(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] not in FIRST_PARTY:
        return False
    base = REPO.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to first-party modules: ``import a.b as m``, ``from a import b``, ``import a``."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FIRST_PARTY:
                    bound = alias.asname or alias.name.split(".")[0]
                    aliases[bound] = alias.name if alias.asname else bound
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if _is_first_party_module(f"{node.module}.{alias.name}"):
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def private_accesses(source: str) -> Iterator[tuple[int, str]]:
    """(line, name) for every private name of another module or object that ``source`` reaches."""
    tree = ast.parse(source)
    aliases = _module_aliases(tree)

    def spelled(node: ast.expr) -> str:
        text = ast.unparse(node)
        head, _, rest = text.partition(".")
        return f"{aliases[head]}.{rest}" if head in aliases and rest else aliases.get(text, text)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in FIRST_PARTY:
                for alias in node.names:
                    if _is_private(alias.name):
                        yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                yield node.lineno, spelled(node)
        elif isinstance(node, ast.Call) and len(node.args) >= 1:
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
            if name not in ("getattr", "setattr", "delattr", "hasattr"):
                continue
            target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                # monkeypatch.setattr("package.module._name", value)
                if any(_is_private(part) for part in target.value.split(".")):
                    yield node.lineno, target.value
            elif len(node.args) >= 2:
                attribute = node.args[1]
                if (
                    isinstance(attribute, ast.Constant)
                    and isinstance(attribute.value, str)
                    and _is_private(attribute.value)
                    and ast.unparse(target) not in ("self", "cls")
                ):
                    yield node.lineno, f"{spelled(target)}.{attribute.value}"


def _all_private_accesses() -> set[tuple[str, int, str]]:
    return {
        (_relative(path), line, name)
        for path in _python_files("tests")
        for line, name in private_accesses(path.read_text(encoding="utf-8"))
    }


def test_tests_use_only_public_names() -> None:
    found = sorted(
        f"{path}:{line}: {name}"
        for path, line, name in _all_private_accesses()
        if (path, name) not in PRIVATE_ACCESS_ALLOWED
    )
    assert not found, "tests reach into private names (make them public API, or test through it):\n" + (
        "\n".join(found)
    )


def test_allow_list_has_no_stale_entries() -> None:
    still_used = {(path, name) for path, _, name in _all_private_accesses()}
    assert sorted(PRIVATE_ACCESS_ALLOWED - still_used) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from function.app import _runtime", ["function.app._runtime"]),
        ("from function import app\napp._runtime = None", ["function.app._runtime"]),
        ("import function.app as a\nx = a._runtime", ["function.app._runtime"]),
        ("import function.app\nx = function.app._runtime", ["function.app._runtime"]),
        ("def t(mp):\n    mp.setattr(app, '_runtime', None)", ["app._runtime"]),
        ("def t(mp):\n    mp.setattr('function.app._runtime', None)", ["function.app._runtime"]),
        ("x = events._emitter._handlers", ["events._emitter._handlers", "events._emitter"]),
        ("x = getattr(client, '_endpoint')", ["client._endpoint"]),
        ("from .support import _helper", []),  # a test's own helper
        ("class A:\n    def f(self):\n        return self._x", []),
        ("from function.app import handler\nx = handler.__wrapped__", []),
    ],
)
def test_private_access_detector(source: str, expected: list[str]) -> None:
    assert sorted(name for _, name in private_accesses(source)) == sorted(expected)


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return None


def _bound_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def _public_modules() -> list[Path]:
    return [
        path
        for path in _python_files(*DECLARING_PACKAGES)
        if path.name not in ("__init__.py", "__main__.py") and _relative(path) not in NOT_YET_DECLARING
    ]


@pytest.mark.parametrize("path", _public_modules(), ids=_relative)
def test_public_module_declares_its_api(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    declared = _declared_all(tree)
    assert declared is not None, f"{_relative(path)} has no __all__"
    missing = sorted(set(declared) - _bound_names(tree))
    assert not missing, f"{_relative(path)}: __all__ names what the module does not define: {missing}"
    assert len(declared) == len(set(declared)), f"{_relative(path)}: __all__ repeats a name"


def test_not_yet_declaring_modules_still_exist() -> None:
    assert sorted(name for name in NOT_YET_DECLARING if not (REPO / name).is_file()) == []


def _first_party_imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, "." * node.level + (node.module or "")


DASHBOARD_MAY_IMPORT = ("dashboards", "alerts", "signals")
DASHBOARD_FILES = sorted((REPO / "dashboards").glob("*.dashboard.py"))


def test_there_are_dashboard_files() -> None:
    assert len(DASHBOARD_FILES) >= 4


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda path: path.name)
def test_dashboard_file_imports_only_dashboards_alerts_signals(path: Path) -> None:
    wrong = [
        f"{_relative(path)}:{line}: {module}"
        for line, module in _first_party_imports(path)
        if module.startswith(".")
        or (
            module.split(".")[0] in FIRST_PARTY
            and module.split(".")[0] not in ("dashboards", "alerts", "signals")
        )
    ]
    assert not wrong, wrong


SIGNAL_ALIASES = {"signals.logs": "fields", "signals.metrics": "M"}
"""One spelling each, everywhere: ``from signals import logs as fields`` / ``metrics as M``."""
# Files allowed another spelling for now: none. test_alias_pending_list_has_no_stale_entries makes
# whoever renames one delete its line here.
ALIAS_PENDING: set[str] = set()


def _signal_alias_misspellings(path: Path) -> list[str]:
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "signals":
            pairs = [(f"signals.{alias.name}", alias.asname or alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            pairs = [(alias.name, alias.asname or alias.name) for alias in node.names]
        else:
            continue
        wrong += [
            f"{_relative(path)}:{node.lineno}: {module} as {bound} (use {SIGNAL_ALIASES[module]})"
            for module, bound in pairs
            if module in SIGNAL_ALIASES and bound != SIGNAL_ALIASES[module]
        ]
    return wrong


def _all_alias_misspellings() -> list[str]:
    return [
        wrong for path in _python_files(*FIRST_PARTY, "tests") for wrong in _signal_alias_misspellings(path)
    ]


def test_signal_modules_are_imported_under_one_alias_each() -> None:
    wrong = [line for line in _all_alias_misspellings() if line.split(":")[0] not in ALIAS_PENDING]
    assert not wrong, wrong


def test_alias_pending_list_has_no_stale_entries() -> None:
    still_wrong = {line.split(":")[0] for line in _all_alias_misspellings()}
    assert sorted(ALIAS_PENDING - still_wrong) == []


def _closure(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    pairs = set(edges)
    while True:
        more = {(a, d) for a, b in pairs for c, d in pairs if b == c} - pairs
        if not more:
            return pairs
        pairs |= more


def test_the_drawn_arrows_say_exactly_what_the_contracts_allow() -> None:
    from tools.architecture import allowed_imports, drawn_imports, load_contracts

    contracts = load_contracts()
    assert _closure(drawn_imports(contracts)) == set(allowed_imports(contracts))
    assert ("function", "signals") in allowed_imports(contracts)
    assert ("alerts", "function") not in allowed_imports(contracts)


def test_a_forbidden_import_reachable_through_allowed_ones_cannot_be_drawn() -> None:
    from tools.architecture import Contracts, drawn_imports

    contracts = Contracts(("a", "b", "c"), (("a",), ("b",), ("c",)), frozenset({("a", "c")}))
    with pytest.raises(ValueError, match="a may not import c"):
        drawn_imports(contracts)
