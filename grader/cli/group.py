"""The `grade` command group: its default command, shared options, exit codes.

Every command module registers on ``main`` from here; ``grader.cli`` imports them all.
"""

from __future__ import annotations

from pathlib import Path

import click

from grader import __version__
from grader.course import Course, CourseError

EXIT_FULL, EXIT_LOST, EXIT_ERROR = 0, 1, 2
# Commands that need the instructor's course (solutions and hidden tests): a student
# bundle's `grade --help` does not list them.
INSTRUCTOR_COMMANDS = ("batch", "report", "export", "check", "release", "gradescope")


class DefaultGroup(click.Group):
    """A group whose default command is `run`: `grade NAME` means `grade run NAME`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        if in_student_bundle():
            names = [name for name in names if name not in INSTRUCTOR_COMMANDS]
        return names


def in_student_bundle(start: Path | None = None) -> bool:
    """Whether the course found from ``start`` (default: here) is a student bundle: no
    reference solutions, no hidden tests."""
    try:
        course = Course.locate(start)
    except FileNotFoundError:
        return False
    return not course.solutions_dir.is_dir() and not course.has_hidden_tests


def require_instructor_course(course: Course, command: str) -> None:
    """Stop with a clear word when an instructor's command runs in a student bundle."""
    if not course.solutions_dir.is_dir() and not course.has_hidden_tests:
        raise click.UsageError(
            f"grade {command} needs the instructor's course (solutions/ and the hidden "
            f"tests); {course.root} is a student bundle. Run it in the course repository, "
            "or pass --course PATH"
        )


def load_course(path: str | None) -> Course:
    try:
        return Course.locate(Path(path) if path else None)
    except (FileNotFoundError, CourseError) as exc:
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
    grade NAME                 grade one exercise
    grade --submission X.zip   grade a folder, a zip or a notebook
    grade check                CI gate: reference full marks, stubs zero
    """


def check_exercise_names(course: Course, exercises) -> None:
    if problem := course.unknown_exercises_message(exercises):
        raise click.UsageError(problem)
