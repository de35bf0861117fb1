"""What runs with AWS credentials in the deploy job is installed only from hashes.

requirements/deploy.txt is generated (make lock-deploy, a pinned pip-tools) from pyproject.toml and
requirements/constraints.txt. These checks keep it honest offline: every entry pinned exactly as
the constraints pin it and carrying sha256 hashes, every runtime dependency of obsctl present,
and the deploy job installing it with --require-hashes before it obtains credentials.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
LOCK = REPO / "requirements" / "deploy.txt"
CONSTRAINTS = REPO / "requirements" / "constraints.txt"
WORKFLOW = REPO / ".github" / "workflows" / "build.yml"
MAKEFILE = REPO / "Makefile"

_ENTRY = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_entries() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes), from the pip-compile output."""
    text = LOCK.read_text(encoding="utf-8")
    entries: dict[str, tuple[str, list[str]]] = {}
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)
    for block in blocks:
        match = _ENTRY.match(block)
        if match:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]+)", block)
            entries[_normal(match.group(1))] = (match.group(2), hashes)
    return entries


def _constraints() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line.strip())
        if match:
            pins[_normal(match.group(1))] = match.group(2)
    return pins


def test_every_entry_is_pinned_as_the_constraints_pin_it_and_hashed() -> None:
    entries = _lock_entries()
    pins = _constraints()
    assert len(entries) > 10
    wrong = {
        name: (version, pins.get(name)) for name, (version, _) in entries.items() if pins.get(name) != version
    }
    unhashed = [
        name for name, (_, hashes) in entries.items() if not hashes or any(len(h) != 64 for h in hashes)
    ]
    assert wrong == {}, "regenerate with make lock-deploy"
    assert unhashed == []


def test_every_runtime_dependency_of_obsctl_is_locked() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {
        _normal(re.split(r"[\s<>=!~;\[]", dependency, maxsplit=1)[0])
        for dependency in project["dependencies"]
    }
    assert names - set(_lock_entries()) == set()


def test_the_deploy_job_installs_from_hashes_before_it_has_credentials() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["deploy"]["steps"]
    names = [str(step.get("run", "")) + str(step.get("uses", "")) for step in steps]
    install = next(i for i, text in enumerate(names) if "make setup-deploy" in text)
    credentials = next(i for i, text in enumerate(names) if "configure-aws-credentials" in text)
    assert install < credentials
    after = names[credentials:]
    # nothing after the credentials uses the unhashed development venv
    assert [text for text in after if ".venv/bin/" in text] == []
    assert any(".venv-deploy/bin/python -m obsctl" in text for text in after)
    recipe = MAKEFILE.read_text(encoding="utf-8")
    assert re.search(
        r"\$\(DEPLOY_VENV\)/bin/python -m pip install "
        r".*--require-hashes --no-deps -r requirements/deploy.txt",
        recipe,
    )
