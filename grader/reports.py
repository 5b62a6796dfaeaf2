"""A batch's reports, rebuilt from ``results.jsonl`` alone.

``write_reports(OUT_DIR)`` writes ``gradebook.csv`` (one row per submission),
``feedback/<id>.md`` for each student, ``report.html`` for the instructor (see
``grader.report_html``) and the exports of ``grader.exports``. A student's feedback
shows the public tests with their messages; hidden tests only by name and points,
never their messages. Each file is written whole and renamed into place.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

from grader.course import in_chapter_order
from grader.results import RESULTS_NAME, ResultsFile, read_results


class ReportError(Exception):
    """There is nothing to report from (no results file, or no whole line in it)."""


def load_results(out_dir: Path) -> tuple[list[dict], ResultsFile]:
    """The latest result of each submission, sorted by id, and the file they came from."""
    path = Path(out_dir) / RESULTS_NAME
    if not path.is_file():
        raise ReportError(f"{path} does not exist: run grade batch first")
    results = read_results(path)
    if not results.records:
        raise ReportError(f"{path} holds no result")
    latest = results.latest()
    return [latest[key] for key in sorted(latest)], results


def write_reports(out_dir: Path) -> list[Path]:
    """Rebuild every report of ``out_dir`` from its results file; the paths written."""
    from grader import exports, report_html

    out_dir = Path(out_dir)
    results, source = load_results(out_dir)
    written = [write_atomic(out_dir / "gradebook.csv", gradebook_csv(results))]
    for result in results:
        written.append(
            write_atomic(
                out_dir / "feedback" / f"{safe_name(result)}.md", feedback_markdown(result)
            )
        )
    written.append(
        write_atomic(
            out_dir / "report.html", report_html.render(results, damaged_lines=source.damaged)
        )
    )
    for result in results:
        written.append(
            write_atomic(
                out_dir / "gradescope" / safe_name(result) / "results.json",
                exports.gradescope_json(result),
            )
        )
    written.append(write_atomic(out_dir / "junit.xml", exports.junit_xml(results)))
    return written


def write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def safe_name(result: dict) -> str:
    """A file name for a submission id (ids come from file names, but the file is data)."""
    name = re.sub(r"[^\w.@+-]", "_", result["submission"]).lstrip(".")
    return name or "_"


def exercise_names(results: list[dict]) -> list[str]:
    """Every exercise of the results, in the chapter's order."""
    return in_chapter_order(name for result in results for name in result.get("exercises", {}))


def fmt(points: float) -> str:
    return f"{points:g}"


# -- gradebook -------------------------------------------------------------------------
def gradebook_csv(results: list[dict]) -> str:
    """id, status, one column per exercise, total, max."""
    names = exercise_names(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "status", *names, "total", "max"])
    for result in results:
        exercises = result.get("exercises", {})
        writer.writerow(
            [
                result["submission"],
                result["status"],
                *(fmt(exercises[n]["score"]) if n in exercises else "" for n in names),
                fmt(result["score"]),
                fmt(result["max_score"]),
            ]
        )
    return buffer.getvalue()


# -- feedback for the student ------------------------------------------------------------
INVALID_LINE = "**Your submission could not be graded, so it counts as zero:** "
# A grader error's message may quote the trusted process's output: never shown to a student.
GRADER_ERROR_LINE = (
    "**The grader failed on your submission (not your fault); your instructor "
    "will grade it again.**"
)


def feedback_markdown(result: dict) -> str:
    """The student's feedback: public tests in full, hidden tests by name and points only."""
    lines = [
        f"# Feedback for {result['submission']}",
        "",
        f"**Total: {fmt(result['score'])} / {fmt(result['max_score'])}**",
        "",
    ]
    if result["status"] == "invalid_submission":
        lines += [INVALID_LINE + _one_line(result.get("message", "")), ""]
    elif result["status"] == "grader_error":
        lines += [GRADER_ERROR_LINE, ""]
    for warning in result.get("warnings", []):
        lines.append(f"- warning: {_one_line(warning)}")
    if result.get("warnings"):
        lines.append("")
    for name, exercise in result.get("exercises", {}).items():
        if exercise["tests"] or result["status"] == "graded":
            lines += _exercise_feedback(name, exercise)
    seed = result.get("seed")
    lines.append(
        f"_Graded with seed {seed}; the hidden tests are run by your instructor._"
        if seed is not None
        else "_The hidden tests are run by your instructor._"
    )
    return "\n".join(lines) + "\n"


def _exercise_feedback(name: str, exercise: dict) -> list[str]:
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
        lines += [
            f"| {_cell(t['name'])} | {t['outcome']} | {fmt(t['points'])} / {fmt(t['max_points'])} |"
            for t in public
        ]
        lines.append("")
        for test in public:
            if test["outcome"] != "passed" and test.get("message"):
                lines += [
                    f"**{_cell(test['name'])}** ({test['outcome']}):",
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
