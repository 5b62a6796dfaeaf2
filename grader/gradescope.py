"""Gradescope: the autograder bundle, and the run inside Gradescope's container.

``build_autograder`` writes the zip an instructor uploads: ``setup.sh`` (installs the
grader into ``$ROOT/venv``), ``run_autograder`` (grades ``$ROOT/submission``), the grader
package, and the course with its hidden tests and reference solutions. ``ROOT`` is
``/autograder`` on Gradescope; both scripts take another as their first argument or
``AUTOGRADER_ROOT``, so a test can run them against a fake layout.

``results_json`` maps the canonical result to Gradescope's format (documented at
https://gradescope-autograders.readthedocs.io/en/latest/specs/). Public tests are
``visible``; hidden tests ``after_published``; every field shown before publication
(top-level ``output``, public tests) holds public information only; the run's stdout,
which has the details, is for instructors (``stdout_visibility: hidden``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

from grader.course import Assignment, Course
from grader.grading import GradeOptions, failed_result, grade_submission
from grader.release import copy_package, package_pyproject
from grader.result import hidden_messages_allowed
from grader.submission import InvalidSubmission, notebook_modules, prepare

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}
TEST_VISIBILITY = {"public": "visible", "hidden": "after_published"}
ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed: the same course gives the same zip
ASSIGNMENT_FILE = "assignment.json"  # in the bundle's course: the one assignment it grades
# What grading does not need: the fixtures and calibration that live beside the tests.
COURSE_SKIPPED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyo", ".*", "wrong", "right", "calibrat*"
)

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image:
# it installs the grader (and TensorFlow) into $ROOT/venv.
# Knobs (for testing elsewhere): $1 or AUTOGRADER_ROOT, GRADE_PYTHON, GRADE_PIP_OPTIONS.
set -euo pipefail
ROOT="${1:-${AUTOGRADER_ROOT:-/autograder}}"
VENV="$ROOT/venv"

find_python() {
    for candidate in ${GRADE_PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

PYTHON="$(find_python)" || {
    apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || {
        apt-get install -y "$(basename "$PYTHON")-venv"
        "$PYTHON" -m venv "$VENV"
    }
fi
# shellcheck disable=SC2086  # GRADE_PIP_OPTIONS holds several options
"$VENV/bin/python" -m pip install --disable-pip-version-check ${GRADE_PIP_OPTIONS:-} "$ROOT/source"
"$VENV/bin/grade" --version
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades $ROOT/submission on the public
# and hidden tests and writes $ROOT/results/results.json.
# Knobs: $1 or AUTOGRADER_ROOT, GRADE_PYTHON, GRADE_THREADS, GRADE_MEMORY_GB.
set -euo pipefail
ROOT="${1:-${AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${GRADE_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
exec "$PYTHON" -P -m grader gradescope-run --root "$ROOT" \
    --threads "${GRADE_THREADS:-2}" --memory-gb "${GRADE_MEMORY_GB:-6}"
"""

README = """# Gradescope autograder for "NLP with RNNs and Attention"

Upload this zip as a programming assignment's autograder ("Zip file upload").
`setup.sh` installs Python 3.11+ if needed and the grader with TensorFlow into
`/autograder/venv`; `run_autograder` grades each submission on the public and hidden
tests of: {exercises}.

Students submit their modules (`<exercise>.py`, ...), a folder or a `.zip` of them, or their
notebooks (one or several `.ipynb`, cells tagged `# exercise: NAME`).

Settings: at least 2 CPUs and 6 GB of memory; a timeout of 30 minutes or more when
exercises that train models are graded (each trains within a few minutes on 2 cores).
Students see the public tests at once; hidden tests, with their messages, when you
publish the grades. The autograder's stdout (every test, the student's printed output)
is for instructors only.
"""


class AutograderError(Exception):
    """The course cannot make a Gradescope autograder."""


