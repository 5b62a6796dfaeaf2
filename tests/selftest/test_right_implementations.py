"""Correct alternatives get full marks: the tests check the contract, not the reference's choices.

``tests/exercises/<exercise>/right/<variant>/`` holds a submission that differs from the
reference where the contract leaves a choice open (e.g. beam_search's finished
hypotheses may leave the beam or keep competing for a slot). Each must score 20/20.
Right fixtures stay whole files: they are meant to differ from the reference. A variant
of an exercise that trains a model (its manifest has ``[budgets]``) runs only with
``-m slow``: each trains for 20-45 s, which the default run cannot afford.
"""

import pytest
from conftest import ROOT

from grader.course import Course
from grader.grading import GradeOptions, grade_submission

VARIANTS = sorted((ROOT / "tests" / "exercises").glob("*/right/*/"))


def trains(folder) -> bool:
    """Whether the variant's exercise trains a model (its manifest has ``[budgets]``)."""
    return bool(Course(ROOT).manifests[folder.parent.parent.name].budgets)


@pytest.mark.parametrize(
    "folder",
    [pytest.param(path, marks=[pytest.mark.slow] if trains(path) else []) for path in VARIANTS],
    ids=[f"{path.parent.parent.name}-{path.name}" for path in VARIANTS],
)
def test_right_implementation_gets_full_marks(course, folder):
    exercise = folder.parent.parent.name
    options = GradeOptions(exercises=(exercise,), seed=12345)
    result = grade_submission(folder, course, options)
    assert result["status"] == "graded", result.get("message")
    lost = [
        f"{t['name']}: {t['message']}"
        for t in result["exercises"][exercise]["tests"]
        if t["points"] < t["max_points"]
    ]
    assert not lost, f"{exercise}/{folder.name} is correct but lost points: {lost}"
