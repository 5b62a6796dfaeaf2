"""Every hidden test is proven able to fail: each wrong implementation loses points.

``tests/fixtures/wrong/<exercise>/<bug>/`` holds a submission with one bug, and
``tests/fixtures/wrong/<exercise>/expect.json`` names, for each bug, the tests that
must reject it: ``{"bug": {"tests": ["test_name", ...], "why": "...", "message": "..."}}``
(``message``, optional: a text the failure's message must hold). Only those
tests run (``-k``), so the suite stays fast; each must end with zero points.
"""

import json
import re

import pytest
from conftest import FIXTURES

from grader.grading import GradeOptions, grade_submission


def wrong_fixtures():
    for expect_file in sorted(FIXTURES.glob("wrong/*/expect.json")):
        exercise = expect_file.parent.name
        for bug, spec in json.loads(expect_file.read_text()).items():
            yield pytest.param(
                exercise, bug, spec["tests"], spec.get("message"), id=f"{exercise}-{bug}"
            )


def test_every_exercise_has_wrong_fixtures(course):
    with_fixtures = {p.parent.name for p in FIXTURES.glob("wrong/*/expect.json")}
    missing = [name for name in course.exercises() if name not in with_fixtures]
    assert not missing, f"exercises without wrong implementations: {missing}"


def test_every_hidden_test_is_proven_by_a_wrong_fixture(course):
    unproven = []
    for test_file in sorted((course.tests_dir / "hidden").glob("test_*.py")):
        exercise = test_file.stem.removeprefix("test_")
        expect_file = FIXTURES / "wrong" / exercise / "expect.json"
        expected = json.loads(expect_file.read_text()) if expect_file.exists() else {}
        proven = {name for spec in expected.values() for name in spec["tests"]}
        tests = re.findall(r"^def (test_\w+)", test_file.read_text(), flags=re.M)
        unproven += [f"{exercise}::{name}" for name in tests if name not in proven]
    assert not unproven, f"hidden tests no wrong fixture is expected to fail: {unproven}"


def test_fixture_folders_match_expectations():
    for expect_file in FIXTURES.glob("wrong/*/expect.json"):
        listed = set(json.loads(expect_file.read_text()))
        present = {p.name for p in expect_file.parent.iterdir() if p.is_dir()}
        assert listed == present, (
            f"{expect_file}: listed {sorted(listed)}, on disk {sorted(present)}"
        )


@pytest.mark.parametrize(("exercise", "bug", "tests", "message"), list(wrong_fixtures()))
def test_wrong_implementation_loses_points(course, exercise, bug, tests, message):
    options = GradeOptions(exercises=(exercise,), seed=12345, keyword=" or ".join(tests))
    result = grade_submission(FIXTURES / "wrong" / exercise / bug, course, options)
    assert result["status"] == "graded", result.get("message")
    ran = {t["name"].split("[")[0]: t for t in result["exercises"][exercise]["tests"]}
    for name in tests:
        assert name in ran, f"{name} did not run for {exercise}/{bug}"
        assert ran[name]["points"] == 0, (
            f"{exercise}/{bug} should lose the points of {name}: {ran[name]}"
        )
        assert ran[name]["message"], f"{name} failed {exercise}/{bug} without a message"
        assert message is None or message in ran[name]["message"], ran[name]["message"]
    assert result["score"] < result["max_score"]
