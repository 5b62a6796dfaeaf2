"""Exports of batch results to other tools: Gradescope's ``results.json``, JUnit XML, and
the gradebooks Canvas and Moodle import.

The Gradescope file is the one ``grade gradescope`` writes inside Gradescope (hidden
tests shown only once the grades are published). The JUnit file is for the
instructor's tools (CI dashboards) and keeps every message.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

from grader.gradescope import results_json
from grader.result import hidden_messages_allowed
from grader.results import fmt
from grader.safe_text import spreadsheet_cell

# XML 1.0 forbids most control characters; a student's message may hold any.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def gradescope_json(result: dict) -> str:
    """One submission in Gradescope's ``results.json`` format (``grader.gradescope``'s map)."""
    wall = result.get("provenance", {}).get("wall_s")
    execution_time = round(wall) if isinstance(wall, int | float) else 0
    hidden_messages = hidden_messages_allowed(result)
    return json.dumps(results_json(result, execution_time, None, hidden_messages), indent=2) + "\n"


def junit_xml(results: list[dict]) -> str:
    """Every submission as a JUnit ``<testsuite>``; each test a ``<testcase>``."""
    root = ET.Element("testsuites", name="grade batch")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for result in results:
        suite = ET.SubElement(root, "testsuite", name=_clean(result["submission"]))
        counts = {"tests": 0, "failures": 0, "errors": 0}
        time_s = 0.0
        properties = ET.SubElement(suite, "properties")
        for name in ("status", "score", "max_score", "seed"):
            ET.SubElement(properties, "property", name=name, value=_clean(str(result.get(name))))
        if result["status"] != "graded":
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_clean(result["submission"]),
                name="submission",
                time="0",
            )
            error = ET.SubElement(
                case,
                "error",
                type=result["status"],
                message=_clean(_first_line(result.get("message", ""))),
            )
            error.text = _clean(result.get("message", ""))
            counts["tests"] += 1
            counts["errors"] += 1
        for exercise, data in result.get("exercises", {}).items():
            for test in data["tests"]:
                counts["tests"] += 1
                time_s += float(test.get("duration_s") or 0.0)
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=_clean(test["name"]),
                    classname=_clean(f"{result['submission']}.{exercise}.{test['visibility']}"),
                    time=f"{float(test.get('duration_s') or 0.0):.3f}",
                )
                if test["outcome"] == "passed":
                    continue
                kind = "failure" if test["outcome"] == "failed" else "error"
                counts["failures" if kind == "failure" else "errors"] += 1
                element = ET.SubElement(
                    case, kind, type=test["outcome"], message=_clean(_first_line(test["message"]))
                )
                element.text = _clean(test["message"])
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{time_s:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _first_line(text: str) -> str:
    return (text or "").strip().split("\n", 1)[0][:300]


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text or "")


# -- gradebooks an LMS imports -----------------------------------------------------------
# Canvas "Import" of the gradebook: its export's identity columns, then one column per
# assignment (a title Canvas does not know creates that assignment).
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
# Moodle's offline grading worksheet: it matches rows on "Identifier" and reads "Grade"
# and "Feedback comments".
MOODLE_COLUMNS = (
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
)


LMS_KEY = {"canvas": "canvas_user_id", "moodle": "moodle_identifier"}  # what it matches on


def lms_gradebook(
    lms: str, results: list[dict], students: dict[str, dict], title: str = "grade"
) -> tuple[str, int]:
    """(the CSV ``lms`` imports, how many rows lack the id it matches students on)."""
    text = (
        canvas_csv(results, students, title) if lms == "canvas" else moodle_csv(results, students)
    )
    unmatched = sum(
        LMS_KEY[lms] not in students.get(r["submission"], {}).get("identifiers", {})
        for r in results
    )
    return text, unmatched


def canvas_csv(results: list[dict], students: dict[str, dict], title: str) -> str:
    """The total of each result as a Canvas gradebook import, ``title`` its column."""
    rows = [[*CANVAS_COLUMNS, title], ["Points Possible", "", "", "", "", _max_score(results)]]
    for result in results:
        ids = students.get(result["submission"], {}).get("identifiers", {})
        name = ids.get("canvas_name", result["submission"])
        user = ids.get("canvas_user_id", "")
        rows.append([name, user, "", result["submission"], "", fmt(result["score"])])
    return _csv(rows)


def moodle_csv(results: list[dict], students: dict[str, dict]) -> str:
    """The total of each result as Moodle's grading worksheet, with a one-line comment."""
    rows: list[list[str]] = [list(MOODLE_COLUMNS)]
    for result in results:
        student = students.get(result["submission"], {})
        ids = student.get("identifiers", {})
        comment = f"grade: {fmt(result['score'])} / {fmt(result['max_score'])}"
        if student.get("late"):
            comment += " (submitted late)"
        rows.append(
            [
                ids.get("moodle_identifier", ""),
                ids.get("moodle_full_name", result["submission"]),
                "",
                result["status"],
                fmt(result["score"]),
                fmt(result["max_score"]),
                "Yes",
                "",
                "",
                comment,
            ]
        )
    return _csv(rows)


def _max_score(results: list[dict]) -> str:
    return fmt(max((r["max_score"] for r in results), default=0))


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[spreadsheet_cell(str(cell)) for cell in row] for row in rows])
    return buffer.getvalue()
