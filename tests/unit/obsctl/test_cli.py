"""The CLI's surface: every command is listed and explains itself; user errors exit 2 with one line."""

from __future__ import annotations

import pytest

from obsctl.cli import COMMAND_MODULES, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMAND_MODULES:
        assert name in out
    assert "(not implemented yet)" not in out


@pytest.mark.parametrize("command", COMMAND_MODULES)
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) > 3


def test_call_rejects_a_path_without_slash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "GET", "objects"]) == 2
    assert capsys.readouterr().err.strip() == "obsctl: error: path must start with '/': 'objects'"


def test_call_to_a_closed_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "GET", "/objects", "--endpoint", "http://127.0.0.1:9"]) == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_local_command_without_the_local_extra_says_what_to_install(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given `pip install .` without [local]: moto is not importable (the stack must not start at all)
    import importlib.util

    import local_platform.stack

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real_find_spec(name, *a)
    )
    monkeypatch.setattr(local_platform.stack, "start_stack", lambda *_: pytest.fail("the stack started"))
    # When the command runs, Then it fails with exit 2 and names the extra
    assert main([command]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"obsctl: error: obsctl {command} needs the local platform's extra (missing: moto): "
        "pip install 'obs-platform[local]' (from a checkout: make setup-local)"
    )
