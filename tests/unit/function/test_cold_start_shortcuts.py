"""The paused collector keeps behaviour, and it freezes the heap only inside the Lambda runtime.

(The other cold-start shortcut, the S3-only botocore bundle, is tested in test_s3_model.py.)
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from signals import lambda_env

from .support import list_event

REPO_ROOT = Path(__file__).resolve().parents[3]
_PROBE = (
    "import gc, json, sys; before = gc.get_freeze_count(); import function.app; "
    "print(json.dumps({'before': before, 'after': gc.get_freeze_count(), 'enabled': gc.isenabled()}))"
)


def _import_app_in_fresh_process(extra_env: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_LAMBDA_")}
    env.update(extra_env)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_handler_on_a_test_host_freezes_nothing() -> None:
    # Given a process that is not the Lambda runtime (pytest, the local gateway, a bench parent)
    # When it imports the handler module
    result = _import_app_in_fresh_process({"AWS_LAMBDA_FUNCTION_NAME": "objects-api"})
    # Then none of its objects are moved to the permanent generation, and the collector is on
    assert result == {"before": 0, "after": 0, "enabled": True}


def test_importing_the_handler_in_the_lambda_runtime_freezes_what_start_up_made() -> None:
    result = _import_app_in_fresh_process(
        {"AWS_LAMBDA_FUNCTION_NAME": "objects-api", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
    )
    assert result["before"] == 0 and result["after"] > 10_000 and result["enabled"] is True


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"AWS_LAMBDA_FUNCTION_NAME": "f", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, True),
        ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, False),
        ({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, False),
        ({"AWS_LAMBDA_FUNCTION_NAME": " ", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, False),
        ({}, False),
    ],
)
def test_in_lambda_runtime_needs_both_reserved_variables(environ: dict[str, str], expected: bool) -> None:
    assert lambda_env.in_lambda_runtime(environ) is expected


def _paused_then_failing() -> None:
    with lambda_env.gc_paused():
        assert not gc.isenabled()
        with lambda_env.gc_paused():  # nested: leaving the inner block must not switch it back on
            pass
        assert not gc.isenabled()
        raise RuntimeError("boom")


def test_gc_paused_restores_the_collector_state_even_when_nested_or_failing() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"):
        _paused_then_failing()
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with lambda_env.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_runtime_creation_on_a_test_host_leaves_the_collector_on_and_unfrozen(
    s3: Any, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from function import app

    frozen = gc.get_freeze_count()
    response, _ = invoke(list_event())
    assert response["statusCode"] == 200 and gc.isenabled()
    app.reset_runtime()
    monkeypatch.delenv("BUCKET_NAME")
    with pytest.raises(Exception, match="BUCKET_NAME"):
        invoke(list_event())
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
