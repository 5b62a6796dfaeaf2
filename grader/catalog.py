"""The catalog of a course's tests, read from the test files (never imported).

For each test: its exercise, name, visibility, points and a one-line description (its
docstring's first line, else its name in words). ``grade list`` prints it; the
self-tests use it to check that an exercise's points add up.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from grader.course import Course


@dataclass(frozen=True)
class CatalogEntry:
    """One test of the course."""

    exercise: str
    name: str
    visibility: str  # "public" or "hidden"
    points: float  # 0 when it has no points marker
    description: str


def catalog(course: Course, exercises: list[str] | None = None) -> list[CatalogEntry]:
    """Every test of ``exercises`` (default: all) present in the course, public first."""
    entries = []
    for name in exercises or course.exercises():
        for visibility in ("public", "hidden"):
            for path in course.test_files([name], (visibility,)):
                entries += [
                    CatalogEntry(name, test, visibility, points, description)
                    for test, points, description in read_tests(path)
                ]
    return entries


def read_tests(path: Path) -> list[tuple[str, float, str]]:
    """(name, points, description) of each ``test_*`` function of a test file."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            points = next(
                (
                    float(decorator.args[0].value)
                    for decorator in node.decorator_list
                    if isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.points"
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ),
                0.0,
            )
            docstring = (ast.get_docstring(node) or "").strip().split("\n")[0]
            words = node.name.removeprefix("test_").replace("_", " ")
            found.append((node.name, points, docstring or words))
    return found


def hidden_points_absent(course: Course, name: str) -> float:
    """Points of ``name`` that no test present here holds (a student bundle's hidden tests)."""
    present = sum(entry.points for entry in catalog(course, [name]))
    return max(0.0, course.points(name) - present)
