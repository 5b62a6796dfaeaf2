"""Where a failed test points in the submission: a module file and a line.

Read on the trusted side from what it already holds: the traceback text a worker sent
back (its innermost frame inside the submission folder), or else the definition of the
last submitted function the test called, found by parsing the module's text with
``ast`` (never importing it). ``grader.submission`` turns the place into the name the
student knows (``exercises/NAME.py:67``, ``NAME.ipynb, cell 5, line 3``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TypedDict

# A frame line of a Python traceback, as traceback.format_list and SyntaxError write it.
FRAME_LINE = re.compile(r'File "(?P<file>[^"\n]+)", line (?P<line>\d+)')
MAX_SOURCE_BYTES = 2_000_000  # a module larger than this is not parsed for a line


class Location(TypedDict):
    """A place in the submission folder as graded."""

    file: str  # the module's path relative to the submission folder, e.g. "NAME.py"
    line: int  # 1-based line in that file


def innermost_frame(traceback_text: str, folder: Path) -> Location | None:
    """The last frame of ``traceback_text`` inside ``folder`` (the student's own code)."""
    prefix = str(folder).rstrip("/") + "/"
    frames = [
        Location(file=match["file"][len(prefix) :], line=int(match["line"]))
        for match in FRAME_LINE.finditer(traceback_text)
        if match["file"].startswith(prefix)
    ]
    return frames[-1] if frames else None


def definition(folder: Path, module: str, name: str) -> Location | None:
    """Where ``module.name`` is defined at top level in ``folder``, if it can be read."""
    path = folder / f"{module}.py"
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        defines = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        if isinstance(node, defines) and node.name == name:
            return Location(file=path.name, line=node.lineno)
    return None
