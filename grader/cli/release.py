"""`grade release` (the student bundle) and `grade gradescope` (the autograder zip).

`grade gradescope-run` is what the zip's `run_autograder` calls inside Gradescope.
The commands register on `main` when `grader.cli` imports this module.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from grader.cli.group import (
    EXIT_ERROR,
    EXIT_FULL,
    EXIT_LOST,
    course_option,
    load_course,
    main,
    require_instructor_course,
)
from grader.cli.run import print_result
from grader.course import CourseError
from grader.gradescope import (
    AutograderError,
    build_autograder,
    run_autograder,
    validate_results,
    write_results,
)
from grader.grading import GradeOptions
from grader.release import LeakError, ReleaseError, build_release


@main.command("release")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an earlier release in OUT_DIR.")
@click.option("--assignment", metavar="NAME", help="Release only this assignment's exercises.")
@course_option
def release_command(out_dir: Path, force: bool, assignment, course_path) -> None:
    """Write the student bundle to OUT_DIR: stubs, public tests, grader, notebooks.

    The bundle is leak-scanned (hidden tests, their names, reference solution lines):
    a leak fails the release and nothing is written.
    """
    console = Console()
    course = load_course(course_path)
    require_instructor_course(course, "release")
    try:
        only = list(course.assignment(assignment).exercises) if assignment else None
        release = build_release(course, out_dir, force=force, exercises=only)
    except LeakError as exc:
        console.print("[red]release refused: it would leak hidden material[/]")
        for leak in exc.leaks:
            console.print(f"  [red]leak[/] {escape(str(leak))}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_LOST)
    except (ReleaseError, CourseError) as exc:
        raise click.UsageError(str(exc)) from None
    for warning in release.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(
        f"released {', '.join(release.exercises)} to {release.folder}: "
        f"{len(release.files)} files, listed with their sha256 in MANIFEST.json; "
        "leak scan clean"
    )
    sys.exit(EXIT_FULL)


@main.command("gradescope")
@click.argument("out_zip", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--assignment",
    metavar="NAME",
    help="Grade only this assignment's exercises, out of its weighted points.",
)
@course_option
def gradescope_command(out_zip: Path, assignment, course_path) -> None:
    """Write a Gradescope autograder zip (setup.sh, run_autograder, hidden tests)."""
    course = load_course(course_path)
    require_instructor_course(course, "gradescope")
    try:
        chosen = course.assignment(assignment) if assignment else None
        names = build_autograder(course, out_zip, chosen)
    except (AutograderError, CourseError) as exc:
        raise click.UsageError(str(exc)) from None
    Console().print(
        f"wrote {out_zip} ({len(names)} files): upload it as the assignment's "
        "autograder; it holds the hidden tests, keep it from students"
    )
    sys.exit(EXIT_FULL)


@main.command("gradescope-run", hidden=True)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("/autograder"),
    show_default=True,
    help="Gradescope's folder: source/, submission/, results/.",
)
@click.option("--threads", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--memory-gb", type=float, default=6.0, show_default=True)
def gradescope_run_command(root: Path, threads: int, memory_gb: float) -> None:
    """Grade ROOT/submission and write ROOT/results/results.json (Gradescope's run)."""
    console = Console(width=120)
    try:
        results, result = run_autograder(root, GradeOptions(threads=threads, memory_gb=memory_gb))
    except Exception:  # the student must still get a results.json, the instructor the cause
        console.print(traceback.format_exc(), markup=False, highlight=False)
        write_results(
            root,
            {
                "score": 0.0,
                "output": "The autograder failed on its side (not "
                "because of your code); please tell your instructor.",
                "stdout_visibility": "hidden",
                "tests": [],
            },
        )
        sys.exit(EXIT_ERROR)
    print_result(result, console)  # stdout: for instructors only
    if result.get("message"):
        console.print(result["message"], markup=False, highlight=False)
    for problem in validate_results(results):
        console.print(f"[red]results.json problem:[/] {problem}")
    console.print(f"wrote {root / 'results' / 'results.json'}: {results['score']:g} points")
    sys.exit(EXIT_FULL if result["status"] != "grader_error" else EXIT_ERROR)
