"""Every hidden test is proven able to fail: each wrong implementation loses points.

``tests/exercises/<exercise>/wrong/<bug>.patch`` is the reference with one bug (see
``fixture_patches``), under a header naming the hidden tests that must reject it. The
module is made from today's reference at test time; only the named tests run (``-k``),
so the suite stays fast, and each must end with zero points and a message (partial
credit off: test_partial_credit proves the ramps). A fixture
whose header says ``slow:`` (a second fixture that trains, for tests another fixture
already proves) runs only with ``-m slow``.

The selected fixtures are graded two at a time, one TensorFlow thread each, as
``grade batch --jobs 2`` does (most of a fixture's time is a worker's start-up, which
one core does alone); each test then checks its own fixture's result.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from fixture_patches import WrongFixture, materialise, wrong_fixtures

from grader.batch import available_cores
from grader.grading import GradeOptions, grade_submission
from grader.result import Result

FIXTURES = wrong_fixtures()
JOBS = 2  # gradings at once


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
def test_wrong_implementation_loses_points(fixture, graded):
    result = graded[fixture.exercise, fixture.bug]
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


@pytest.fixture(scope="module")
def graded(request, course, tmp_path_factory) -> dict[tuple[str, str], Result]:
    """Every selected fixture's result by (exercise, bug), graded ``JOBS`` at a time."""
    selected = [
        item.callspec.params["fixture"]
        for item in request.session.items
        if item.originalname == "test_wrong_implementation_loses_points"
    ]
    threads = max(1, available_cores() // JOBS)

    def grade(fixture: WrongFixture) -> Result:
        options = GradeOptions(
            exercises=(fixture.exercise,),
            seed=12345,
            keyword=" or ".join(fixture.tests),
            threads=threads,
            partial_credit=False,  # the test's verdict is what a fixture proves
        )
        folder = tmp_path_factory.mktemp(f"{fixture.exercise}-{fixture.bug}")
        return grade_submission(materialise(fixture, folder / fixture.bug), course, options)

    with ThreadPoolExecutor(JOBS) as pool:
        results = list(pool.map(grade, selected))
    return {(f.exercise, f.bug): result for f, result in zip(selected, results, strict=True)}
