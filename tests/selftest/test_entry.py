"""`grade` on a platform where student code cannot run: one line, exit 2, no traceback."""

import sys

import pytest

from grader import entry


@pytest.mark.parametrize("platform", ["win32", "cygwin", "emscripten"])
def test_unsupported_platform_gets_one_line_and_exit_2(monkeypatch, capsys, platform):
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "WSL" in err and platform in err
    assert "Traceback" not in err


def test_supported_platform_runs_the_command_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "argv", ["grade", "--version"])
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip()
