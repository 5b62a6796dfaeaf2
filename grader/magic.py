"""``%grade`` in Jupyter and Colab: grade what the kernel has run, without saving.

    %load_ext grader
    %grade NAME            # the public tests of one exercise
    %grade                  # every exercise the kernel has run tagged cells of

The cells tagged ``# exercise: NAME`` are taken from the kernel's input history, in
the order they ran (a cell run again after an edit counts as it last ran: its later
definitions win, as in the kernel; an input that does not compile never defined
anything and is left out). They are assembled into modules and graded as ``grade
--public-only`` grades a notebook: the same worker, sandbox and public tests, in
processes of their own. Nothing is saved; none of the student's code runs in the
kernel. The result shows as an HTML table (plain text where HTML is not shown).
"""

from __future__ import annotations

import argparse
import io
import shlex
import tempfile
from collections.abc import Iterable
from pathlib import Path

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import display
from rich.console import Console

from grader.course import Course, CourseError
from grader.grading import GradeOptions, grade_prepared
from grader.result import Result
from grader.result_view import render, to_html
from grader.sandbox.isolation import EnvironmentModified
from grader.submission import assemble, split_tagged, write_modules

TEXT_WIDTH = 100  # the plain-text view's width: a notebook's output area


def kernel_modules(
    inputs: Iterable[tuple[int, str]], exercises: Iterable[str]
) -> dict[str, tuple[str, list[tuple[int, str]]]]:
    """(execution count, source) of each input → the modules its tagged cells make,
    only for the course's ``exercises``; each piece is labelled ``In [n]``."""
    wanted = set(exercises)
    _, tagged = split_tagged((f"In [{count}]", code) for count, code in inputs)
    modules = {}
    for name, pieces in tagged.items():
        runnable = [(label, code) for label, code in pieces if _compiles(code)]
        if name in wanted and runnable:
            modules[name] = assemble(runnable)
    return modules


def _compiles(code: str) -> bool:
    try:
        compile(code, "<cell>", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def grade_kernel(
    inputs: Iterable[tuple[int, str]],
    course: Course,
    exercises: tuple[str, ...] = (),
    seed: int | None = None,
) -> Result | None:
    """Grade the kernel's tagged inputs on the public tests; None when none is tagged."""
    modules = kernel_modules(inputs, exercises or course.exercises())
    if not modules:
        return None
    with tempfile.TemporaryDirectory(prefix="grade-kernel-") as scratch:
        prepared = write_modules(modules, Path(scratch), course.exercises())
        options = GradeOptions(
            exercises=exercises or tuple(name for name in course.exercises() if name in modules),
            visibilities=("public",),
            seed=seed,
        )
        return grade_prepared(prepared, course, options, "this notebook")


def as_text(result: Result) -> str:
    """The terminal view, as plain text."""
    console = Console(file=io.StringIO(), width=TEXT_WIDTH, color_system=None)
    for part in render(result):
        console.print(part)
    return console.file.getvalue()


def _arguments(line: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="%grade", add_help=False, exit_on_error=False)
    parser.add_argument("exercises", nargs="*")
    parser.add_argument("--course")
    parser.add_argument("--seed", type=int)
    return parser.parse_args(shlex.split(line))


@magics_class
class GradeMagics(Magics):
    """The ``%grade`` line magic."""

    last_result: Result | None = None  # the last result, for a notebook that wants its data

    @line_magic
    def grade(self, line: str) -> None:
        """%grade [NAME ...] [--course PATH] [--seed N]: grade the cells this kernel ran."""
        try:
            args = _arguments(line)
            course = Course.locate(Path(args.course) if args.course else None)
        except (argparse.ArgumentError, ValueError, FileNotFoundError, CourseError) as exc:
            print(f"%grade: {exc}")
            return
        unknown = [name for name in args.exercises if name not in course.exercises()]
        if unknown:
            print(f"%grade: no exercise {', '.join(unknown)} in {', '.join(course.exercises())}")
            return
        history = self.shell.history_manager.input_hist_raw
        inputs = list(enumerate(history))[1:]  # In[0] is empty
        try:
            result = grade_kernel(inputs, course, tuple(args.exercises), args.seed)
        except EnvironmentModified as exc:  # e.g. a `pip install` since the last %grade
            print(f"%grade: the Python installation changed ({exc}); run %grade again")
            return
        if result is None:
            print("%grade: no cell tagged '# exercise: NAME' has run in this kernel yet")
            return
        self.last_result = result
        display({"text/html": to_html(result), "text/plain": as_text(result)}, raw=True)
