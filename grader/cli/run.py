"""`grade` (run) and `grade check`: grade one submission, or check the reference and stubs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader.catalog import catalog, hidden_points_absent
from grader.checks import run_check
from grader.cli.group import (
    EXIT_ERROR,
    EXIT_FULL,
    EXIT_LOST,
    check_exercise_names,
    course_option,
    load_course,
    main,
    seed_option,
    threads_option,
)
from grader.grading import GradeOptions, grade_submission
from grader.result_view import render


@main.command("run")
@click.argument("exercises", nargs=-1)
@click.option(
    "--submission",
    type=click.Path(exists=True, path_type=Path),
    help="A folder, .zip or .ipynb to grade (default: ./exercises).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the canonical JSON result.")
@click.option("--public-only", is_flag=True, help="Run only the public tests.")
@click.option("-k", "keyword", help="Only tests whose name matches (pytest -k).")
@click.option(
    "-x", "--exitfirst", "first_failure", is_flag=True, help="Stop at the first failed test."
)
@course_option
@seed_option
@threads_option
def run_command(
    exercises, submission, as_json, public_only, keyword, first_failure, course_path, seed, threads
) -> None:
    """Grade a submission (default: the course's exercises/) on the tests present."""
    course = load_course(course_path)
    check_exercise_names(course, exercises)
    here = Path.cwd() / "exercises"
    source = submission or (here if here.exists() else course.stubs_dir)  # any folder below
    if not source.exists():
        raise click.UsageError(f"{source} does not exist: pass --submission PATH")
    options = GradeOptions(
        exercises=tuple(exercises),
        seed=seed,
        threads=threads,
        keyword=keyword,
        first_failure=first_failure,
        visibilities=("public",) if public_only else ("public", "hidden"),
    )
    result = grade_submission(Path(source), course, options)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        print_result(result)
    sys.exit(exit_code(result))


def exit_code(result: dict) -> int:
    if result["status"] == "grader_error":
        return EXIT_ERROR
    return (
        EXIT_FULL
        if result["status"] == "graded" and result["score"] >= result["max_score"] > 0
        else EXIT_LOST
    )


def print_result(result: dict, console: Console | None = None) -> None:
    console = console or Console()
    for part in render(result):
        console.print(part)


@main.command("check")
@click.argument("exercises", nargs=-1)
@course_option
@seed_option
@threads_option
def check_command(exercises, course_path, seed, threads) -> None:
    """CI gate: the reference earns full marks on every test; the stubs earn zero."""
    course = load_course(course_path)
    check_exercise_names(course, exercises)
    if not course.solutions_dir.is_dir() or not course.has_hidden_tests:
        raise click.UsageError("grade check needs solutions/ and the hidden tests")
    console = Console()
    report = run_check(
        course,
        GradeOptions(exercises=tuple(exercises), seed=seed, threads=threads),
        progress=lambda message: console.print(f"[dim]{message}[/]"),
    )
    for line in report.lines:
        console.print(line)
    for offender in report.offenders:
        console.print(f"[red]FAIL[/] {offender}")
    console.print("[green]check passed[/]" if report.ok else "[red]check failed[/]")
    sys.exit(EXIT_FULL if report.ok else (EXIT_ERROR if report.infrastructure_error else EXIT_LOST))


@main.command("list")
@click.argument("exercises", nargs=-1)
@course_option
def list_command(exercises, course_path) -> None:
    """List the tests of EXERCISES (default: all): points and what each checks."""
    course = load_course(course_path)
    check_exercise_names(course, exercises)
    console = Console()
    entries = catalog(course, list(exercises) or None)
    for name in list(exercises) or course.exercises():
        rows = [entry for entry in entries if entry.exercise == name]
        total = sum(entry.points for entry in rows)
        table = Table(title=f"{name}: {total:g} points in the tests here", title_justify="left")
        for column in ("test", "points", "checks"):
            table.add_column(column, overflow="fold")
        for entry in rows:
            label = entry.name + (" (hidden)" if entry.visibility == "hidden" else "")
            table.add_row(label, f"{entry.points:g}", entry.description)
        console.print(table)
        if absent := hidden_points_absent(course, name):
            console.print(f"  {absent:g} more points are in hidden tests, run by your instructor.")
