"""Grading the reference solutions with every test (hidden included), over many seeds:
where the time goes, and how close any training comes to its budget.

    python bench/grade_reference.py [--seeds N] [--first-seed S] [--jobs J] [EXERCISE ...]

Grades the references once per seed, J gradings at a time (as ``grade batch --jobs J``
runs them: each worker gets ``2 // J`` TensorFlow threads). Prints one line per seed,
then the median and the maximum wall time in total and per exercise, the split of the
total into worker start-up, training calls and the rest, and the largest fraction of
its budget any training call used (budgets: each manifest's ``[budgets]``, the
contract's). Targets (issue 21): the whole course at most 90 s wall at the worst seed
on 2 quiet cores; every training at most a third of its budget alone, a half under
``--jobs 2``. One grading = one trusted pytest process + one worker, as `grade` runs it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.course import Course
from grader.grading import GradeOptions, grade_submission

ROOT = Path(__file__).resolve().parents[1]
CORES = 2  # the machine the figures are for


@dataclass
class Run:
    seed: int
    wall_s: float
    status: str
    score: float
    max_score: float
    exercise_s: dict[str, float]  # exercise → its tests' time, fixtures included
    startup_s: float  # worker start-up (TensorFlow import)
    training_s: dict[str, float]  # "module.function" with a budget → its call's time


def grade_once(
    course: Course, budgets: dict[str, float], exercises: tuple[str, ...], seed: int, threads: int
) -> Run:
    options = GradeOptions(exercises=exercises, seed=seed, threads=threads)
    started = time.perf_counter()
    result = grade_submission(course.solutions_dir, course, options, label="reference")
    wall = time.perf_counter() - started
    timings = result.get("provenance", {}).get("timings", {})
    calls = timings.get("calls_s", {})
    return Run(
        seed=seed,
        wall_s=wall,
        status=result["status"],
        score=result["score"],
        max_score=result["max_score"],
        exercise_s={
            name: sum(t["duration_s"] for t in exercise["tests"])
            for name, exercise in result["exercises"].items()
        },
        startup_s=timings.get("startup_s", 0.0),
        training_s={name: calls[name] for name in budgets if name in calls},
    )


def course_budgets(course: Course) -> dict[str, float]:
    """``"module.function"`` → its budget in seconds, from every manifest."""
    return {
        f"{name}.{function}": float(seconds)
        for name, manifest in course.manifests.items()
        for function, seconds in manifest.budgets.items()
    }


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.1f} s  max {max(values):6.1f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds (default 1)")
    parser.add_argument("--first-seed", type=int, default=2024)
    parser.add_argument("--jobs", type=int, default=1, help="gradings at once (default 1)")
    args = parser.parse_args()
    course = Course(ROOT)
    budgets = course_budgets(course)
    threads = max(1, CORES // args.jobs)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(
        f"{len(seeds)} seeds from {args.first_seed}, {args.jobs} at a time, {threads} threads each"
    )

    runs: list[Run] = []
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(grade_once, course, budgets, tuple(args.exercises), seed, threads)
            for seed in seeds
        ]
        for future in futures:
            run = future.result()
            runs.append(run)
            worst = (
                max((s / budgets[name], name) for name, s in run.training_s.items())
                if run.training_s
                else (0.0, "")
            )
            print(
                f"seed {run.seed}: {run.status} {run.score:g}/{run.max_score:g}  "
                f"wall {run.wall_s:6.1f} s  most of a budget: {worst[0]:.0%} ({worst[1]})",
                flush=True,
            )

    print(f"\ntotal        {spread([r.wall_s for r in runs])}")
    for name in runs[0].exercise_s:
        print(f"  {name:18s} {spread([r.exercise_s.get(name, 0.0) for r in runs])}")
    training = [sum(r.training_s.values()) for r in runs]
    startup = [r.startup_s for r in runs]
    print(f"start-up     {spread(startup)}\ntraining     {spread(training)}")
    fractions = {
        name: max(r.training_s.get(name, 0.0) for r in runs) / budget
        for name, budget in budgets.items()
        if any(name in r.training_s for r in runs)
    }
    for name, fraction in sorted(fractions.items(), key=lambda item: -item[1]):
        print(f"  {name:40s} worst {fraction:5.1%} of its {budgets[name]:.0f} s budget")
    graded = all(r.status == "graded" and r.score == r.max_score for r in runs)
    print("every run 100%" if graded else "some run lost points or failed")
    return 0 if graded else 1


if __name__ == "__main__":
    sys.exit(main())
