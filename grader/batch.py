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
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from grader.assignments import apply_lateness, lateness, submitted_at
from grader.course import Assignment, Course
from grader.grading import (
    GradeOptions,
    describe_fault,
    failed_result,
    grade_prepared,
)
from grader.reports import write_reports
from grader.results import (
    RESULTS_NAME,
    ResultsFile,
    append_result,
    end_torn_line,
    read_results,
)
from grader.safe_text import SUBMISSION_SUFFIXES, file_stem, printable, unique_ids
from grader.sandbox.isolation import EnvironmentModified
from grader.similarity import SOURCES_NAME
from grader.submission import InvalidSubmission, PreparedSubmission, prepare

LOCK_NAME = ".batch.lock"
STAGING_NAME = ".staging"


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
    not_on_roster: list[str] = field(default_factory=list)  # submissions of nobody listed
    damaged_lines: int = 0
    reports: list[Path] = field(default_factory=list)
    report_problems: list[str] = field(default_factory=list)  # report files not written

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results.values())


# -- the class -------------------------------------------------------------------------
def find_submissions(folder: Path, exclude: Path | None = None) -> tuple[list[Entry], list[str]]:
    """The submissions of ``folder`` sorted by id, and the names of entries ignored.

    An entry is a submission when it is a folder or its name ends in ``.zip`` or
    ``.ipynb`` (whatever it really is: ``prepare`` says why a FIFO named ``x.zip`` is not
    gradeable). Nothing is opened here and no link is followed but to ask "a folder?".
    """
    if not folder.exists():
        raise BatchError(f"the submissions folder {folder} does not exist")
    if not folder.is_dir():
        raise BatchError(f"{folder} is not a folder (give the folder that holds the submissions)")
    excluded = _identity(exclude) if exclude is not None else None
    try:
        listing = sorted(os.scandir(folder), key=lambda item: item.name)
    except OSError as exc:
        raise BatchError(f"cannot list {folder}: {exc.strerror or exc}") from None
    names, ignored = [], []
    for item in listing:
        if item.name.startswith((".", "__MACOSX")) or (
            excluded is not None and _identity(Path(item.path)) == excluded
        ):
            continue
        if _is_folder(item) or item.name.endswith(SUBMISSION_SUFFIXES):
            names.append(item.name)
        else:
            ignored.append(printable(item.name))
    if not names:
        raise BatchError(
            f"no submissions in {folder}: expected one folder, .zip or .ipynb per student"
        )
    ids = unique_ids(names)
    entries = sorted((Entry(ids[name], folder / name) for name in names), key=lambda e: e.id)
    return entries, ignored


def _is_folder(item: os.DirEntry) -> bool:
    try:
        return item.is_dir()  # follows a link; a loop or a dangling link is not a folder
    except OSError:
        return False


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def content_hash(prepared: PreparedSubmission) -> str:
    """A hash of a prepared copy (names, bytes and warnings): exactly what is graded.

    The copy holds only regular files the grader wrote, so nothing here can block.
    """
    digest = hashlib.sha256()
    root = prepared.folder
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(b"file " + os.fsencode(path.relative_to(root)) + b"\n")
            digest.update(path.read_bytes())
    for warning in prepared.warnings:
        digest.update(b"warning " + warning.encode("utf-8", "backslashreplace") + b"\n")
    return digest.hexdigest()[:16]


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# -- one submission --------------------------------------------------------------------
@dataclass
class Staged:
    """A submission copied for grading, or the result that replaces its grading."""

    entry: Entry
    prepared: PreparedSubmission | None
    content: str  # the hash the run key is made of
    result: dict | None = None  # set when there is nothing to grade (invalid, or a fault)


def stage(entry: Entry, staging: Path, course: Course, options: GradeOptions) -> Staged:
    """Copy ``entry`` under ``staging`` and hash the copy; never raises for the entry."""
    try:
        prepared = prepare(entry.path, staging, course.exercises())
        graded = list(options.exercises) or course.exercises()
        if not any((prepared.folder / f"{name}.py").is_file() for name in graded):
            message = f"nothing to grade: no module {', '.join(graded)} was handed in"
            result = failed_result(entry.id, course, options, "empty", message)
            result["warnings"] = prepared.warnings
            return Staged(entry, None, "empty-" + content_hash(prepared), result)
        return Staged(entry, prepared, content_hash(prepared))
    except InvalidSubmission as exc:
        result = failed_result(entry.id, course, options, "invalid_submission", str(exc))
        reason = hashlib.sha256(str(exc).encode("utf-8", "backslashreplace"))
        return Staged(entry, None, "invalid-" + reason.hexdigest()[:16], result)
    except Exception as exc:  # the boundary of one submission: a reason, never a crash
        result = failed_result(entry.id, course, options, "grader_error", describe_fault(exc))
        return Staged(entry, None, "fault", result)


