"""Grading one submission: the pure function from a submission to its result.

``grade_submission`` prepares the submission, runs the exercise tests in a trusted
pytest process (which starts the untrusted worker), and returns the canonical result,
a ``grader.result.Result``: ``graded``, ``invalid_submission`` (zero, with the reason
in ``message``) or ``grader_error`` (an infrastructure fault: not the student's).
It never prints and never raises for a bad submission.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.course import Course
from grader.result import Result, new_exercise, new_result, new_test, total
from grader.safe_text import submission_id
from grader.sandbox.isolation import EnvironmentModified, guard_environment, share_with_worker
from grader.submission import InvalidSubmission, PreparedSubmission, prepare

SUITE_TIMEOUT_S = 3600
NOT_RUN = "the test did not run (the grader stopped early)"


@dataclass
class GradeOptions:
    """How to grade: which exercises and tests, the seed, the worker's resources."""

    exercises: tuple[str, ...] = ()
    visibilities: tuple[str, ...] = ("public", "hidden")
    seed: int | None = None
    threads: int = 2
    memory_gb: float = 6.0
    keyword: str | None = None
    first_failure: bool = False  # stop at the first test that does not pass (pytest -x)
    partial_credit: bool | None = None  # metric ramps on or off; None: as the course says
    preload_tf: bool = True


def grade_submission(
    source: Path, course: Course, options: GradeOptions | None = None, label: str | None = None
) -> Result:
    """Grade ``source`` (folder, zip or notebook) on ``course``'s tests; never raises for it.

    A submission that cannot be read is ``invalid_submission``; anything else that goes
    wrong on the grader's side is ``grader_error`` with the reason, except
    ``EnvironmentModified``, which must stop a batch.
    """
    options = options or GradeOptions()
    label = label or submission_id(source.name)
    scratch = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        try:
            prepared = prepare(source, scratch / "submission", course.exercises())
        except InvalidSubmission as exc:
            return failed_result(label, course, options, "invalid_submission", str(exc))
        return grade_prepared(prepared, course, options, label)
    except EnvironmentModified:
        raise
    except Exception as exc:  # the boundary of one submission: a reason, never a crash
        return failed_result(label, course, options, "grader_error", describe_fault(exc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_prepared(
    prepared: PreparedSubmission, course: Course, options: GradeOptions, label: str
) -> Result:
    """Grade a submission already copied by ``prepare`` (its folder is graded as it is)."""
    seed = _seed(options)
    exercises = list(options.exercises) or course.exercises()
    result = new_result(label, seed, exercises, _provenance(course, exercises, options))
    result["warnings"] = list(prepared.warnings)
    share_with_worker(prepared.folder)  # whatever the umask
    with tempfile.TemporaryDirectory(prefix="grade-run-") as scratch:
        with guard_environment():  # raises EnvironmentModified: the batch must stop
            run = _run_tests(prepared.folder, course, exercises, seed, options, Path(scratch))
    if run.get("error"):
        result.update(status="grader_error", message=run["error"])
        return _finish(result, course)
    _fill_result(result, run, course, prepared, options.first_failure)
    return _finish(result, course)


def failed_result(
    label: str, course: Course, options: GradeOptions, status: str, message: str
) -> Result:
    """The result of a submission that was not graded: zero, with its status and reason."""
    exercises = list(options.exercises) or course.exercises()
    result = new_result(label, _seed(options), exercises, _provenance(course, exercises, options))
    result.update(status=status, message=message)
    return _finish(result, course)


def describe_fault(exc: BaseException) -> str:
    """One line on a grader-side exception, for a ``grader_error`` result."""
    trace = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"the grader failed on this submission: {trace}"


def _seed(options: GradeOptions) -> int:
    return options.seed if options.seed is not None else secrets.randbelow(2**31)


def _provenance(course: Course, exercises: list[str], options: GradeOptions) -> dict:
    return {
        "grader_version": grader.__version__,
        "suite_hash": course.suite_hash(),
        "python": platform.python_version(),
        "visibilities": list(options.visibilities),
        "exercises": exercises,
    }


def _pytest_command(
    folder: Path,
    course: Course,
    exercises: list[str],
    seed: int,
    options: GradeOptions,
    results_path: Path,
) -> list[str] | None:
    files = course.test_files(exercises, options.visibilities)
    if not files:
        return None
    command = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, files),
        "-c",
        str(course.tests_dir / "pytest.ini"),
        "--rootdir",
        str(course.tests_dir),
        "-p",
        "grader.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "--tb=no",
        "--no-header",
        "-p",
        "no:randomly",
        "--target",
        str(folder),
        "--grade-seed",
        str(seed),
        "--grade-results",
        str(results_path),
        "--worker-threads",
        str(options.threads),
        "--worker-memory-gb",
        str(options.memory_gb),
    ]
    if course.solutions_dir.is_dir():
        command += ["--reference-dir", str(course.solutions_dir)]
    if options.keyword:
        command += ["-k", options.keyword]
    if options.first_failure:
        command.append("-x")
    if options.partial_credit is not None:
        command += ["--partial-credit", "on" if options.partial_credit else "off"]
    if not options.preload_tf:
        command.append("--no-preload-tf")
    return command


