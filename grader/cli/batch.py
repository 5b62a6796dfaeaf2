"""`grade batch` and `grade report`: parse, call ``grader.batch``, print progress and a summary.

Exit codes: 0 every submission graded (whatever the scores), 2 a usage or
infrastructure error (including a submission left with a grader error: rerun to
retry it), 130 interrupted (the results written so far are kept: rerun to resume).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader import exports
from grader.assignments import RosterError, read_roster
from grader.batch import (
    BatchError,
    BatchEvent,
    BatchSummary,
    available_cores,
    dask_executor,
    grade_batch,
)
from grader.cli.group import (
    EXIT_ERROR,
    EXIT_FULL,
    course_option,
    load_course,
    main,
    require_instructor_course,
)
from grader.course import CourseError
from grader.grading import GradeOptions
from grader.lms import LAYOUTS, LmsError, prepare_class, read_lms_file
from grader.reports import ReportError, load_results, write_atomic, write_reports
from grader.sandbox.isolation import EnvironmentModified

EXIT_INTERRUPTED = 130


@main.command("batch")
@click.argument("submissions_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Where results.jsonl and the reports go (created if needed).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    help="Submissions graded at once "
    "(default: one per core); each gets cores // jobs TensorFlow threads.",
)
@click.option(
    "--seed",
    type=int,
    help="Seed of the hidden inputs, the same for every "
    "submission (default: the previous run's, else random).",
)
@click.option("--force", is_flag=True, help="Grade again the submissions already graded.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on this Dask distributed scheduler (e.g. tcp://host:8786) instead of the local pool.",
)
@click.option(
    "--exercise",
    "exercises",
    multiple=True,
    metavar="NAME",
    help="Grade only this exercise (repeat for several; default: all).",
)
@click.option(
    "--assignment",
    metavar="NAME",
    help="Grade the assignment assignments/NAME.toml: its exercises, weights and late policy.",
)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV with an 'id' column: students with nothing handed in are listed as missing.",
)
@click.option(
    "--submitted-at",
    "submitted",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Take every submission as handed in at this time (e.g. 2027-01-16T09:00+0000), "
    "not at its files' modification time.",
)
@click.option(
    "--from",
    "layout",
    type=click.Choice(["auto", *LAYOUTS]),
    default="auto",
    show_default=True,
    help="How SUBMISSIONS_DIR (a folder or a .zip) is laid out: an LMS's export "
    "(canvas, moodle, gradescope, classroom: one submission per student, the LMS's ids "
    "kept for the gradebook and `grade export`) or one entry per student (folders).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Grade again only this submission (repeat for several); the others keep their "
    "results, and the reports are rewritten.",
)
@click.option(
    "--partial-credit",
    type=click.Choice(["on", "off"]),
    help="Metric tests with a ramp earn partial credit, or not, for this batch "
    "(default: the course's tests/exercises/course.toml).",
)
@course_option
def batch_command(
    submissions_dir,
    out_dir,
    jobs,
    seed,
    force,
    scheduler,
    exercises,
    assignment,
    roster,
    submitted,
    layout,
    only,
    partial_credit,
    course_path,
) -> None:
    """Grade every submission of SUBMISSIONS_DIR (folders, .zip, .ipynb) into OUT_DIR.

    \b
    Resumable: results are appended to OUT_DIR/results.jsonl as each submission
    finishes; running the same command again grades only what is new or changed.
    Writes gradebook.csv, feedback/<id>.md, report.html, gradescope/<id>/results.json
    and junit.xml.
    """
    course = load_course(course_path)
    require_instructor_course(course, "batch")
    try:
        chosen = course.assignment(assignment) if assignment else None
        students = read_roster(roster) if roster else None
    except (CourseError, RosterError) as exc:
        raise click.UsageError(str(exc)) from None
    jobs = jobs or available_cores()
    console = Console(soft_wrap=True)
    try:
        submissions_dir, layout, read = prepare_class(submissions_dir, out_dir, layout)
    except (LmsError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    if layout != "folders":
        console.print(f"read as a {layout} export: {read} students")
    options = GradeOptions(
        exercises=tuple(exercises),
        partial_credit=None if partial_credit is None else partial_credit == "on",
    )
    try:
        with contextlib.ExitStack() as stack:
            executor = stack.enter_context(dask_executor(scheduler)) if scheduler else None
            printer = stack.enter_context(_progress_printer(console))
            summary = grade_batch(
                submissions_dir,
                out_dir,
                course,
                options,
                jobs=jobs,
                seed=seed,
                force=force,
                executor=executor,
                on_progress=printer,
                assignment=chosen,
                roster=students,
                submitted=submitted,
                only=frozenset(only) if only else None,
            )
    except BatchError as exc:
        raise click.UsageError(str(exc)) from None
    except ReportError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_ERROR)
    except EnvironmentModified as exc:
        console.print(f"[red]stopped:[/] {escape(str(exc))}")
        console.print(f"The results written so far are in {out_dir / 'results.jsonl'}.")
        sys.exit(EXIT_ERROR)
    except OSError as exc:  # the output folder itself failed (a full disk...)
        console.print(f"[red]error:[/] cannot write in {out_dir}: {escape(str(exc))}")
        console.print(f"The results written so far are in {out_dir / 'results.jsonl'}.")
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted.[/] The results written so far are in "
            f"{out_dir / 'results.jsonl'}; run the same command to resume."
        )
        sys.exit(EXIT_INTERRUPTED)
    _print_summary(console, summary)
    failed = summary.count("grader_error") or summary.report_problems
    sys.exit(EXIT_ERROR if failed else EXIT_FULL)


@main.command("report")
@click.argument("out_dir", type=click.Path(path_type=Path))
@course_option
@click.option(
    "--publish",
    is_flag=True,
    help="Grades are published: students' feedback shows why hidden tests failed "
    '(unless their assignment says feedback = "never").',
)
def report_command(out_dir, publish, course_path) -> None:
    """Rebuild the reports of OUT_DIR from its results.jsonl."""
    stubs_dir = load_course(course_path).stubs_dir if course_path else None
    try:
        reports = write_reports(out_dir, publish=publish, stubs_dir=stubs_dir)
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.UsageError(f"cannot write the reports in {out_dir}: {exc}") from None
    click.echo(
        f"wrote {len(reports.written)} files in {out_dir} (report: {out_dir / 'report.html'})"
    )
    for problem in reports.problems:
        click.echo(f"could not write {problem}", err=True)
    sys.exit(EXIT_ERROR if reports.problems else EXIT_FULL)


@main.command("export")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "lms",
    type=click.Choice(["canvas", "moodle"]),
    required=True,
    help="The LMS whose gradebook import the CSV is for.",
)
@click.option(
    "--title",
    default="grade",
    show_default=True,
    help='Canvas: the assignment column\'s title, as in Canvas ("Name (id)" to match one).',
)
def export_command(out_dir, lms, title) -> None:
    """Write OUT_DIR/<lms>.csv: the batch's totals as the LMS imports them."""
    try:
        results, _ = load_results(out_dir)
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    students = read_lms_file(out_dir).get("students", {})
    text, unmatched = exports.lms_gradebook(lms, results, students, title)
    path = write_atomic(out_dir / f"{lms}.csv", text)
    click.echo(f"wrote {path} ({len(results)} students)")
    if unmatched:
        click.echo(
            f"{unmatched} rows carry no {lms} id (the class was not read from a {lms} export): "
            f"{lms} matches them only by the login in the id column, or not at all",
            err=True,
        )