def keep_sources(staged: Staged, dest: Path, exercises: list[str]) -> None:
    """Keep the exercise modules a submission handed in (``OUT/sources/<id>/``), for the
    similarity report; a module that cannot be kept is only missing from it."""
    if staged.prepared is None:
        return
    for name in exercises:
        module = staged.prepared.folder / f"{name}.py"
        if module.is_file():
            with contextlib.suppress(OSError):
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(module, dest / module.name)


def grade_one(staged: Staged, course: Course, options: GradeOptions) -> dict:
    """Grade one staged submission; a grader error is retried once, then kept.

    A top-level function, so that a Dask worker can run it.
    """
    if staged.result is not None:
        return staged.result
    result = _grade_guarded(staged, course, options)
    if result["status"] == "grader_error":  # the grader's own fault: once more, by itself
        result = _grade_guarded(staged, course, options)
        result["retried"] = True
    return result


def _grade_guarded(staged: Staged, course: Course, options: GradeOptions) -> dict:
    try:
        return grade_prepared(staged.prepared, course, options, staged.entry.id)
    except EnvironmentModified:
        raise
    except Exception as exc:  # one submission's grader fault never stops the batch
        return failed_result(staged.entry.id, course, options, "grader_error", describe_fault(exc))


def run_key(
    content: str,
    suite: str,
    exercises: list[str],
    options: GradeOptions,
    seed: int,
    context: dict | None = None,
) -> str:
    """What a result depends on: when this is unchanged, the result still holds.
    ``context``: what else the result was made with (an assignment's weights, the
    submission's lateness)."""
    inputs = {
        "context": context or {},
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
    assignment: Assignment | None = None,
    roster: dict[str, dict] | None = None,
    submitted: datetime | None = None,
    only: frozenset[str] | None = None,
) -> BatchSummary:
    """Grade every submission of ``submissions_dir`` into ``out_dir`` and write the reports.

    ``jobs`` submissions are graded at once on the local pool (or as many as the given
    ``executor`` runs), each worker with ``cores // jobs`` TensorFlow threads. Without
    ``force``, a submission whose last result has the same files, test suite, exercises
    and seed is not graded again; nor is one whose result was a grader error kept.

    With an ``assignment``: its exercises, its weights (recorded for the gradebook) and
    its late policy (each submission timed by its files, or all at ``submitted``). With
    a ``roster``: a student who handed in nothing is ``missing``, a
    submission of nobody on it is flagged. A submission graded before and gone from the
    folder now is recorded ``removed``. With ``only`` (submission ids), just those are
    graded again (as with ``force``); the others keep their last result.
    """
    started = time.monotonic()
    notify = on_progress or (lambda event: None)
    options = options or GradeOptions()
    if jobs < 1:
        raise BatchError("--jobs must be at least 1")
    if assignment is not None:
        if options.exercises:
            raise BatchError("give an assignment or exercises, not both")
        options = replace(options, exercises=tuple(assignment.exercises))
    exercises = list(options.exercises) or course.exercises()
    if problem := course.unknown_exercises_message(exercises):
        raise BatchError(problem)
    entries, ignored = find_submissions(Path(submissions_dir), exclude=Path(out_dir))
    if only is not None and (unknown := sorted(only - {entry.id for entry in entries})):
        raise BatchError(
            f"no submission {', '.join(map(printable, unknown))} in {submissions_dir} "
            f"(its ids: {', '.join(entry.id for entry in entries[:20])})"
        )
    out_dir = Path(out_dir)
    results_path = out_dir / RESULTS_NAME
    with _locked_out_dir(out_dir):
        end_torn_line(results_path)
        previous = read_results(results_path)
        latest = previous.latest_per_exercises()
        if seed is None:  # a resumed batch keeps the seed it started with
            seed = _last_seed(previous.records)
        threads = max(1, available_cores() // jobs)
        run_options = replace(options, exercises=tuple(exercises), seed=seed, threads=threads)
        suite = course.suite_hash()
        staging_root = _staging_root(out_dir, executor)
        try:
            pending: list[tuple[Staged, dict]] = []
            kept: dict[str, dict] = {}
            merged = previous.merged()
            for index, entry in enumerate(entries):
                if only is not None and entry.id not in only:  # --only: the rest stays
                    if entry.id in merged:
                        kept[entry.id] = merged[entry.id]
                    continue
                staged = stage(entry, staging_root / str(index), course, run_options)
                keep_sources(staged, out_dir / SOURCES_NAME / file_stem(entry.id), exercises)
                context = _context(entry, assignment, roster, submitted)
                key = run_key(staged.content, suite, exercises, run_options, seed, context)
                old = latest.get((entry.id, tuple(sorted(exercises))))
                if (
                    not force
                    and only is None
                    and old
                    and old.get("batch", {}).get("key") == key
                    and old.get("status") != "grader_error"
                ):
                    kept[entry.id] = old
                    _discard(staged)
                else:
                    meta = {
                        "entry": printable(entry.path.name),
                        "content_hash": staged.content,
                        "suite_hash": suite,
                        "key": key,
                        "seed": seed,
                        **context,
                    }
                    pending.append((staged, meta))
            absent = (
                _absent(entries, roster, previous, exercises, course, run_options)
                if only is None
                else []
            )
            for staged in absent:  # recorded like the others, without grading
                key = run_key(staged.content, suite, exercises, run_options, seed)
                old = merged.get(staged.entry.id)
                if old and old.get("batch", {}).get("key") == key:
                    kept[staged.entry.id] = old
                else:
                    pending.append((staged, {"key": key, "seed": seed, "suite_hash": suite}))
            total = len(entries) + len(absent)
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
                    BatchEvent(
                        "graded", done=len(kept) + n, total=total, submission=sid, result=result
                    )
                ),
            )
        finally:
            shutil.rmtree(staging_root, ignore_errors=True)
        reports = write_reports(out_dir, stubs_dir=course.stubs_dir)
    current = {
        sid: fresh.get(sid) or kept[sid]
        for sid in [*(e.id for e in entries), *(staged.entry.id for staged in absent)]
        if sid in fresh or sid in kept
    }
    return BatchSummary(
        out_dir=out_dir,
        results=current,
        graded=len(fresh),
        skipped=len(kept),
        seed=seed,
        threads=threads,
        wall_s=round(time.monotonic() - started, 1),
        ignored=ignored,
        not_on_roster=[e.id for e in entries if roster is not None and e.id not in roster],
        damaged_lines=previous.damaged,
        reports=reports.written,
        report_problems=reports.problems,
    )


