"""The `grade` executable: one clear line, not a traceback, where student code cannot run.

The sandbox needs POSIX (process groups, resource limits, file locks), so on native
Windows the modules behind the command line do not even import. This module checks the
platform first and imports the command line only where it can work.
"""

from __future__ import annotations

import sys

SUPPORTED_PLATFORMS = ("linux", "darwin")  # sys.platform prefixes
UNSUPPORTED_MESSAGE = (
    "grade: student code runs only on Linux, macOS or WSL; on Windows, install and run "
    "grade inside WSL (Windows Subsystem for Linux)"
)
EXIT_ERROR = 2  # as grader.cli: a usage or infrastructure error


def main() -> None:
    """Refuse an unsupported platform with exit code 2, else run the command line."""
    if not sys.platform.startswith(SUPPORTED_PLATFORMS):
        print(f"{UNSUPPORTED_MESSAGE} (this is {sys.platform})", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)
    # Imported here, after the check: on Windows it would fail at import (fcntl, pwd).
    from grader.cli import main as command_line

    command_line()