# -- the bundle ----------------------------------------------------------------------
def build_autograder(
    course: Course, out_zip: Path, assignment: Assignment | None = None
) -> list[str]:
    """Write the autograder zip; returns the names of its entries. With an
    ``assignment``, it grades only the assignment's exercises, out of its weighted
    points."""
    if not course.has_hidden_tests:
        raise AutograderError(
            f"{course.tests_dir} holds no hidden tests: a Gradescope "
            "autograder needs the hidden tests"
        )
    exercises = list(assignment.exercises) if assignment else course.exercises()
    others = set(course.exercises()) - set(exercises)

    def skipped(folder: str, names: list[str]) -> set[str]:
        ignored = set(COURSE_SKIPPED(folder, names))
        if Path(folder) in (course.tests_dir, course.solutions_dir):
            ignored |= {n for n in names if n in others or n.removesuffix(".py") in others}
        return ignored

    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        source = Path(tmp)
        copy_package(source)
        (source / "pyproject.toml").write_text(package_pyproject())
        (source / "README.md").write_text(README.format(exercises=", ".join(exercises)))
        (source / "setup.sh").write_text(SETUP_SH)
        (source / "run_autograder").write_text(RUN_AUTOGRADER)
        shutil.copytree(course.tests_dir, source / "course" / "tests" / "exercises", ignore=skipped)
        if assignment:
            (source / "course" / ASSIGNMENT_FILE).write_text(json.dumps(assignment.as_record()))
        if course.solutions_dir.is_dir():
            shutil.copytree(course.solutions_dir, source / "course" / "solutions", ignore=skipped)
        out_zip.parent.mkdir(parents=True, exist_ok=True)
        names = []
        with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in source.rglob("*") if p.is_file()):
                name = path.relative_to(source).as_posix()
                info = zipfile.ZipInfo(name, ZIP_DATE)
                info.external_attr = (
                    0o755 if name in ("setup.sh", "run_autograder") else 0o644
                ) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
                names.append(name)
    return names


# -- the run inside Gradescope --------------------------------------------------------
def collect_submission(folder: Path, dest: Path, exercises: list[str]) -> tuple[Path, list[str]]:
    """What to grade in Gradescope's ``submission/`` folder, and warnings.

    Modules (at the top, in ``exercises/`` or in one wrapping folder) are graded as a
    folder; a lone ``.zip`` as a zip; notebooks are turned into the modules their
    tagged cells define (a module handed in as a ``.py`` file wins over a notebook's).
    """
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
    if len(entries) == 1 and entries[0].suffix == ".zip" and entries[0].is_file():
        return entries[0], []
    notebooks = (
        sorted(
            p
            for p in folder.rglob("*.ipynb")
            if ".ipynb_checkpoints" not in p.parts and not p.is_symlink()
        )
        if folder.is_dir()
        else []
    )
    if not notebooks:
        return folder, []
    prepared = prepare(folder, dest, exercises)
    warnings = list(prepared.warnings)
    for notebook in notebooks:
        try:
            modules = notebook_modules(notebook, exercises)
        except InvalidSubmission as exc:
            warnings.append(f"ignored {notebook.name}: {exc}")
            continue
        for name, code in modules.items():
            target = prepared.folder / f"{name}.py"
            if target.exists():
                warnings.append(
                    f"ignored the cells of {notebook.name} tagged {name!r}: "
                    f"{name} is already handed in"
                )
                continue
            target.write_text(code)
    return prepared.folder, warnings


def run_autograder(root: Path, options: GradeOptions) -> tuple[dict, dict]:
    """Grade ``root/submission`` with ``root/source/course``; write ``results.json``.

    Returns (the Gradescope results, the canonical result).
    """
    started = time.monotonic()
    course = Course(root / "source" / "course")
    weights = None
    if (course.root / ASSIGNMENT_FILE).is_file():  # built for one assignment
        assignment = json.loads((course.root / ASSIGNMENT_FILE).read_text())
        weights = assignment["weights"]
        options = replace(options, exercises=tuple(weights))
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        try:
            source, warnings = collect_submission(
                root / "submission", Path(tmp) / "submission", course.exercises()
            )
        except InvalidSubmission as exc:
            result = failed_result("submission", course, options, "invalid_submission", str(exc))
            source, warnings = None, []
        if source is not None:
            result = grade_submission(source, course, options, label="submission")
    result["warnings"] = warnings + result.get("warnings", [])
    if weights is not None:
        result["batch"] = {"assignment": assignment}  # its feedback policy
    hidden_messages = hidden_messages_allowed(result)
    results = results_json(result, round(time.monotonic() - started), weights, hidden_messages)
    write_results(root, results)
    return results, result