def _context(
    entry: Entry, assignment: Assignment | None, roster: dict | None, submitted: datetime | None
) -> dict:
    """What a submission's result depends on besides its files: the assignment (weights
    for the gradebook), how late it came, whether its id is on the roster."""
    context: dict = {}
    if assignment is not None:
        context["assignment"] = assignment.as_record()
        try:
            late = lateness(assignment, submitted or submitted_at(entry.path))
        except OSError:  # a submission that cannot be timed is taken as on time
            late = None
        if late:
            context["late"] = late
    if roster is not None:
        context["on_roster"] = entry.id in roster
    return context


def _absent(
    entries: list[Entry],
    roster: dict | None,
    previous: ResultsFile,
    exercises: list[str],
    course: Course,
    options: GradeOptions,
) -> list[Staged]:
    """Results for students with nothing in the folder: ``missing`` (on the roster) and
    ``removed`` (graded before, gone now)."""
    present = {entry.id for entry in entries}
    absent = []
    for sid in sorted(set(roster or ()) - present):
        result = failed_result(sid, course, options, "missing", "nothing was handed in")
        absent.append(Staged(Entry(sid, Path(sid)), None, "missing", result))
    earlier = {r["submission"] for r in previous.records if r.get("status") != "missing"}
    for sid in sorted(earlier - present - set(roster or ())):
        message = "graded before, but no longer in the submissions folder"
        result = failed_result(sid, course, options, "removed", message)
        result.update(exercises={}, score=0.0, max_score=0.0)  # its grades stay, marked
        absent.append(Staged(Entry(sid, Path(sid)), None, "removed", result))
    return absent


def _staging_root(out_dir: Path, executor: Executor | None) -> Path:
    """Where submissions are copied for grading: a private temporary folder, or (for a
    cluster, whose workers must see it) a folder inside ``out_dir``."""
    if executor is None:
        return Path(tempfile.mkdtemp(prefix="grade-batch-"))
    root = out_dir / STAGING_NAME
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    return root


def _discard(staged: Staged) -> None:
    if staged.prepared is not None:
        shutil.rmtree(staged.prepared.folder, ignore_errors=True)


def _grade_all(
    pending: list[tuple[Staged, dict]],
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
    futures: dict[Future, tuple[Staged, dict]] = {}
    try:
        for staged, meta in pending:
            futures[pool.submit(grade_one, staged, course, options)] = (staged, meta)
        for future in as_completed(futures):
            staged, meta = futures[future]
            sid = staged.entry.id
            try:
                result = future.result()
            except EnvironmentModified:
                raise
            except Exception as exc:  # the executor itself failed (a lost Dask worker...)
                result = failed_result(sid, course, options, "grader_error", describe_fault(exc))
            _discard(staged)
            if result["status"] == "graded":
                apply_lateness(result, meta.get("late"))
            if meta.get("on_roster") is False:
                result["warnings"].append("this submission's id is not on the roster")
            result["batch"] = {**meta, "finished": datetime.now(UTC).isoformat(timespec="seconds")}
            append_result(results_path, result)
            fresh[sid] = result
            finished(sid, result, len(fresh))
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
