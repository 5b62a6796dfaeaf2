"""A batch's reports, rebuilt from ``results.jsonl`` alone.

``write_reports(OUT_DIR)`` writes ``gradebook.csv`` (one row per submission),
``feedback/<id>.md`` for each student, ``report.html`` for the instructor (see
``grader.report_html``, with the submissions most alike), ``similarity.csv`` (from the
modules the batch kept in ``OUT/sources/``) and the exports of ``grader.exports``. A
student's feedback shows the public tests with their messages; hidden tests only by name
and points, never their messages. Each file is written whole and renamed into place.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from grader import exports, report_html
from grader.lms import read_lms_file
from grader.result import hidden_messages_allowed, outcome_word
from grader.results import RESULTS_NAME, ResultsFile, exercise_names, fmt, read_results
from grader.safe_text import file_stem, markdown_text, spreadsheet_cell
from grader.similarity import class_pairs, similarity_csv


class ReportError(Exception):
    """There is nothing to report from (no results file, or no whole line in it)."""


def load_results(out_dir: Path) -> tuple[list[dict], ResultsFile]:
    """The latest result of each submission (every exercise's latest grade), sorted by
    id, and the file they came from."""
    path = Path(out_dir) / RESULTS_NAME
    if not path.is_file():
        raise ReportError(f"{path} does not exist: run grade batch first")
    results = read_results(path)
    if not results.records:
        raise ReportError(f"{path} holds no result")
    latest = results.merged()
    return [latest[key] for key in sorted(latest)], results


@dataclass
class WrittenReports:
    """What ``write_reports`` wrote, and why any file could not be written."""

    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def write_reports(
    out_dir: Path, publish: bool = False, stubs_dir: Path | None = None
) -> WrittenReports:
    """Rebuild every report of ``out_dir`` from its results file.

    Each file is its own boundary: one submission's feedback that cannot be written (or
    rendered) is a problem listed, never a reason to lose the others.
    """
    out_dir = Path(out_dir)
    results, source = load_results(out_dir)
    reports = WrittenReports()
    try:  # the stub's code is left out of the comparison when the course is at hand
        pairs = class_pairs(out_dir, stubs_dir, exercise_names(results))
    except Exception as exc:  # the similarity report never costs the others
        pairs = []
        reports.problems.append(f"similarity: {type(exc).__name__}: {exc}")
    files: list[tuple[Path, Callable[[], str]]] = [
        (out_dir / "gradebook.csv", lambda: gradebook_csv(results, read_lms_file(out_dir))),
        (
            out_dir / "report.html",
            lambda: report_html.render(results, damaged_lines=source.damaged, pairs=pairs),
        ),
        (out_dir / "junit.xml", lambda: exports.junit_xml(results)),
        (out_dir / "similarity.csv", lambda: similarity_csv(pairs)),
    ]
    for result in results:
        stem = file_stem(result["submission"])
        files.append(
            (out_dir / "feedback" / f"{stem}.md", partial(feedback_markdown, result, publish))
        )
        files.append(
            (
                out_dir / "gradescope" / stem / "results.json",
                partial(exports.gradescope_json, result),
            )
        )
    for path, render in files:
        try:
            reports.written.append(write_atomic(path, render()))
        except Exception as exc:  # one report's fault never costs the others
            where = path.relative_to(out_dir)
            reports.problems.append(f"{where}: {type(exc).__name__}: {exc}")
    return reports


def write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
    os.replace(tmp, path)
    return path


# -- gradebook -------------------------------------------------------------------------
def gradebook_csv(results: list[dict], lms: dict | None = None) -> str:
    """id, status, one column per exercise, total, max; then, when assignments were
    graded, each assignment's weighted total and maximum, and how late the work came;
    then, for a class read from an LMS export, the LMS's identifiers and late flag."""
    students = (lms or {}).get("students", {})
    id_columns = sorted({key for s in students.values() for key in s["identifiers"]})
    names = exercise_names(results)
    assignments = assignment_weights(results)
    late = any("late" in result for result in results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["id", "status", *names, "total", "max"]
    header += [f"{name}{suffix}" for name in assignments for suffix in ("", " max")]
    header += ["late"] if late else []
    writer.writerow(header + id_columns + (["lms_late"] if students else []))
    for result in results:
        exercises = result.get("exercises", {})
        row = [
            spreadsheet_cell(result["submission"]),
            result["status"],
            *(fmt(exercises[n]["score"]) if n in exercises else "" for n in names),
            fmt(result["score"]),
            fmt(result["max_score"]),
        ]
        for weights in assignments.values():
            row += [fmt(points) for points in weighted(exercises, weights)]
        if late:
            row.append(describe_late(result.get("late")))
        if students:
            student = students.get(result["submission"], {"identifiers": {}, "late": False})
            row += [spreadsheet_cell(student["identifiers"].get(c, "")) for c in id_columns]
            row.append("yes" if student["late"] else "")
        writer.writerow(row)
    return buffer.getvalue()


def assignment_weights(results: list[dict]) -> dict[str, dict[str, float]]:
    """Every assignment the results were graded for → its exercises' weights."""
    found: dict[str, dict[str, float]] = {}
    for result in results:
        assignment = result.get("batch", {}).get("assignment")
        if assignment:
            found[assignment["name"]] = assignment["weights"]
    return found


def weighted(exercises: dict, weights: dict[str, float]) -> tuple[float, float]:
    """(score, maximum) of an assignment: each exercise's points times its weight."""
    score = sum(w * exercises[n]["score"] for n, w in weights.items() if n in exercises)
    top = sum(w * exercises[n]["max_score"] for n, w in weights.items() if n in exercises)
    return round(score, 3), round(top, 3)


def describe_late(late: dict | None) -> str:
    if not late:
        return ""
    if late.get("cut_off"):
        return f"{late['days']} day(s) late: past the cut-off, zero"
    return f"{late['days']} day(s) late: -{late['penalty']:.0%}"


# -- feedback for the student ------------------------------------------------------------
INVALID_LINE = "**Your submission could not be graded, so it counts as zero:** "
# A grader error's message may quote the trusted process's output: never shown to a student.
GRADER_ERROR_LINE = (
    "**The grader failed on your submission (not your fault); your instructor "
    "will grade it again.**"
)


def feedback_markdown(result: dict, publish: bool = False) -> str:
    """The student's feedback: public tests in full; hidden tests by name and points only,
    or with their messages once grades are published (``publish``) if the assignment
    allows it."""
    show_hidden = publish and hidden_messages_allowed(result)
    lines = [
        f"# Feedback for {markdown_text(result['submission'])}",
        "",
        f"**Total: {fmt(result['score'])} / {fmt(result['max_score'])}**",
        "",
    ]
    if result["status"] == "invalid_submission":
        lines += [INVALID_LINE + _one_line(result.get("message", "")), ""]
    elif result["status"] == "grader_error":
        lines += [GRADER_ERROR_LINE, ""]
    elif result["status"] in ("empty", "missing", "removed"):
        lines += [
            f"**{result['status'].capitalize()}:** {_one_line(result.get('message', ''))}",
            "",
        ]
    if result.get("late"):
        lines += [f"**Late:** {describe_late(result['late'])} (due {result['late']['due']}).", ""]
    for warning in result.get("warnings", []):
        lines.append(f"- warning: {_one_line(warning)}")
    if result.get("warnings"):
        lines.append("")
    for name, exercise in result.get("exercises", {}).items():
        if exercise["tests"] or result["status"] == "graded":
            lines += _exercise_feedback(name, exercise, show_hidden)
    seed = result.get("seed")
    lines.append(
        f"_Graded with seed {seed}; the hidden tests are run by your instructor._"
        if seed is not None
        else "_The hidden tests are run by your instructor._"
    )
    return "\n".join(lines) + "\n"


def _exercise_feedback(name: str, exercise: dict, show_hidden: bool = False) -> list[str]:
    public = [t for t in exercise["tests"] if t["visibility"] != "hidden"]
    hidden = [t for t in exercise["tests"] if t["visibility"] == "hidden"]
    lines = [f"## {name}: {fmt(exercise['score'])} / {fmt(exercise['max_score'])}", ""]
    if public:
        lines += [
            f"Public tests: {_points(public)} points.",
            "",
            "| test | outcome | points |",
            "|---|---|---|",
        ]
        lines += [f"| {_cell(t['name'])} | {outcome_word(t)} | {_points([t])} |" for t in public]
        lines.append("")
        for test in public:
            if test["outcome"] not in ("passed", "not_started") and test.get("message"):
                at = f" at `{_cell(test['location'])}`" if test.get("location") else ""
                lines += [
                    f"**{_cell(test['name'])}** ({outcome_word(test)}){at}:",
                    "",
                    *_fenced(test["message"]),
                    "",
                ]
    if hidden:
        passed = sum(t["outcome"] == "passed" for t in hidden)
        lines += [
            f"Hidden tests: {passed} of {len(hidden)} passed, {_points(hidden)} points.",
            "",
            "| hidden test | points |",
            "|---|---|",
        ]
        lines += [
            f"| {_cell(t['name'])} | {fmt(t['points'])} / {fmt(t['max_points'])} |" for t in hidden
        ]
        lines.append("")
        for test in hidden if show_hidden else []:  # published: why each hidden test failed
            if test["outcome"] != "passed" and test.get("message"):
                lines += [f"**{_cell(test['name'])}** (hidden, {test['outcome']}):", ""]
                lines += [*_fenced(test["message"]), ""]
    if exercise.get("hidden_points_absent"):
        lines += [
            f"{fmt(exercise['hidden_points_absent'])} more points are in hidden tests "
            "not run here.",
            "",
        ]
    if not exercise["tests"]:
        lines += ["No test ran for this exercise.", ""]
    return lines


def _points(tests: list[dict]) -> str:
    return f"{fmt(sum(t['points'] for t in tests))} / {fmt(sum(t['max_points'] for t in tests))}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fenced(text: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text.rstrip(), fence]
