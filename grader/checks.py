"""`grade check`: the reference earns every point, the stubs earn none.

Run by CI: a hidden test that the reference fails is a broken test or a broken
reference; a test that a stub passes asserts nothing about the implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from grader.course import Course
from grader.grading import GradeOptions, grade_submission


@dataclass
class CheckReport:
    lines: list[str] = field(default_factory=list)
    offenders: list[str] = field(default_factory=list)
    infrastructure_error: bool = False

    @property
    def ok(self) -> bool:
        return not self.offenders


def run_check(
    course: Course, options: GradeOptions, progress: Callable[[str], None] = lambda message: None
) -> CheckReport:
    report = CheckReport()
    progress("grading the reference solutions on every test...")
    reference = grade_submission(course.solutions_dir, course, options, label="reference")
    progress("grading the stubs on every test...")
    stubs = grade_submission(course.stubs_dir, course, options, label="stubs")
    for result in (reference, stubs):
        if result["status"] != "graded":
            report.infrastructure_error |= result["status"] == "grader_error"
            report.offenders.append(
                f"{result['submission']}: {result['status']}: {result['message']}"
            )
    for name in options.exercises or course.exercises():
        ref = reference["exercises"].get(name, {"score": 0, "max_score": 0, "tests": []})
        stub = stubs["exercises"].get(name, {"score": 0, "max_score": 0, "tests": []})
        report.lines.append(
            f"{name}: reference {ref['score']:g}/{ref['max_score']:g}, "
            f"stub {stub['score']:g}/{stub['max_score']:g}"
        )
        if ref["max_score"] != course.points(name):
            report.offenders.append(
                f"{name}: its tests are worth {ref['max_score']:g} points, "
                f"not {course.points(name):g} (its manifest's points)"
            )
        for test in ref["tests"]:
            if test["outcome"] != "passed":
                report.offenders.append(
                    f"{name}: reference fails {test['name']} "
                    f"({test['outcome']}: {test['message'][:300]})"
                )
        for test in stub["tests"]:
            if test["points"] > 0:
                report.offenders.append(f"{name}: the stub earns points on {test['name']}")
    report.lines.append(
        f"seed {reference['seed']}; reference graded in {reference['provenance'].get('wall_s')} s"
    )
    return report
