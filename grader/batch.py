"""Grading a whole class: every submission of a folder, in parallel, resumable.

Each entry of the submissions folder (a folder, a ``.zip`` or an ``.ipynb``) is one
submission, graded by the pure function ``grade_submission``. Threads of an executor
only supervise the grading subprocesses (this process never imports TensorFlow, so
nothing is forked from a TensorFlow process). As each submission finishes, its result
is appended to ``OUT_DIR/results.jsonl`` (see ``grader.results``) with the hash of
its files and of the test suite: a rerun skips the submissions whose result still
holds, so a killed batch loses at most the submissions in flight. The reports are
rebuilt from that file at the end.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import secrets
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import grader
from grader.course import POINTS_PER_EXERCISE, Course
from grader.grading import GradeOptions, grade_submission
from grader.results import RESULTS_NAME, append_result, end_torn_line, read_results

SUBMISSION_SUFFIXES = (".zip", ".ipynb")
LOCK_NAME = ".batch.lock"


class BatchError(Exception):
    """The batch cannot start: bad input, an unusable output folder, no scheduler."""


@dataclass(frozen=True)
class Entry:
    """One submission of the class: its id and where it is."""

    id: str
    path: Path


@dataclass
class BatchEvent:
    """What ``on_progress`` hears: the plan, then each submission skipped or graded."""

    kind: str  # "plan", "skipped" or "graded"
    done: int
    total: int
    submission: str | None = None
    result: dict | None = None
    to_grade: int = 0


@dataclass
class BatchSummary:
    """The outcome of a batch, for the caller to print."""

    out_dir: Path
    results: dict[str, dict]  # id → latest result, for the submissions of this run
    graded: int
    skipped: int
    seed: int
    threads: int
    wall_s: float
    ignored: list[str] = field(default_factory=list)
    damaged_lines: int = 0
    reports: list[Path] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results.values())


# -- the class -------------------------------------------------------------------------
def find_submissions(folder: Path, exclude: Path | None = None) -> tuple[list[Entry], list[str]]:
    """The submissions of ``folder`` sorted by id, and the names of entries ignored."""
    if not folder.exists():
        raise BatchError(f"the submissions folder {folder} does not exist")
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder (give the folder that holds the submissions)")
    entries, ignored = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "__MACOSX")) or (
            exclude is not None and path.resolve() == exclude.resolve()
        ):
            continue
        if path.is_dir() or path.suffix in SUBMISSION_SUFFIXES:
            entries.append(
                Entry(path.name.removesuffix(path.suffix) if not path.is_dir() else path.name, path)
            )
        else:
            ignored.append(path.name)
    if not entries:
        raise BatchError(
            f"no submissions in {folder}: expected one folder, .zip or .ipynb per student"
        )
    seen: dict[str, Path] = {}
    for entry in entries:
        if entry.id in seen:
            raise BatchError(
                f"two submissions have the id {entry.id!r}: "
                f"{seen[entry.id].name} and {entry.path.name}"
            )
        seen[entry.id] = entry.path
    return entries, ignored


def content_hash(path: Path) -> str:
    """A hash of a submission's files (names and bytes): it changes when the work does."""
    digest = hashlib.sha256()
    if path.is_file():
        _hash_file(digest, path)
        return digest.hexdigest()[:16]
    for item in sorted(path.rglob("*")):
        relative = item.relative_to(path)
        if "__pycache__" in relative.parts:
            continue
        if item.is_symlink():
            digest.update(f"link {relative} {os.readlink(item)}\n".encode())
        elif item.is_file():
            digest.update(f"file {relative}\n".encode())
            _hash_file(digest, item)
    return digest.hexdigest()[:16]


def _hash_file(digest, path: Path) -> None:
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# -- one submission --------------------------------------------------------------------
def grade_one(entry: Entry, course: Course, options: GradeOptions) -> dict:
    """Grade one submission; any grader exception becomes a ``grader_error`` result.

    A top-level function, so that a Dask worker can run it.
    """
    try:
        return grade_submission(entry.path, course, options, label=entry.id)
    except Exception as exc:  # one submission's grader fault never stops the batch
        return error_result(entry.id, course, options, exc)


def error_result(
    submission: str, course: Course, options: GradeOptions, exc: BaseException
) -> dict:
    """A canonical ``grader_error`` result for a grading that raised."""
    exercises = list(options.exercises) or course.exercises()
    trace = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {
        "submission": submission,
        "score": 0.0,
        "max_score": float(POINTS_PER_EXERCISE * len(exercises)),
        "status": "grader_error",
        "seed": options.seed,
        "message": f"the grader failed on this submission: {trace}",
        "exercises": {
            name: {"score": 0.0, "max_score": 0.0, "hidden_points_absent": 0.0, "tests": []}
            for name in exercises
        },
        "warnings": [],
        "output": "",
        "provenance": {
            "grader_version": grader.__version__,
            "suite_hash": course.suite_hash(),
            "python": platform.python_version(),
            "visibilities": list(options.visibilities),
            "exercises": exercises,
        },
    }


