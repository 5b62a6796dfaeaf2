"""What a student reads: 80 columns, their own file and line, no grader paths, stubs as
"not started", -x (the fake course, and one real wrong fixture)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from conftest import FIXTURES, ROOT
from fixture_patches import materialise, wrong_fixtures
from hypothesis import given
from hypothesis import strategies as st

from grader.locations import definition, innermost_frame
from grader.plugin import last_frames
from grader.submission import PreparedSubmission, assemble

FAKE = FIXTURES / "fake_course"
WIDTH = 80
RAISES_INSIDE = """
def helper(a):
    return a / 0


def add(a, b):
    return helper(a) + b


def scale(x, k):
    return x * k + 1


def square(n):
    return n * n
"""


def grade(*args: str, cwd: Path, course: Path = FAKE) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(WIDTH), "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-m", "grader", "--course", str(course), *args, "--seed", "3"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def assert_readable(stdout: str) -> None:
    assert stdout.strip()
    for line in stdout.splitlines():
        assert len(line) <= WIDTH, line
    assert "/tmp/" not in stdout and "grade-" not in stdout
    assert "Use -v" not in stdout


def test_stubs_read_as_not_started(tmp_path):
    completed = grade("--submission", str(FAKE / "exercises"), "--public-only", cwd=tmp_path)
    assert_readable(completed.stdout)
    assert "not started" in completed.stdout
    assert "Traceback" not in completed.stdout and "File " not in completed.stdout


def test_an_error_points_at_the_students_own_line(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "echo.py").write_text(RAISES_INSIDE)
    completed = grade("--submission", "mine", "--public-only", cwd=tmp_path)
    assert_readable(completed.stdout)
    assert "at mine/echo.py:3" in completed.stdout  # helper's line, not add's
    assert 'File "mine/echo.py", line 3, in helper' in completed.stdout
    result = json.loads(grade("--submission", "mine", "--json", cwd=tmp_path).stdout)
    tests = {t["name"]: t for t in result["exercises"]["echo"]["tests"]}
    assert tests["test_add"]["location"] == "mine/echo.py:3"
    assert tests["test_scale"]["location"] == ""  # hidden tests point nowhere


def test_a_wrong_value_points_at_the_function_checked(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "echo.py").write_text("\n\ndef add(a, b):\n    return a - b\n")
    result = json.loads(grade("--submission", "mine", "--json", cwd=tmp_path).stdout)
    add = next(t for t in result["exercises"]["echo"]["tests"] if t["name"] == "test_add")
    assert add["outcome"] == "failed" and add["location"] == "mine/echo.py:3"


def test_a_notebook_error_names_the_cell(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# echo"),
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_code_cell("# exercise: echo\ndef add(a, b):\n    return a / 0"),
    ]
    nbformat.write(notebook, tmp_path / "echo.ipynb")
    result = json.loads(grade("--submission", "echo.ipynb", "--json", cwd=tmp_path).stdout)
    add = next(t for t in result["exercises"]["echo"]["tests"] if t["name"] == "test_add")
    assert add["location"] == "echo.ipynb, cell 3, line 3"
    assert "echo.ipynb, cell 3, line 3, in add" in add["message"]


def test_exitfirst_stops_at_the_first_failure(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "echo.py").write_text(RAISES_INSIDE)
    completed = grade("--submission", "mine", "-x", cwd=tmp_path)
    assert "Stopped at the first failure (-x): 3 tests not run" in completed.stdout
    assert "test_scale" not in completed.stdout


def test_a_wrong_fixture_of_the_course_reads_in_80_columns(tmp_path):
    fixture = next(f for f in wrong_fixtures() if f.path.stem == "no_id_shift")
    materialise(fixture, tmp_path / "exercises")
    completed = grade("reber", "--public-only", "-k", "string_to_ids", cwd=tmp_path, course=ROOT)
    assert_readable(completed.stdout)
    assert "at exercises/reber.py:74" in completed.stdout


# -- the pieces ---------------------------------------------------------------------------
@given(st.lists(st.lists(st.text("ab ", max_size=5), min_size=1, max_size=4), min_size=1))
def test_assembled_lines_map_back_to_their_piece(cells):
    pieces = [(f"cell {i}", "\n".join(lines)) for i, lines in enumerate(cells)]
    source, starts = assemble(pieces)
    prepared = PreparedSubmission(Path("/x"), pieces={"m.py": starts})
    module_lines = source.split("\n")
    for number, lines in enumerate(cells):
        for offset, text in enumerate(lines):
            line = starts[number][0] + offset
            assert module_lines[line - 1] == text
            where = prepared.describe({"file": "m.py", "line": line})
            assert where == f"cell {number}, line {offset + 1}"


def test_paths_of_the_copy_are_rewritten():
    prepared = PreparedSubmission(Path("/tmp/grade-1/submission"), shown_as="exercises")
    text = 'File "/tmp/grade-1/submission/reber.py", line 4, in f\n/tmp/grade-1/submission/x'
    assert prepared.rewrite_paths(text) == 'File "exercises/reber.py", line 4, in f\nexercises/x'


def test_innermost_frame_and_definition(tmp_path):
    trace = (
        f'  File "{tmp_path}/m.py", line 7, in f\n'
        '  File "/usr/lib/keras/x.py", line 99, in call\n'
        f'  File "{tmp_path}/m.py", line 2, in g\nValueError: no'
    )
    assert innermost_frame(trace, tmp_path) == {"file": "m.py", "line": 2}
    assert innermost_frame(trace, tmp_path / "other") is None
    (tmp_path / "m.py").write_text("import os\n\n\nclass A:\n    pass\n\n\ndef f():\n    pass\n")
    assert definition(tmp_path, "m", "f") == {"file": "m.py", "line": 8}
    assert definition(tmp_path, "m", "A") == {"file": "m.py", "line": 4}
    (tmp_path / "bad.py").write_text("def (:\n")
    assert definition(tmp_path, "bad", "f") is None and definition(tmp_path, "no", "f") is None


def test_last_frames_start_on_a_frame_and_drop_the_exception_line():
    trace = "".join(f'  File "m.py", line {i}, in f\n    x = {i}\n' for i in range(9))
    shown = last_frames(trace + "ValueError: no\n")
    assert shown.splitlines()[0].startswith("  File ") and "ValueError" not in shown
    assert len(shown.splitlines()) <= 8 and "line 8" in shown
