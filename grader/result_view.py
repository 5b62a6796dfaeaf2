"""A result as a student reads it: a summary table, then one block per failure.

The same view for the terminal (``render``: rich renderables, plain when not on a
terminal, never wider than the console) and for a notebook (``to_html``). Grading
logic never prints; the CLI and the ``%grade`` magic show what this module builds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.result import Result, TestRecord, outcome_word

OUTPUT_LINES = 15  # the last lines of the student's printed output shown
# TensorFlow's start-up log lines (absl/glog format): not the student's, so not shown.
TF_LOG_LINE = re.compile(
    r"^([IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl)"
)
OUTCOME_STYLE = {
    "passed": "green",
    "failed": "red",
    "error": "red",
    "timeout": "yellow",
    "not_started": "dim",
}
HTML_COLOUR = {"failed": "#b00", "error": "#b00", "timeout": "#a60", "not_started": "gray"}
NOT_STARTED_HINT = "{n} tests not started: the code they call still raises NotImplementedError"
HIDDEN_ABSENT = "{points} more points are in hidden tests, run by your instructor."


def failures(tests: list[TestRecord]) -> list[TestRecord]:
    """The tests that need a block of their own: failed, with something to say."""
    return [t for t in tests if t["outcome"] not in ("passed", "not_started") and t["message"]]


def label(test: TestRecord) -> str:
    return test["name"] + (" (hidden)" if test["visibility"] == "hidden" else "")


def points(test: TestRecord) -> str:
    return f"{test['points']:g}/{test['max_points']:g}"


def printed_output(result: Result) -> list[str]:
    """The last lines the student's code printed, without TensorFlow's start-up log."""
    lines = result.get("output", "").strip().splitlines()
    return [line for line in lines if not TF_LOG_LINE.match(line)][-OUTPUT_LINES:]


def render(result: Result) -> Iterator[RenderableType]:
    """The result for a terminal, in reading order."""
    if result["status"] == "invalid_submission":
        yield Text.assemble(
            (f"Submission {result['submission']} cannot be graded: ", "red"), result["message"]
        )
    for warning in result.get("warnings", []):
        yield Text.assemble(("warning: ", "yellow"), warning)
    for name, exercise in result["exercises"].items():
        yield _summary_table(name, exercise)
        not_started = sum(t["outcome"] == "not_started" for t in exercise["tests"])
        if not_started:
            yield Text("  " + NOT_STARTED_HINT.format(n=not_started), style="dim")
        if exercise.get("hidden_points_absent"):
            yield Text("  " + HIDDEN_ABSENT.format(points=f"{exercise['hidden_points_absent']:g}"))
        for test in failures(exercise["tests"]):
            yield _failure_block(name, test)
    if output := printed_output(result):
        yield Text("Your code printed (last lines, never used for grading):", style="dim")
        yield Text("\n".join(output))
    if result["status"] == "grader_error":
        yield Text.assemble(("grader error: ", "red"), result["message"])
    if stopped := result["provenance"].get("not_run"):
        yield Text(f"Stopped at the first failure (-x): {stopped} tests not run.", style="yellow")
    yield Text.assemble(
        (f"Total: {result['score']:g} / {result['max_score']:g}", "bold"),
        f"  (seed {result['seed']})",
    )


def _summary_table(name: str, exercise: dict) -> Table:
    table = Table(
        title=f"{name}: {exercise['score']:g} / {exercise['max_score']:g}",
        title_justify="left",
        title_style="bold",
        box=None,
        pad_edge=False,
    )
    table.add_column("test", overflow="fold", ratio=1)
    table.add_column("outcome", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    for test in exercise["tests"]:
        style = OUTCOME_STYLE.get(test["outcome"], "")
        table.add_row(label(test), Text(outcome_word(test), style=style), points(test))
    return table


def _failure_block(exercise: str, test: TestRecord) -> Group:
    heading = Text.assemble(
        ("── ", "dim"),
        (f"{exercise}.{label(test)}", "bold"),
        " ",
        (outcome_word(test), OUTCOME_STYLE.get(test["outcome"], "")),
    )
    lines: list[RenderableType] = [Text(""), heading]
    if test.get("location"):
        lines.append(Text(f"   at {test['location']}", style="cyan"))
    lines.append(Text(_indented(test["message"])))
    return Group(*lines)


def _indented(text: str) -> str:
    return "\n".join("   " + line for line in text.rstrip().splitlines())


def to_html(result: Result) -> str:
    """The result for a notebook: a table per exercise and each failure's message."""
    parts = []
    if result["status"] != "graded":
        status, message = html.escape(result["status"]), html.escape(result["message"])
        parts.append(f"<p><b>{status}:</b> {message}</p>")
    for name, exercise in result["exercises"].items():
        rows = "".join(
            f"<tr><td><code>{html.escape(label(t))}</code></td>"
            f"<td style='color:{HTML_COLOUR.get(t['outcome'], 'green')}'>"
            f"{html.escape(outcome_word(t))}</td><td>{points(t)}</td></tr>"
            for t in exercise["tests"]
        )
        parts.append(
            f"<h4>{html.escape(name)}: {exercise['score']:g} / {exercise['max_score']:g}</h4>"
            f"<table><tr><th>test</th><th>outcome</th><th>points</th></tr>{rows}</table>"
        )
        for test in failures(exercise["tests"]):
            where = test.get("location")
            at = f" at <code>{html.escape(where)}</code>" if where else ""
            heading = f"<b>{html.escape(label(test))}</b> {html.escape(outcome_word(test))}{at}"
            parts.append(f"<p>{heading}</p><pre>{html.escape(test['message'])}</pre>")
    parts.append(f"<p><b>Total: {result['score']:g} / {result['max_score']:g}</b></p>")
    return "\n".join(parts)
