"""Every hidden test is proven able to fail: each wrong implementation loses points.

``tests/exercises/<exercise>/wrong/<bug>.patch`` is the reference with one bug (see
``fixture_patches``), under a header naming the hidden tests that must reject it. The
module is made from today's reference at test time; only the named tests run (``-k``),
so the suite stays fast, and each must end with zero points and a message. A fixture
whose header says ``slow:`` (a second fixture that trains, for tests another fixture
already proves) runs only with ``-m slow``.
"""

import pytest
from fixture_patches import materialise, wrong_fixtures

from grader.grading import GradeOptions, grade_submission

FIXTURES = wrong_fixtures()


def test_every_exercise_has_wrong_fixtures(course):
    with_fixtures = {fixture.exercise for fixture in FIXTURES}
    missing = [name for name in course.exercises() if name not in with_fixtures]
    assert not missing, f"exercises without wrong implementations: {missing}"


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(fixture, marks=[pytest.mark.slow] if fixture.slow else [])
        for fixture in FIXTURES
    ],
    ids=[f"{fixture.exercise}-{fixture.bug}" for fixture in FIXTURES],
)
def test_wrong_implementation_loses_points(course, fixture, tmp_path):
    options = GradeOptions(
        exercises=(fixture.exercise,), seed=12345, keyword=" or ".join(fixture.tests)
    )
    result = grade_submission(materialise(fixture, tmp_path / fixture.bug), course, options)
    assert result["status"] == "graded", result.get("message")
    ran = {t["name"].split("[")[0]: t for t in result["exercises"][fixture.exercise]["tests"]}
    for name in fixture.tests:
        assert name in ran, f"{name} did not run for {fixture.exercise}/{fixture.bug}"
        assert ran[name]["points"] == 0, (
            f"{fixture.exercise}/{fixture.bug} should lose the points of {name}: {ran[name]}"
        )
        assert ran[name]["message"], f"{name} failed {fixture.exercise}/{fixture.bug} silently"
        assert fixture.message is None or fixture.message in ran[name]["message"], ran[name]
    assert result["score"] < result["max_score"]
