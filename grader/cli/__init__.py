"""The `grade` command line: parses options, calls the grading logic, prints results.

Exit codes: 0 full marks (or a passing check), 1 points lost (or a failing check),
2 a usage or infrastructure error.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader import __version__
from grader.checks import run_check
from grader.course import Course
from grader.grading import GradeOptions, grade_submission

EXIT_FULL, EXIT_LOST, EXIT_ERROR = 0, 1, 2
OUTPUT_LINES = 15
# TensorFlow's start-up log lines (absl/glog format): not the student's, so not shown.
TF_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl)"
)
OUTCOME_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow"}


class DefaultGroup(click.Group):
    """A group whose default command is `run`: `grade reber` means `grade run reber`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _course(path: str | None) -> Course:
    try:
        return Course.locate(Path(path) if path else None)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from None


course_option = click.option(
    "--course",
    "course_path",
    type=click.Path(file_okay=False),
    help="The course folder (default: found from the current folder).",
)
seed_option = click.option("--seed", type=int, help="Seed of the hidden inputs; reproduces a run.")
threads_option = click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="TensorFlow threads for the student's worker.",
)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grade")
def main() -> None:
    """Grade exercises of "NLP with RNNs and Attention".

    \b
    grade                      grade ./exercises on every test present
    grade reber                grade one exercise
    grade --submission X.zip   grade a folder, a zip or a notebook
    grade check                CI gate: reference full marks, stubs zero
    """


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
    """Grade a submission (default: ./exercises) on the tests present."""
    course = _course(course_path)
    _check_exercise_names(course, exercises)
    source = submission or Path.cwd() / "exercises"
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


def _check_exercise_names(course: Course, exercises) -> None:
    if problem := course.unknown_exercises_message(exercises):
        raise click.UsageError(problem)


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
    course = _course(course_path)
    _check_exercise_names(course, exercises)
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


# Commands of their own modules register here, one line each.
from grader.cli import batch as _batch  # noqa: E402,F401  (batch, report)
from grader.cli import doctor as _doctor  # noqa: E402,F401  (doctor)
from grader.cli import release as _release  # noqa: E402,F401  (release, gradescope)