@contextlib.contextmanager
def _progress_printer(console: Console):
    """A progress bar with ETA on a terminal; one plain line per submission otherwise."""
    if not console.is_terminal:

        def plain(event: BatchEvent) -> None:
            if event.kind == "plan":
                click.echo(
                    f"{event.total} submissions: {event.to_grade} to grade, "
                    f"{event.done} already graded",
                    err=False,
                )
            else:
                click.echo(f"[{event.done}/{event.total}] {_describe(event)}")
            sys.stdout.flush()

        yield plain
        return
    progress = Progress(
        TextColumn("[bold]grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    task = None

    def bar(event: BatchEvent) -> None:
        nonlocal task
        if event.kind == "plan":
            console.print(
                f"{event.total} submissions: {event.to_grade} to grade, {event.done} already graded"
            )
            task = progress.add_task("grading", total=event.to_grade)
        elif event.kind == "graded":
            progress.console.print(f"  {escape(_describe(event))}")
            progress.advance(task)

    with progress:
        yield bar


def _describe(event: BatchEvent) -> str:
    result = event.result or {}
    verb = "kept" if event.kind == "skipped" else "graded"
    text = f"{event.submission}: {result.get('score', 0):g} / {result.get('max_score', 0):g}"
    if result.get("status") != "graded":
        text += f" ({result.get('status')})"
    return f"{text} [{verb}]"


def _print_summary(console: Console, summary: BatchSummary) -> None:
    results = list(summary.results.values())
    scores = sorted(r["score"] for r in results)
    console.print(
        f"[bold]{len(results)} submissions[/]: {summary.graded} graded now, "
        f"{summary.skipped} kept from an earlier run, in {summary.wall_s:g} s "
        f"(seed {summary.seed}, {summary.threads} TensorFlow thread(s) per job)"
    )
    console.print(
        f"  {summary.count('graded')} graded, "
        f"{summary.count('invalid_submission')} invalid (zero), "
        f"{summary.count('empty')} empty, {summary.count('missing')} missing, "
        f"{summary.count('removed')} removed, "
        f"{summary.count('grader_error')} grader errors"
    )
    for sid in summary.not_on_roster:
        console.print(f"  [yellow]not on the roster[/]: {escape(sid)}", highlight=False)
    if scores:
        console.print(
            f"  scores: min {scores[0]:g}, median {scores[len(scores) // 2]:g}, "
            f"max {scores[-1]:g} (out of {max(r['max_score'] for r in results):g})"
        )
    for result in results:
        if result["status"] == "invalid_submission":
            console.print(
                f"  [yellow]{escape(result['submission'])}[/]: {escape(result.get('message', ''))}",
                highlight=False,
            )
    for name in summary.ignored:
        console.print(f"  [yellow]ignored[/] {escape(name)}: not a folder, a .zip or an .ipynb")
    if summary.damaged_lines:
        console.print(
            f"  [yellow]{summary.damaged_lines} damaged line(s)[/] of results.jsonl "
            "ignored (a batch killed while writing)"
        )
    for problem in summary.report_problems:
        console.print(f"  [red]report not written[/]: {escape(problem)}", highlight=False)
    if summary.count("grader_error"):
        console.print(
            "  [red]some submissions hit a grader error[/] (a fault of the grader, not of the "
            "student, already retried once): see report.html; run the same command again "
            "to retry them"
        )
    console.print(
        f"  reports: {summary.out_dir / 'report.html'}, "
        f"{summary.out_dir / 'gradebook.csv'}, {summary.out_dir / 'feedback'}/"
    )
