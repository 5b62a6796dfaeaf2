"""Every exercise is complete: the files its manifest promises, and proofs for its tests.

See ``completeness.problems`` for the list. A sixth exercise that lacks a piece fails
here with a message that names the piece (``test_an_incomplete_exercise_is_named``).
"""

import shutil
import subprocess

import pytest
from completeness import problems
from conftest import ROOT

from grader.course import Course


@pytest.mark.parametrize("name", Course(ROOT).exercises())
def test_every_exercise_is_complete(course, name):
    missing = problems(course, name)
    assert not missing, f"the exercise {name} is incomplete:\n- " + "\n- ".join(missing)


def test_no_exercise_name_in_the_grader_outside_worker_helpers(course):
    found = []
    for name in course.exercises():
        grep = subprocess.run(
            ["git", "grep", "-n", "-w", name, "--", "grader/", ":!grader/worker/helpers/"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        found += grep.stdout.splitlines()
    assert not found, "the grader names exercises (a course is data):\n" + "\n".join(found)


def test_an_incomplete_exercise_is_named(tmp_path):
    """A new exercise, begun but not finished: every missing piece is said."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests" / "exercises", root / "tests" / "exercises")
    shutil.copytree(ROOT / "solutions", root / "solutions")
    shutil.copytree(ROOT / "exercises", root / "exercises")
    folder = root / "tests" / "exercises" / "quiz"
    (folder / "hidden").mkdir(parents=True)
    (folder / "exercise.toml").write_text(
        'title = "a quiz"\norder = 9\npoints = 20\n'
        'calibration = ""\n[returns]\npadding_mask = "array"\n'
    )
    (folder / "test_public.py").write_text(
        "import pytest\n\n\n@pytest.mark.points(5)\ndef test_shapes(student):\n    pass\n"
    )
    (folder / "hidden" / "test_hidden.py").write_text(
        "import pytest\n\nACCURACY_THRESHOLD = 0.9\n\n\n"
        "@pytest.mark.points(10)\ndef test_masks(student):\n    pass\n"
    )
    said = problems(Course(root), "quiz")
    assert said == [
        "missing exercises/quiz.py (the stub students fill in)",
        "missing solutions/quiz.py (the reference solution)",
        "missing tests/exercises/quiz/__init__.py (the package marker of its tests)",
        "missing tests/exercises/quiz/hidden/__init__.py (the package marker of its hidden tests)",
        "its tests are worth 15 points, its manifest says 20 (public 5, hidden 10)",
        "hidden tests that no wrong fixture (tests/exercises/quiz/wrong/*.patch) proves "
        "able to fail: ['test_masks']",
        "its hidden tests have thresholds ['ACCURACY_THRESHOLD'] but no script "
        "tests/exercises/quiz/calibrate.py calibrates them",
        "its hidden tests have thresholds ['ACCURACY_THRESHOLD'] but its manifest names no "
        "calibration page",
    ]
