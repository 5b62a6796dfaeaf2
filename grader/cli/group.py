"""The `grade` command group: its default command, shared options, exit codes.

Every command module registers on ``main`` from here; ``grader.cli`` imports them all.
"""

from __future__ import annotations

from pathlib import Path

import click

from grader import __version__
from grader.course import Course, CourseError

EXIT_FULL, EXIT_LOST, EXIT_ERROR = 0, 1, 2


class DefaultGroup(click.Group):
    """A group whose default command is `run`: `grade NAME` means `grade run NAME`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["run", *args]
        return super().parse_args(ctx, args)


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
