"""Correct alternatives get full marks: the tests check the contract, not the reference's choices.

``tests/fixtures/right/<exercise>/<variant>/`` holds a submission that differs from the
reference where the contract leaves a choice open (e.g. beam_search's finished
hypotheses may leave the beam or keep competing for a slot). Each must score 20/20.
"""

import pytest
from conftest import FIXTURES

from grader.grading import GradeOptions, grade_submission


def right_fixtures():
    for folder in sorted(FIXTURES.glob("right/*/*/")):
        yield pytest.param(
            folder.parent.name, folder.name, id=f"{folder.parent.name}-{folder.name}"
        )


@pytest.mark.parametrize(("exercise", "variant"), list(right_fixtures()))
def test_right_implementation_gets_full_marks(course, exercise, variant):
    options = GradeOptions(exercises=(exercise,), seed=12345)
    result = grade_submission(FIXTURES / "right" / exercise / variant, course, options)
    assert result["status"] == "graded", result.get("message")
    lost = [
        f"{t['name']}: {t['message']}"
        for t in result["exercises"][exercise]["tests"]
        if t["points"] < t["max_points"]
    ]
    assert not lost, f"{exercise}/{variant} is correct but lost points: {lost}"
