"""The pytest plugin of the exercise tests: fixtures, points, visibility, verdicts.

Exercise tests live in ``tests/exercises/<exercise>/test_public.py`` (shipped to
students) and ``tests/exercises/<exercise>/hidden/test_hidden.py`` (instructors only). They
run in this trusted process and reach the submission through the ``student``
fixture (and the reference solution through ``reference``). Each test carries
``@pytest.mark.points(n)``; an exercise's tests sum to 20.

The plugin records one verdict per test and, with ``--grade-results FILE``, writes
them as JSON. A verdict's message never shows a hidden test's expected value: for a
hidden test only the explicit message of a failed ``assert`` is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from grader.course import Course, find_course_root
from grader.locations import Location, definition, innermost_frame
from grader.proxies import SubmissionProxy
from grader.result import Ramp
from grader.returns import ReturnSpec, course_returns
from grader.sandbox.client import (
    GraderError,
    StudentError,
    SubmissionFault,
    Worker,
    WorkerCrashed,
    WorkerTimeout,
)
from grader.sandbox.isolation import GiB, Limits
from grader.sandbox.spawn import LaunchSpec

MESSAGE_LIMIT = 1500

# The run's state, on pytest's stash (as pytest-timeout keeps its own).
SEED = pytest.StashKey[int]()  # the run's seed: every hidden input derives from it
RECORDS = pytest.StashKey[list[dict]]()  # one verdict per test, in the order they ran
VERSIONS = pytest.StashKey[dict]()  # the worker's Python, NumPy, TensorFlow versions
OUTPUT = pytest.StashKey[str]()  # the tail of what the student's code printed
TIMINGS = pytest.StashKey[dict]()  # the worker's start-up and call times
RETURNS = pytest.StashKey[dict[str, ReturnSpec]]()  # "module.function" → its return type
PRELOAD_TF = pytest.StashKey[bool]()  # whether workers import TensorFlow before the student
SETUP_S = pytest.StashKey[float]()  # per item: its fixtures' time, added to its duration
STUDENT = pytest.StashKey[SubmissionProxy]()  # the submission under test, once started
PARTIAL_CREDIT = pytest.StashKey[bool]()  # whether metric tests with a ramp earn a share
METRIC = pytest.StashKey[float]()  # per item: the value a metric test measured
PARTIAL_CREDIT_HELP = (
    "metric tests with a ramp marker earn partial credit: on, off "
    "(default: the course's tests/exercises/course.toml, partial_credit)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grade", "grading a submission")
    group.addoption(
        "--target",
        help="submission folder the `student` fixture imports (default: the reference solutions)",
    )
    group.addoption("--reference-dir", help="reference solutions for the `reference` fixture")
    group.addoption("--grade-seed", type=int, help="seed of this run's hidden inputs")
    group.addoption("--grade-results", help="write the verdicts to this JSON file")
    group.addoption("--worker-threads", type=int, default=2, help="TensorFlow threads per worker")
    group.addoption(
        "--worker-memory-gb", type=float, default=6.0, help="resident memory limit of a worker"
    )
    group.addoption("--partial-credit", choices=("on", "off"), help=PARTIAL_CREDIT_HELP)
    group.addoption(
        "--no-preload-tf",
        action="store_true",
        help="do not import TensorFlow in workers before the student's code",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what the test is worth")
    config.addinivalue_line("markers", "exercise(name): the exercise (default: from the file)")
    config.addinivalue_line(
        "markers",
        "ramp(floor, bar): partial credit on the value the test passes to `metric`: none "
        "at or below floor, all points at bar, linear between (when the course says so)",
    )
    config.addinivalue_line(
        "markers",
        "numpy_only: the exercise needs no TensorFlow; a run "
        "of numpy_only tests alone starts its workers without the TF preload",
    )
    seed = config.getoption("grade_seed")
    config.stash[SEED] = seed if seed is not None else secrets.randbelow(2**31)
    config.stash[RECORDS] = []
    config.stash[VERSIONS] = {}
    config.stash[OUTPUT] = ""
    config.stash[TIMINGS] = {}
    course = Course(_course_root(config))
    config.stash[RETURNS] = course_returns(course)
    switch = config.getoption("partial_credit")
    config.stash[PARTIAL_CREDIT] = course.partial_credit if switch is None else switch == "on"


# -- fixtures -------------------------------------------------------------------------
def _course_root(config: pytest.Config) -> Path:
    return find_course_root(Path(config.rootpath)) or find_course_root(Path.cwd()) or Path.cwd()


def pytest_collection_finish(session: pytest.Session) -> None:
    # Importing TensorFlow is most of a worker's start-up: skip it when no selected test
    # needs it (a course run holds TF exercises, so students' full runs still preload it).
    config, items = session.config, session.items
    numpy_only = bool(items) and all(item.get_closest_marker("numpy_only") for item in items)
    config.stash[PRELOAD_TF] = not (numpy_only or config.getoption("no_preload_tf"))


def _start_submission(config: pytest.Config, folder: Path, label: str) -> SubmissionProxy:
    limits = Limits(memory_bytes=int(config.getoption("worker_memory_gb") * GiB))
    preload_tf = config.stash.get(PRELOAD_TF, not config.getoption("no_preload_tf"))
    spec = LaunchSpec(
        submission_dir=folder,
        work_dir=Path(tempfile.gettempdir()),
        seed=config.stash[SEED],
        threads=config.getoption("worker_threads"),
        preload_tf=preload_tf,
        limits=limits,
    )
    return SubmissionProxy(Worker(spec), label, config.stash[RETURNS])


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest):
    """The submission under test, behind an untrusted worker."""
    config = request.config
    target = config.getoption("target") or _course_root(config) / "solutions"
    submission = _start_submission(config, Path(target).resolve(), "student")
    config.stash[STUDENT] = submission
    yield submission
    config.stash[VERSIONS].update(submission.worker.versions)
    submission.close()
    config.stash[OUTPUT] = submission.worker.output_tail()
    config.stash[TIMINGS] = submission.worker.timings


@pytest.fixture(scope="session")
def student_source(request: pytest.FixtureRequest):
    """``student_source("module")``: the text of a submitted module, read (never imported)
    in the trusted process, for static checks; ``""`` when the module is missing."""
    config = request.config
    folder = Path(config.getoption("target") or _course_root(config) / "solutions")

    def read(module: str) -> str:
        path = folder / f"{module}.py"
        return path.read_text(errors="replace") if path.is_file() else ""

    return read


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest):
    """The reference solution in a worker of its own (hidden tests only)."""
    config = request.config
    folder = Path(config.getoption("reference_dir") or _course_root(config) / "solutions")
    if not folder.is_dir():
        raise GraderError(f"the reference solutions are not available ({folder})")
    submission = _start_submission(config, folder.resolve(), "reference")
    yield submission
    submission.close()


@pytest.fixture(scope="session")
def run_seed(request: pytest.FixtureRequest) -> int:
    """This run's seed (recorded in the result; ``--seed`` reproduces the run)."""
    return request.config.stash[SEED]


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """A seed for this test, derived from the run's seed and the test's name."""
    digest = hashlib.sha256(f"{request.config.stash[SEED]}:{request.node.nodeid}".encode())
    return int.from_bytes(digest.digest()[:4], "big")