def _run_tests(
    folder: Path,
    course: Course,
    exercises: list[str],
    seed: int,
    options: GradeOptions,
    scratch: Path,
) -> dict:
    results_path = scratch / "results.json"
    command = _pytest_command(folder, course, exercises, seed, options, results_path)
    if command is None:
        return {"records": [], "collected": [], "versions": {}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command,
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=SUITE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"the test run took longer than {SUITE_TIMEOUT_S} s"}
    if not results_path.exists() or completed.returncode not in (0, 1, 5):
        tail = (completed.stdout + completed.stderr).decode("utf-8", "replace")[-3000:]
        return {"error": f"the test run failed (pytest exit {completed.returncode}):\n{tail}"}
    data = json.loads(results_path.read_text())
    data["wall_s"] = round(time.monotonic() - started, 2)
    return data


def _fill_result(
    result: Result, run: dict, course: Course, prepared: PreparedSubmission, first_failure: bool
) -> None:
    by_nodeid = {r["nodeid"]: r for r in run["records"]}
    not_run = 0
    for item in run["collected"]:
        record = by_nodeid.get(item["nodeid"])
        if record is None and first_failure:  # -x: the tests after the failure are left out
            not_run += 1
            continue
        location = record.get("location") if record else None
        test = new_test(
            item["name"],
            record["outcome"] if record else "error",
            item["max_points"],
            item["visibility"],
            prepared.rewrite_paths(record["message"]) if record else NOT_RUN,
            record["duration_s"] if record else 0.0,
            grader_fault=bool(record and record["grader_fault"]),
            crash=bool(record and record["crash"]),
            location=prepared.describe(location) if location else "",
            partial_points=record.get("points") if record else None,
            metric=record.get("metric") if record else None,
        )
        exercise = result["exercises"].setdefault(item["exercise"], new_exercise())
        exercise["tests"].append(test)
    with_hidden = {item["exercise"] for item in run["collected"] if item["visibility"] == "hidden"}
    for name, exercise in result["exercises"].items():
        if name not in with_hidden:  # a student's run: say what the instructor's tests hold
            collected = sum(i["max_points"] for i in run["collected"] if i["exercise"] == name)
            exercise["hidden_points_absent"] = max(0.0, course.points(name) - collected)
    result["output"] = prepared.rewrite_paths(run.get("output", ""))
    result["provenance"].update(run.get("versions", {}))
    result["provenance"]["wall_s"] = run.get("wall_s")
    result["provenance"]["timings"] = run.get("timings", {})
    if not_run:
        result["provenance"]["not_run"] = not_run
    if any(t["grader_fault"] for e in result["exercises"].values() for t in e["tests"]):
        result["status"] = "grader_error"
        result["message"] = "a test failed on the grader's side; see the tests marked grader error"


def _finish(result: Result, course: Course) -> Result:
    return total(result, {name: course.points(name) for name in result["exercises"]})
