"""Hostile submissions get the verdict they deserve, and the run goes on.

Each fixture under ``tests/fixtures/hostile/`` attacks the fake course's `echo`
exercise (no TensorFlow, so this runs in seconds). A grader that decided the score
in the student's process would give several of them full marks.
"""

import pytest
from conftest import FIXTURES

from grader.course import Course
from grader.grading import GradeOptions, grade_submission

FAKE_COURSE = Course(FIXTURES / "fake_course")
ALL_ERROR = {
    "test_add": "error",
    "test_add_many": "error",
    "test_scale": "error",
    "test_square": "error",
}
# The stub's own functions: its conftest.py and sitecustomize.py are dropped, never run
NOT_STARTED = dict.fromkeys(ALL_ERROR, "not_started")
ADD_BROKEN = {"test_scale": "passed", "test_square": "passed"}
EXPECTED = {
    "exit_at_import": (0, ALL_ERROR),
    "exit_in_call": (10, {"test_add": "error", "test_add_many": "error", **ADD_BROKEN}),
    "sys_exit": (10, {"test_add": "error", "test_add_many": "error", **ADD_BROKEN}),
    "lying_eq": (0, ALL_ERROR),
    "stack_reader": (
        0,
        {
            "test_add": "failed",
            "test_add_many": "failed",
            "test_scale": "failed",
            "test_square": "failed",
        },
    ),
    "fake_records": (
        0,
        {
            "test_add": "failed",
            "test_add_many": "failed",
            "test_scale": "failed",
            "test_square": "failed",
        },
    ),
    "conftest_forcing": (0, NOT_STARTED),
    "patch_pytest": (
        0,
        {
            "test_add": "failed",
            "test_add_many": "failed",
            "test_scale": "failed",
            "test_square": "failed",
        },
    ),
    "endless_loop": (10, {"test_add": "timeout", "test_add_many": "timeout", **ADD_BROKEN}),
    "memory_bomb": (10, {"test_add": "error", "test_add_many": "error", **ADD_BROKEN}),
}
OPTIONS = GradeOptions(seed=7, preload_tf=False, memory_gb=1.0, threads=1)


def outcomes(result: dict) -> dict[str, str]:
    return {t["name"]: t["outcome"] for t in result["exercises"]["echo"]["tests"]}


def test_reference_and_stub_of_the_fake_course():
    assert grade_submission(FAKE_COURSE.solutions_dir, FAKE_COURSE, OPTIONS)["score"] == 20
    assert grade_submission(FAKE_COURSE.stubs_dir, FAKE_COURSE, OPTIONS)["score"] == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_submission_gets_its_verdict(name):
    score, expected_outcomes = EXPECTED[name]
    result = grade_submission(FIXTURES / "hostile" / name, FAKE_COURSE, OPTIONS)
    assert result["status"] == "graded", result["message"]
    assert outcomes(result) == expected_outcomes
    assert result["score"] == score
    for test in result["exercises"]["echo"]["tests"]:
        if test["outcome"] != "passed":
            assert test["message"], f"{name}: {test['name']} has no reason"


def test_dropped_files_are_reported():
    result = grade_submission(FIXTURES / "hostile" / "conftest_forcing", FAKE_COURSE, OPTIONS)
    assert result["score"] == 0
    assert not any("conftest" in w for w in result["warnings"])  # dropped silently, by design
