"""Grading the reference solutions with every test (hidden included): where the time goes.

    python bench/grade_reference.py [--seed S] [EXERCISE ...]

Prints wall and CPU seconds of the whole grading, then per exercise, and splits the
total into worker start-up (TensorFlow import), training calls (``train_*`` and
``fit``) and the rest (tests, data generation, other calls). Target (issue 7): at most
120 s wall on 2 cores. One grading = one trusted pytest process + one worker, as
`grade` runs it.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from grader.course import Course
from grader.grading import GradeOptions, grade_submission

ROOT = Path(__file__).resolve().parents[1]


def is_training(description: str) -> bool:
    name = description.rsplit(".", 1)[-1]
    return name.startswith("train") or name == "fit"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    course = Course(ROOT)
    options = GradeOptions(exercises=tuple(args.exercises), seed=args.seed)

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = grade_submission(course.solutions_dir, course, options, label="reference")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    print(
        f"status {result['status']}  score {result['score']:g}/{result['max_score']:g}  "
        f"seed {args.seed}"
    )
    print(f"total        wall {wall:7.1f} s   cpu {cpu:7.1f} s   (target: wall <= 120 s)")
    for name, exercise in result["exercises"].items():
        seconds = sum(t["duration_s"] for t in exercise["tests"])
        print(
            f"  {name:18s} {seconds:7.1f} s  ({len(exercise['tests'])} tests, "
            f"{exercise['score']:g}/{exercise['max_score']:g})"
        )
    timings = result["provenance"].get("timings", {})
    startup = timings.get("startup_s", 0.0)
    training = sum(s for d, s in timings.get("calls_s", {}).items() if is_training(d))
    print(
        f"split        worker start-up (TF import) {startup:6.1f} s | training {training:6.1f} s"
        f" | the rest {wall - startup - training:6.1f} s"
    )
    for description, seconds in sorted(
        timings.get("calls_s", {}).items(), key=lambda item: -item[1]
    )[:8]:
        print(f"  slowest calls: {description:40s} {seconds:6.1f} s")
    return 0 if result["status"] == "graded" and wall <= 120 else 1


if __name__ == "__main__":
    sys.exit(main())
