"""Partial credit on metric tests: a ramp from a floor to the contract's bar, the points
reported to students without the measured value, the value kept for instructors."""

from dataclasses import replace

import pytest
from conftest import ROOT
from fixture_patches import materialise, wrong_fixtures

from grader.course import Course
from grader.grading import GradeOptions, grade_submission
from grader.reports import feedback_markdown
from grader.result import Ramp

COURSE = Course(ROOT)
RAMPED = ("test_classifier_accuracy_on_fresh_strings", "test_classifier_tells_long_range_pairs")


def test_a_ramp_goes_from_nothing_at_the_floor_to_everything_at_the_bar():
    ramp = Ramp(floor=0.5, bar=0.98)
    assert ramp.points(0.4, 2) == ramp.points(0.5, 2) == 0
    assert ramp.points(0.98, 2) == ramp.points(1.0, 2) == 2
    assert ramp.points(0.74, 2) == 1.0 and ramp.points(0.75, 2) == 1.0  # tenths of a point
    with pytest.raises(ValueError, match="floor < bar"):
        Ramp(floor=0.9, bar=0.9)


def test_the_course_switch_is_on():
    assert COURSE.partial_credit is True  # tests/exercises/course.toml


@pytest.fixture(scope="module")
def undertrained(tmp_path_factory):
    """The Reber reference trained three epochs: its metrics sit between chance and the bar."""
    folder = tmp_path_factory.mktemp("undertrained")
    fixture = next(
        f for f in wrong_fixtures() if f.exercise == "reber" and f.path.stem == "undertrained"
    )
    materialise(fixture, folder)
    options = GradeOptions(exercises=("reber",), seed=5, keyword=" or ".join(RAMPED))
    return tuple(
        grade_submission(folder, COURSE, replace(options, partial_credit=switch))
        for switch in (True, False)
    )


def test_an_undertrained_classifier_earns_part_of_the_accuracy_points(undertrained):
    on, off = undertrained
    tests = {t["name"]: t for t in on["exercises"]["reber"]["tests"]}
    accuracy = tests[RAMPED[0]]
    assert accuracy["outcome"] == "failed" and 0 < accuracy["points"] < accuracy["max_points"]
    assert 0.5 < accuracy["metric"] < 0.98  # kept for the instructor
    expected = Ramp(0.5, 0.98).points(accuracy["metric"], accuracy["max_points"])
    assert accuracy["points"] == expected and on["score"] > 0
    assert off["score"] == 0  # all or nothing when the switch is off


def test_students_read_the_points_never_the_measured_value_or_the_bar(undertrained):
    on, _ = undertrained
    accuracy = next(t for t in on["exercises"]["reber"]["tests"] if t["name"] == RAMPED[0])
    feedback = feedback_markdown(on, publish=True)
    assert "partial credit" in accuracy["message"]
    for secret in (f"{accuracy['metric']:.3f}", "0.98", "metric"):
        assert secret not in accuracy["message"].replace("measured metric", "")
    assert f"{accuracy['metric']:.3f}" not in feedback and "0.98" not in feedback