@pytest.fixture
def metric(request: pytest.FixtureRequest):
    """``metric(value)``: the value a metric test measured, before it checks its bar. With
    partial credit on, a test that falls short earns its ramp's share of its points."""

    def record(value: float) -> None:
        request.node.stash[METRIC] = float(value)

    return record


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    """A trusted-side generator for this test's hidden inputs."""
    return np.random.default_rng(seed)


@pytest.fixture
def student_rng(student: SubmissionProxy, seed: int):
    """A generator in the worker, seeded like ``rng``, for the student's ``rng`` arguments."""
    return student.helper("make_rng").options(keep=True)(seed + 1)


# -- verdicts -------------------------------------------------------------------------
def test_identity(item: pytest.Item) -> tuple[str, str]:
    """(exercise, visibility) of a test, from its file's place in the course
    (``tests/exercises/<exercise>/[hidden/]test_*.py``) or its ``exercise`` marker."""
    path = Path(str(item.fspath))
    marker = item.get_closest_marker("exercise")
    exercise = marker.args[0] if marker else _exercise_of_folder(path.parent)
    visibility = "hidden" if path.parent.name == "hidden" else "public"
    return exercise, visibility


@functools.cache
def _exercise_of_folder(folder: Path) -> str:
    root = find_course_root(folder)
    return Course(root).exercise_of(folder / "test.py") if root else folder.name


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 0.0


def _clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 20] + " [...truncated]"


# What a test raises when it uses a value the student's code returned and the value is
# not what the contract says (unpacking a tuple that is not one, indexing past its end).
# The reference passes every test (``grade check``), so these are the student's errors.
STUDENT_VALUE_ERRORS = (TypeError, ValueError, LookupError, AttributeError, ArithmeticError)


TRACEBACK_LINES = 8  # at most this many lines of the student's traceback in a message


def last_frames(traceback_text: str) -> str:
    """The innermost frames of a traceback, whole (from a ``File`` line), without the
    final exception line, which the message already says."""
    lines = traceback_text.rstrip().splitlines()
    last_frame = max((i for i, line in enumerate(lines) if line.startswith("  File ")), default=-1)
    if last_frame < 0:
        return ""
    source_lines = [line for line in lines[last_frame + 1 :] if line.startswith("    ")]
    kept = (lines[: last_frame + 1] + source_lines)[-TRACEBACK_LINES:]
    while kept and not kept[0].startswith("  File "):
        kept.pop(0)
    return "\n".join(kept)


# Lines of pytest's assertion report that speak of pytest's options, not the student's code.
PYTEST_NOISE = re.compile(r"^\s*(Use -v to get more diff|Full diff:|.*use -vv? to show)")


