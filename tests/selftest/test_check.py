"""The CI gate on the real course: every reference earns 20/20 on every test, public and
hidden, and every stub earns zero (`grade check`)."""

from grader.checks import run_check
from grader.grading import GradeOptions


def test_reference_full_marks_and_stubs_zero(course):
    report = run_check(course, GradeOptions(seed=2024))
    print("\n".join(report.lines))
    assert report.ok, "\n".join(report.offenders)