def run_key(
    content: str, suite: str, exercises: list[str], options: GradeOptions, seed: int
) -> str:
    """What a result depends on: when this is unchanged, the result still holds."""
    inputs = {
        "content": content,
        "suite": suite,
        "exercises": exercises,
        "seed": seed,
        "visibilities": list(options.visibilities),
        "keyword": options.keyword,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


# -- the batch -------------------------------------------------------------------------
def grade_batch(
    submissions_dir: Path,
    out_dir: Path,
    course: Course,
    options: GradeOptions | None = None,
    jobs: int = 1,
    seed: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    on_progress: Callable[[BatchEvent], None] | None = None,
) -> BatchSummary:
    """Grade every submission of ``submissions_dir`` into ``out_dir`` and write the reports.

    ``jobs`` submissions are graded at once on the local pool (or as many as the given
    ``executor`` runs), each worker with ``cores // jobs`` TensorFlow threads. Without
    ``force``, a submission whose last result has the same files, test suite, exercises
    and seed is not graded again; nor is one whose result was a grader error kept.
    """
    from grader.reports import write_reports  # matplotlib is needed only here

    started = time.monotonic()
    notify = on_progress or (lambda event: None)
    options = options or GradeOptions()
    if jobs < 1:
        raise BatchError("--jobs must be at least 1")
    exercises = list(options.exercises) or course.exercises()
    if problem := course.unknown_exercises_message(exercises):
        raise BatchError(problem)
    entries, ignored = find_submissions(Path(submissions_dir), exclude=Path(out_dir))
    out_dir = Path(out_dir)
    results_path = out_dir / RESULTS_NAME
    with _locked_out_dir(out_dir):
        end_torn_line(results_path)
        previous = read_results(results_path)
        latest = previous.latest()
        if seed is None:  # a resumed batch keeps the seed it started with
            seed = _last_seed(previous.records)
        threads = max(1, available_cores() // jobs)
        run_options = replace(options, exercises=tuple(exercises), seed=seed, threads=threads)
        suite = course.suite_hash()

        pending: list[tuple[Entry, dict]] = []
        kept: dict[str, dict] = {}
        for entry in entries:
            content = content_hash(entry.path)
            key = run_key(content, suite, exercises, run_options, seed)
            old = latest.get(entry.id)
            if (
                not force
                and old
                and old.get("batch", {}).get("key") == key
                and old.get("status") != "grader_error"
            ):
                kept[entry.id] = old
            else:
                pending.append(
                    (
                        entry,
                        {
                            "entry": entry.path.name,
                            "content_hash": content,
                            "suite_hash": suite,
                            "key": key,
                            "seed": seed,
                        },
                    )
                )
        total = len(entries)
        notify(BatchEvent("plan", done=len(kept), total=total, to_grade=len(pending)))
        for done, submission in enumerate(kept, start=1):
            notify(
                BatchEvent(
                    "skipped",
                    done=done,
                    total=total,
                    submission=submission,
                    result=kept[submission],
                )
            )

        fresh = _grade_all(
            pending,
            course,
            run_options,
            jobs,
            executor,
            results_path,
            lambda sid, result, n: notify(
                BatchEvent("graded", done=len(kept) + n, total=total, submission=sid, result=result)
            ),
        )
        reports = write_reports(out_dir)
    current = {entry.id: fresh.get(entry.id) or kept[entry.id] for entry in entries}
    return BatchSummary(
        out_dir=out_dir,
        results=current,
        graded=len(fresh),
        skipped=len(kept),
        seed=seed,
        threads=threads,
        wall_s=round(time.monotonic() - started, 1),
        ignored=ignored,
        damaged_lines=previous.damaged,
        reports=reports,
    )


def _grade_all(
    pending: list[tuple[Entry, dict]],
    course: Course,
    options: GradeOptions,
    jobs: int,
    executor: Executor | None,
    results_path: Path,
    finished: Callable[[str, dict, int], None],
) -> dict[str, dict]:
    """Grade ``pending`` on the executor; append each result the moment it is back."""
    if not pending:
        return {}
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    fresh: dict[str, dict] = {}
    futures: dict[Future, tuple[Entry, dict]] = {}
    try:
        for entry, meta in pending:
            futures[pool.submit(grade_one, entry, course, options)] = (entry, meta)
        for future in as_completed(futures):
            entry, meta = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the executor itself failed (a lost Dask worker...)
                result = error_result(entry.id, course, options, exc)
            result["batch"] = {**meta, "finished": datetime.now(UTC).isoformat(timespec="seconds")}
            append_result(results_path, result)
            fresh[entry.id] = result
            finished(entry.id, result, len(fresh))
    except BaseException:
        for future in futures:  # interrupted: start nothing more; what is written stays
            future.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
    return fresh


def _last_seed(records: list[dict]) -> int:
    for record in reversed(records):
        seed = record.get("batch", {}).get("seed")
        if isinstance(seed, int):
            return seed
    return secrets.randbelow(2**31)


@contextlib.contextmanager
def _locked_out_dir(out_dir: Path) -> Iterator[None]:
    """Create ``out_dir`` and hold its lock: two batches never write one results file."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"the output {out_dir} exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BatchError(
            f"cannot write to the output folder {out_dir}: {exc.strerror or exc}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(f"another grade batch is writing to {out_dir}") from None
        yield
    finally:
        os.close(fd)


# -- a Dask cluster --------------------------------------------------------------------
@contextlib.contextmanager
def dask_executor(address: str, connect_timeout_s: float = 20) -> Iterator[Executor]:
    """An executor that runs each grading on the Dask cluster at ``address``.

    The cluster's workers must see the submissions and the course at the same paths
    (a shared filesystem) and have this package installed.
    """
    try:
        from distributed import Client
    except ImportError:
        raise BatchError("--scheduler needs Dask distributed: pip install 'grade[dask]'") from None
    try:
        client = Client(address, timeout=connect_timeout_s)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