def verdict(excinfo, hidden: bool) -> tuple[str, str, bool]:
    """(outcome, message, grader_fault) for a test that raised; hides hidden details."""
    exc = excinfo.value
    if isinstance(exc, WorkerTimeout):
        return "timeout", str(exc), False
    if isinstance(exc, StudentError) and exc.type_name == "NotImplementedError":
        return "not_started", "still raises the stub's NotImplementedError", False
    if isinstance(exc, StudentError):
        shown = "" if hidden else last_frames(exc.traceback)
        return "error", _clip(f"your code raised {exc}" + (f"\n{shown}" if shown else "")), False
    if isinstance(exc, SubmissionFault):
        return "error", _clip(str(exc)), False
    if isinstance(exc, AssertionError):
        text = str(exc)
        # The author's message, without pytest's "assert left == right" report after it
        authors = "" if text.startswith("assert ") else text.split("\nassert ")[0]
        if hidden:
            return "failed", _clip(authors or "a hidden check failed"), False
        if not authors:  # pytest's report is all there is: keep it, without its options
            authors = "\n".join(line for line in text.splitlines() if not PYTEST_NOISE.match(line))
        return "failed", _clip(authors or "assertion failed"), False
    if excinfo.typename == "Failed":
        text = str(exc)
        if text.startswith("Timeout"):
            return "timeout", "the test ran past the grader's own time limit", False
        return "failed", _clip(text), False
    if isinstance(exc, STUDENT_VALUE_ERRORS) and not isinstance(exc, GraderError):
        detail = f"{excinfo.typename}" if hidden else f"{excinfo.typename}: {exc}"
        return "error", _clip(f"the test could not use what your code returned ({detail})"), False
    return "error", _clip(f"grader error ({excinfo.typename}): {exc}"), True


def student_location(item: pytest.Item, excinfo) -> Location | None:
    """Where in the submission a failed public test points: the innermost frame of the
    student's code in what it raised, else the last submitted function the test called."""
    submission = item.config.stash.get(STUDENT, None)
    if submission is None:
        return None
    folder = submission.worker.spec.submission_dir
    if excinfo is not None and isinstance(excinfo.value, StudentError):
        if found := innermost_frame(excinfo.value.traceback, folder):
            return found
    called = submission.worker.last_module_call
    return definition(folder, *called) if called else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if submission := item.config.stash.get(STUDENT, None):
        submission.worker.last_module_call = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if call.when == "setup":  # fixture time (a worker's start, a model's training) counts
        item.stash[SETUP_S] = call.duration
    if call.when == "call" or (call.when == "setup" and not report.passed):
        exercise, visibility = test_identity(item)
        max_points = _points(item)
        if report.passed:
            outcome, message, grader_fault = "passed", "", False
        elif report.skipped:
            outcome, message = "error", "skipped: " + _clip(str(call.excinfo.value))
            grader_fault = False
        else:
            outcome, message, grader_fault = verdict(call.excinfo, visibility == "hidden")
        crash = call.excinfo is not None and isinstance(call.excinfo.value, WorkerCrashed)
        failed_public = outcome != "passed" and visibility == "public"
        location = student_location(item, call.excinfo) if failed_public else None
        points = max_points if outcome == "passed" else 0.0
        measured = item.stash.get(METRIC, None)
        marker = item.get_closest_marker("ramp")
        ramp = Ramp(**marker.kwargs) if marker else None
        partial = ramp and item.config.stash[PARTIAL_CREDIT] and outcome == "failed"
        if partial and measured is not None and measured < ramp.bar:  # short of the bar only
            points = ramp.points(measured, max_points)
            message = f"partial credit on a measured metric: {points:g} of {max_points:g} points"
        item.config.stash[RECORDS].append(
            {
                "nodeid": item.nodeid,
                "exercise": exercise,
                "visibility": visibility,
                "name": item.name,
                "outcome": outcome,
                "points": points,
                "metric": measured,
                "max_points": max_points,
                "message": message,
                "duration_s": round(
                    call.duration + (item.stash.get(SETUP_S, 0.0) if call.when == "call" else 0.0),
                    3,
                ),
                "grader_fault": grader_fault,
                "crash": crash,
                "location": location,
            }
        )
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    path = config.getoption("grade_results")
    if not path:
        return
    collected = []
    for item in session.items:
        exercise, visibility = test_identity(item)
        collected.append(
            {
                "nodeid": item.nodeid,
                "exercise": exercise,
                "visibility": visibility,
                "name": item.name,
                "max_points": _points(item),
            }
        )
    data = {
        "seed": config.stash[SEED],
        "versions": config.stash[VERSIONS],
        "output": config.stash[OUTPUT],
        "timings": config.stash[TIMINGS],
        "records": config.stash[RECORDS],
        "collected": collected,
        "finished": time.time(),
    }
    tmp = Path(path).with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    shutil.move(tmp, path)
