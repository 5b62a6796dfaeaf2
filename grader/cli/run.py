"""`grade` (run) and `grade check`: grade one submission, or check the reference and stubs."""

from __future__ import annotations

import json
import re
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

OUTPUT_LINES = 15
# TensorFlow's start-up log lines (absl/glog format): not the student's, so not shown.
TF_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl)"
)
OUTCOME_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow"}


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
@course_option
@seed_option
@threads_option
def run_command(
    exercises, submission, as_json, public_only, keyword, course_path, seed, threads
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
    if result["status"] == "invalid_submission":
        console.print(
            f"[red]Submission {result['submission']} cannot be graded:[/] {result['message']}"
        )
    for warning in result.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}")
    for name, exercise in result["exercises"].items():
        table = Table(
            title=f"{name}: {exercise['score']:g} / {exercise['max_score']:g}",
            title_justify="left",
            expand=False,
        )
        table.add_column("test")
        table.add_column("outcome")
        table.add_column("points", justify="right")
        table.add_column("why", overflow="fold", max_width=80)
        for test in exercise["tests"]:
            label = test["name"] + (" (hidden)" if test["visibility"] == "hidden" else "")
            style = OUTCOME_STYLE.get(test["outcome"], "")
            table.add_row(
                label,
                f"[{style}]{test['outcome']}[/]",
                f"{test['points']:g}/{test['max_points']:g}",
                test["message"],
            )
        console.print(table)
        if exercise.get("hidden_points_absent"):
            console.print(
                f"  {exercise['hidden_points_absent']:g} more points are in hidden "
                "tests, run by your instructor."
            )
    output = [
        line
        for line in result.get("output", "").strip().splitlines()
        if not TF_LOG_LINE.match(line)
    ]
    if output:
        console.print("[dim]Your code printed (last lines, never used for grading):[/]")
        console.print("\n".join(output[-OUTPUT_LINES:]), markup=False, highlight=False)
    if result["status"] == "grader_error":
        console.print(f"[red]grader error:[/] {result['message']}")
    console.print(
        f"[bold]Total: {result['score']:g} / {result['max_score']:g}[/]  (seed {result['seed']})"
    )


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
