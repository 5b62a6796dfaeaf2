"""`grade gradescope`: the autograder zip, run against a fake `/autograder` in a temp dir.

The layout is Gradescope's: the zip extracted in `ROOT/source`, `run_autograder` copied
to `ROOT`, the student's files in `ROOT/submission`; the run writes
`ROOT/results/results.json`, checked against Gradescope's documented fields.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import FIXTURES, ROOT
from test_release import fresh_venv  # GRADE_ISOLATION: see there
from tiny_course import PERFECT, add_second_exercise, make_course

from grader.course import Course
from grader.gradescope import results_json, validate_results

FAKE = FIXTURES / "fake_course"


def build(tmp_path: Path, course: Path = FAKE) -> Path:
    out = tmp_path / "autograder.zip"
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "gradescope", str(out), "--course", str(course)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


def fake_autograder(tmp_path: Path, zip_path: Path, submission: list[Path]) -> Path:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):  # zipfile does not restore modes
        (root / "source" / name).chmod(0o755)
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for path in submission:
        shutil.copyfile(path, root / "submission" / path.name)
    return root


def run(root: Path, python: str = sys.executable, **env) -> tuple[int, dict, str]:
    completed = subprocess.run(
        [str(root / "run_autograder"), str(root)],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "GRADE_PYTHON": python, **env},
    )
    results = json.loads((root / "results" / "results.json").read_text())
    return completed.returncode, results, completed.stdout


def visible_text(results: dict) -> str:
    """Everything a student sees before grades are published."""
    shown = [results.get("output", "")]
    if results.get("stdout_visibility") == "visible":
        shown.append("<stdout>")
    for test in results["tests"]:
        if test.get("visibility", results.get("visibility", "visible")) == "visible":
            shown += [test.get("name", ""), test.get("output", "")]
    return "\n".join(shown)


def test_zip_has_the_scripts_the_course_and_the_hidden_tests(tmp_path):
    with zipfile.ZipFile(build(tmp_path)) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "grader/__init__.py",
        "course/tests/exercises/echo/hidden/test_hidden.py",
        "course/solutions/echo.py",
    } <= names
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert not any("__pycache__" in name for name in names)


def test_full_marks_and_valid_results(tmp_path):
    root = fake_autograder(tmp_path, build(tmp_path), [FAKE / "solutions" / "echo.py"])
    code, results, stdout = run(root)
    assert code == 0 and validate_results(results) == []
    assert results["score"] == 20 and sum(t["score"] for t in results["tests"]) == 20
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility["echo: test_add"] == "visible"
    assert visibility["echo: test_square (hidden)"] == "after_published"
    assert results["stdout_visibility"] == "hidden"
    assert "Public tests: 5 / 5" in results["output"]
    assert "Total: 20 / 20" in stdout  # the instructor's summary


def test_hidden_messages_never_reach_a_visible_field(tmp_path):
    stack_reader = FIXTURES / "hostile" / "stack_reader" / "echo.py"
    root = fake_autograder(tmp_path, build(tmp_path), [stack_reader])
    code, results, stdout = run(root)
    assert code == 0 and validate_results(results) == []
    hidden = [t for t in results["tests"] if t["visibility"] != "visible"]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    assert "square is wrong on a hidden number" in [t["output"] for t in hidden]
    shown = visible_text(results)
    for test in hidden:
        assert test["output"] not in shown and test["name"] not in shown
    assert results["score"] == 0


def test_results_json_hides_grader_errors_from_students():
    result = {
        "score": 0.0,
        "status": "grader_error",
        "warnings": [],
        "message": "pytest exit 3: tests/exercises/echo/hidden/test_hidden.py expected 42",
        "exercises": {
            "echo": {
                "tests": [
                    {
                        "name": "test_square",
                        "outcome": "failed",
                        "points": 0.0,
                        "max_points": 5.0,
                        "message": "secret detail",
                        "visibility": "hidden",
                    }
                ]
            }
        },
    }
    results = results_json(result, 3)
    assert validate_results(results) == []
    assert "expected 42" not in visible_text(results)
    assert "secret detail" not in visible_text(results)
    assert "failed on its side" in results["output"]


def test_notebooks_and_bad_submissions_are_graded(tmp_path):
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("my work"),
            nbformat.v4.new_code_cell("import numpy as np"),
            nbformat.v4.new_code_cell("# exercise: echo\ndef add(a, b):\n    return a + b"),
            nbformat.v4.new_code_cell(
                "# exercise: echo\ndef scale(x, k):\n    return np.asarray(x) * k"
            ),
            nbformat.v4.new_code_cell("# exercise: echo\ndef square(n):\n    return n * n"),
            nbformat.v4.new_code_cell("!grade --submission echo.ipynb echo --public-only"),
        ]
    )
    nbformat.write(notebook, tmp_path / "echo.ipynb")
    (tmp_path / "broken.ipynb").write_text("{not json")
    zip_path = build(tmp_path)
    root = fake_autograder(
        tmp_path / "nb", zip_path, [tmp_path / "echo.ipynb", tmp_path / "broken.ipynb"]
    )
    code, results, _ = run(root)
    assert code == 0 and validate_results(results) == [] and results["score"] == 20
    assert "ignored broken.ipynb" in results["output"]

    (tmp_path / "junk.zip").write_text("not a zip")
    root = fake_autograder(tmp_path / "bad", zip_path, [tmp_path / "junk.zip"])
    code, results, _ = run(root)
    assert code == 0 and validate_results(results) == [] and results["score"] == 0
    assert "cannot be graded" in results["output"]


def test_validator_rejects_what_gradescope_would():
    assert validate_results({"tests": [{"name": "x"}]})  # no score anywhere
    assert validate_results({"score": 1, "visibility": "sometimes", "tests": []})
    assert validate_results({"score": 1, "tests": [{"score": "1", "status": "ok"}]})
    assert validate_results({"score": 1, "tests": [], "bogus": 1})


@pytest.mark.slow
def test_setup_and_run_on_the_real_course(tmp_path):
    """setup.sh installs the zip's grader into ROOT/venv; the reference gets full marks."""
    zip_path = build(tmp_path, ROOT)
    course = Course(ROOT)
    solutions = [course.solutions_dir / f"{name}.py" for name in course.exercises()]
    root = fake_autograder(tmp_path, zip_path, solutions)
    fresh_venv(root / "venv")  # TensorFlow from this venv: no network here
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh"), str(root)],
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **os.environ,
            "GRADE_PYTHON": sys.executable,
            "GRADE_PIP_OPTIONS": "--no-deps --no-build-isolation -q",
        },
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    code, results, stdout = run(
        root, python=str(root / "venv" / "bin" / "python"), GRADE_ISOLATION="off"
    )
    assert code == 0 and validate_results(results) == [], stdout
    assert [t["name"] for t in results["tests"] if t["status"] != "passed"] == [], stdout
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 20 * len(solutions)


def test_an_assignment_grades_only_its_exercises_out_of_its_points(tmp_path):
    """`grade gradescope --assignment`: no row of another exercise, the weighted total."""
    course = add_second_exercise(make_course(tmp_path / "course"))
    (course.root / "assignments").mkdir()
    (course.root / "assignments" / "negation.toml").write_text("[exercises]\nnegate = 2\n")
    out = tmp_path / "autograder.zip"
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "gradescope", str(out), "--course", str(course.root),
         "--assignment", "negation"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with zipfile.ZipFile(out) as archive:
        assert not any("adder" in name for name in archive.namelist())
    (tmp_path / "adder.py").write_text(PERFECT)
    (tmp_path / "negate.py").write_text("def negate(x):\n    return -x\n")
    root = fake_autograder(tmp_path, out, [tmp_path / "adder.py", tmp_path / "negate.py"])
    code, results, _ = run(root)
    assert code == 0 and validate_results(results) == []
    assert [t["name"] for t in results["tests"]] == ["negate: test_negate"]
    assert results["score"] == 40 and results["tests"][0]["max_score"] == 40
