"""The `grade` command: exit codes, the JSON schema, messages, bad input (fake course)."""

import json
import subprocess
import sys
import zipfile

import pytest
from conftest import FIXTURES

FAKE = FIXTURES / "fake_course"
TEST_KEYS = {"name", "outcome", "points", "max_points", "message", "duration_s", "visibility"}


def grade(*args, cwd=FAKE):
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def grade_json(*args, cwd=FAKE) -> tuple[int, dict]:
    completed = grade(*args, "--json", "--seed", "5", cwd=cwd)
    return completed.returncode, json.loads(completed.stdout)


def test_full_marks_exit_0_and_schema():
    code, result = grade_json("--submission", "solutions")
    assert code == 0
    assert {"submission", "score", "max_score", "status", "seed", "exercises"} <= set(result)
    assert result["score"] == result["max_score"] == 20 and result["seed"] == 5
    for test in result["exercises"]["echo"]["tests"]:
        assert TEST_KEYS <= set(test)
        assert test["outcome"] in {"passed", "failed", "error", "timeout", "not_started"}


def test_points_lost_exit_1_with_reasons():
    code, result = grade_json("--submission", str(FIXTURES / "hostile" / "stack_reader"))
    assert code == 1 and result["score"] == 0
    messages = [t["message"] for t in result["exercises"]["echo"]["tests"]]
    assert all(messages)
    public = next(t for t in result["exercises"]["echo"]["tests"] if t["name"] == "test_add")
    assert "should be 5" in public["message"]  # a public test says what was expected


def test_hidden_messages_never_show_expected_values():
    code, result = grade_json("--submission", str(FIXTURES / "hostile" / "stack_reader"))
    square = next(t for t in result["exercises"]["echo"]["tests"] if t["name"] == "test_square")
    assert square["message"] == "square is wrong on a hidden number"


def test_default_submission_is_exercises_folder():
    code, result = grade_json()
    assert code == 1 and result["score"] == 0
    assert "NotImplementedError" in result["exercises"]["echo"]["tests"][0]["message"]


def test_public_only_says_what_hidden_tests_hold():
    completed = grade("--submission", "solutions", "--public-only", "--seed", "1")
    assert completed.returncode == 0
    assert "15 more points are in hidden tests" in completed.stdout


def test_missing_module_is_a_zero_with_a_reason(tmp_path):
    (tmp_path / "other.py").write_text("x = 1\n")
    code, result = grade_json("--submission", str(tmp_path))
    assert code == 1 and result["score"] == 0
    assert "has no module echo.py" in result["exercises"]["echo"]["tests"][0]["message"]


def test_syntax_error_is_a_zero_with_a_reason(tmp_path):
    (tmp_path / "echo.py").write_text("def add(a, b)\n    return a + b\n")
    code, result = grade_json("--submission", str(tmp_path))
    assert code == 1 and "SyntaxError" in result["exercises"]["echo"]["tests"][0]["message"]


@pytest.mark.parametrize("bad", ["not a zip", "slip"])
def test_bad_zip_is_a_graded_zero(tmp_path, bad):
    path = tmp_path / "sub.zip"
    if bad == "slip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("../../evil.py", "x = 1")
    else:
        path.write_text(bad)
    code, result = grade_json("--submission", str(path))
    assert code == 1 and result["status"] == "invalid_submission" and result["score"] == 0
    assert result["message"]


def test_zip_of_a_folder_is_graded(tmp_path):
    path = tmp_path / "alice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(FAKE / "solutions" / "echo.py", "alice/exercises/echo.py")
    code, result = grade_json("--submission", str(path))
    assert code == 0 and result["submission"] == "alice"


def test_notebook_submission(tmp_path):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import numpy as np\n%matplotlib inline\n!pip install x"),
        nbformat.v4.new_code_cell("# exercise: echo\ndef add(a, b):\n    return a + b"),
        nbformat.v4.new_code_cell(
            "# exercise: echo\ndef scale(x, k):\n    return np.asarray(x) * k"
        ),
        nbformat.v4.new_code_cell("# exercise: echo\ndef square(n):\n    return n * n"),
    ]
    path = tmp_path / "bob.ipynb"
    nbformat.write(notebook, path)
    code, result = grade_json("--submission", str(path))
    assert code == 0 and result["score"] == 20


def test_usage_errors_exit_2(tmp_path):
    assert grade("nonexistent_exercise").returncode == 2
    assert grade("--submission", str(tmp_path / "missing")).returncode == 2
    assert grade("--seed", "1", cwd=tmp_path).returncode == 2  # no course here


def test_shadowing_module_is_refused(tmp_path):
    (tmp_path / "echo.py").write_text((FAKE / "solutions" / "echo.py").read_text())
    (tmp_path / "json.py").write_text("raise SystemExit('shadowed')\n")
    code, result = grade_json("--submission", str(tmp_path))
    assert code == 0
    assert any("json.py" in warning for warning in result["warnings"])


def test_list_names_every_test_with_its_points():
    completed = grade("list", "--course", str(FAKE))
    assert completed.returncode == 0, completed.stderr
    for name in ("test_add ", "test_add_many (hidden)", "test_scale (hidden)", "test_square"):
        assert name.strip() in completed.stdout, completed.stdout
    assert "echo: 20 points in the tests here" in completed.stdout