def write_results(root: Path, results: dict) -> Path:
    path = root / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1))
    return path


def results_json(
    result: dict,
    execution_time: int,
    weights: dict[str, float] | None = None,
    hidden_messages: bool = True,
) -> dict:
    """The canonical result in Gradescope's format; hidden details only in hidden tests
    (shown once grades are published, and only with ``hidden_messages``). ``weights``
    (an assignment's) scale each exercise's points."""
    tests = []
    score = public_score = public_max = hidden_max = 0.0
    for number, (exercise, data) in enumerate(result["exercises"].items(), 1):
        weight = (weights or {}).get(exercise, 1.0)
        for index, test in enumerate(data["tests"], 1):
            hidden = test["visibility"] == "hidden"
            points, max_points = test["points"] * weight, test["max_points"] * weight
            score += points
            if hidden:
                hidden_max += max_points
            else:
                public_score += points
                public_max += max_points
            tests.append(
                {
                    "name": f"{exercise}: {test['name']}" + (" (hidden)" if hidden else ""),
                    "number": f"{number}.{index}",
                    "score": points,
                    "max_score": max_points,
                    "status": "passed" if test["outcome"] == "passed" else "failed",
                    "output": (test["message"] if hidden_messages or not hidden else "")
                    or test["outcome"],
                    "output_format": "text",
                    "tags": [exercise, test["visibility"]],
                    "visibility": TEST_VISIBILITY[test["visibility"]],
                }
            )
    return {
        "score": round(score, 3) if weights else result["score"],
        "execution_time": execution_time,
        "output": _visible_summary(result, public_score, public_max, hidden_max),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _visible_summary(
    result: dict, public_score: float, public_max: float, hidden_max: float
) -> str:
    """What a student sees before grades are published: nothing from a hidden test."""
    lines = []
    if result["status"] == "invalid_submission":
        lines.append(f"Your submission cannot be graded: {result['message']}")
    elif result["status"] == "grader_error":
        lines.append(
            "The autograder failed on its side (not because of your code); your "
            "instructor can see the details. Please resubmit later or tell them."
        )
    lines += [f"warning: {warning}" for warning in result.get("warnings", [])]
    lines.append(f"Public tests: {public_score:g} / {public_max:g} points.")
    if hidden_max:
        lines.append(
            f"Hidden tests: {hidden_max:g} more points, shown when your instructor "
            "publishes the grades."
        )
    return "\n".join(lines)


def validate_results(data: dict) -> list[str]:
    """Problems of ``data`` against Gradescope's documented results.json fields."""
    problems = []
    number = (int, float)
    known = {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
    problems += [f"unknown top-level field {key!r}" for key in data if key not in known]
    if "score" not in data and not all("score" in t for t in data.get("tests", [])):
        problems.append("a score is required at the top level or on every test")
    checks = [
        ("score", number),
        ("execution_time", number),
        ("output", str),
        ("extra_data", dict),
        ("tests", list),
    ]
    for key, kind in checks:
        if key in data and not isinstance(data[key], kind):
            problems.append(f"{key} should be {kind}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} {data[key]!r} is not one of {sorted(VISIBILITIES)}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in FORMATS:
            problems.append(f"{key} {data[key]!r} is not one of {sorted(FORMATS)}")
    test_keys = {
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    }
    for i, test in enumerate(data.get("tests", [])):
        where = f"tests[{i}]"
        problems += [f"{where}: unknown field {key!r}" for key in test if key not in test_keys]
        for key, kind in [
            ("score", number),
            ("max_score", number),
            ("name", str),
            ("number", str),
            ("output", str),
            ("tags", list),
            ("extra_data", dict),
        ]:
            if key in test and (not isinstance(test[key], kind) or isinstance(test[key], bool)):
                problems.append(f"{where}: {key} should be {kind}")
        if test.get("status", "passed") not in ("passed", "failed"):
            problems.append(f"{where}: status {test['status']!r} is not passed or failed")
        if test.get("visibility", "visible") not in VISIBILITIES:
            problems.append(f"{where}: visibility {test['visibility']!r} is not valid")
        for key in ("name_format", "output_format"):
            if key in test and test[key] not in FORMATS:
                problems.append(f"{where}: {key} {test[key]!r} is not valid")
    return problems
