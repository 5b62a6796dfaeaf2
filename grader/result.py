"""The canonical result of grading one submission: its types and its one constructor.

Every part of the grader that makes, stores or shows a result uses these types: grading
builds it (``new_result``, ``new_test``), ``results.jsonl`` stores it as JSON, reports,
exports and Gradescope read it. Outcomes are fields, never message prefixes. A leaf
module: it imports nothing of the grader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

Status = Literal["graded", "invalid_submission", "grader_error", "empty", "missing", "removed"]
Outcome = Literal["passed", "failed", "error", "timeout", "not_started"]
STATUSES: tuple[Status, ...] = (
    "graded",  # the tests ran
    "invalid_submission",  # it cannot be read (a broken zip...): zero, with the reason
    "grader_error",  # the grader failed: retried, then for the instructor to look at
    "empty",  # no module of the graded exercises was handed in: zero
    "missing",  # on the roster, nothing handed in: zero
    "removed",  # graded before, gone from the submissions folder now: marked
)


class TestRecord(TypedDict):
    """One test's verdict."""

    name: str  # the test function's name, with its parameters
    outcome: Outcome  # passed; failed (a check); error (the code raised); timeout;
    # not_started (the code still raises the stub's NotImplementedError)
    points: float  # points earned: max_points when passed, a metric's ramp share, else 0
    max_points: float  # what the test is worth
    message: str  # why it did not pass (a hidden test's details never appear)
    duration_s: float  # the test's time, its fixtures' included
    visibility: Literal["public", "hidden"]  # hidden tests are shown by name and points only
    grader_fault: bool  # the grader failed, not the submission: the result is a grader_error
    crash: bool  # the student's worker died (exit, signal, memory, protocol)
    location: str  # the student's file and line the failure points to, as the student
    # knows it ("exercises/NAME.py:67", "NAME.ipynb, cell 5, line 3"); "" if unknown
    metric: NotRequired[float]  # what a metric test measured (instructors only: results.jsonl)


class ExerciseResult(TypedDict):
    """One exercise of a submission."""

    score: float  # the sum of its tests' points
    max_score: float  # the sum of its tests' max_points
    hidden_points_absent: float  # points of hidden tests not run here (a student's own run)
    tests: list[TestRecord]  # in the order they ran


class Result(TypedDict):
    """One submission, graded (or not, with the reason)."""

    submission: str  # the submission's id (safe to print: see grader.safe_text)
    score: float  # the sum over its exercises
    max_score: float  # what it could have earned
    status: Status  # see STATUSES
    seed: int  # the seed of the hidden inputs: --seed reproduces the run
    message: str  # why it was not graded ("" when graded)
    exercises: dict[str, ExerciseResult]  # name → its tests, in the course's order
    warnings: list[str]  # files skipped or refused while copying the submission
    output: str  # the tail of what the student's code printed (never graded)
    provenance: dict  # grader version, suite hash, versions, isolation, timings
    batch: NotRequired[dict]  # grade batch: entry, content and suite hashes, run key
    retried: NotRequired[bool]  # grade batch: a grader error was retried once
    late: NotRequired[dict]  # an assignment's late policy applied: days, penalty, due


@dataclass(frozen=True)
class Ramp:
    """Partial credit on a measured metric: none at or below ``floor``, all from ``bar``
    (the contract's threshold) up, linear between, in tenths of a point."""

    floor: float  # e.g. chance level: a model no better than guessing earns nothing
    bar: float  # the contract's threshold: full points

    def __post_init__(self):
        if not self.floor < self.bar:
            raise ValueError(f"a ramp needs floor < bar (floor {self.floor}, bar {self.bar})")

    def points(self, value: float, max_points: float) -> float:
        share = min(1.0, max(0.0, (value - self.floor) / (self.bar - self.floor)))
        return round(share * max_points, 1)


def new_result(submission: str, seed: int, exercises: list[str], provenance: dict) -> Result:
    """A result with every exercise at zero tests and status ``graded``."""
    return Result(
        submission=submission,
        score=0.0,
        max_score=0.0,
        status="graded",
        seed=seed,
        message="",
        exercises={name: new_exercise() for name in exercises},
        warnings=[],
        output="",
        provenance=provenance,
    )


def new_exercise() -> ExerciseResult:
    return ExerciseResult(score=0.0, max_score=0.0, hidden_points_absent=0.0, tests=[])


def new_test(
    name: str,
    outcome: Outcome,
    max_points: float,
    visibility: Literal["public", "hidden"],
    message: str = "",
    duration_s: float = 0.0,
    grader_fault: bool = False,
    crash: bool = False,
    location: str = "",
    partial_points: float | None = None,
    metric: float | None = None,
) -> TestRecord:
    """A test's verdict; its points follow from its outcome (all when passed), or are a
    failed metric test's ``partial_points`` from its ramp."""
    record = TestRecord(
        name=name,
        outcome=outcome,
        points=max_points if outcome == "passed" else min(partial_points or 0.0, max_points),
        max_points=max_points,
        message=message,
        duration_s=duration_s,
        visibility=visibility,
        grader_fault=grader_fault,
        crash=crash,
        location=location,
    )
    if metric is not None:
        record["metric"] = metric
    return record


def outcome_word(test: TestRecord) -> str:
    """The outcome as a student reads it ("not started", not "not_started")."""
    return test["outcome"].replace("_", " ")


def total(result: Result, points_per_exercise: dict[str, float]) -> Result:
    """Sum the exercises into the result's score; an ungraded result is worth the course's
    points (zero out of the exercises' full marks)."""
    for exercise in result["exercises"].values():
        exercise["score"] = sum(t["points"] for t in exercise["tests"])
        exercise["max_score"] = sum(t["max_points"] for t in exercise["tests"])
    result["score"] = round(sum(e["score"] for e in result["exercises"].values()), 3)
    result["max_score"] = round(sum(e["max_score"] for e in result["exercises"].values()), 3)
    if result["status"] != "graded" and result["max_score"] == 0:
        result["max_score"] = float(
            sum(points_per_exercise.get(n, 0.0) for n in result["exercises"])
        )
    return result


def hidden_messages_allowed(result: dict) -> bool:
    """Whether the result's assignment lets students read hidden tests' messages once
    grades are published (``feedback = "never"`` keeps them for the instructor)."""
    assignment = result.get("batch", {}).get("assignment") or {}
    return assignment.get("feedback", "after_publication") != "never"
