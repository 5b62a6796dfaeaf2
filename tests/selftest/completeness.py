"""What a complete exercise is, checked against its manifest: the list a newcomer follows.

``problems(course, name)`` lists, in words, what the exercise ``name`` still lacks: its
stub and reference, public and hidden tests worth the manifest's points, a wrong fixture
for every hidden test (each still applying to today's reference), return types declared
for functions the stub defines, the worker helpers it names, and a calibration page that
explains every threshold of its hidden tests.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fixture_patches import PatchError, apply_patch, read_fixture

from grader.catalog import read_tests
from grader.course import Course
from grader.returns import SpecError, course_returns

THRESHOLD_NAME = re.compile(r"^[A-Z_]*(THRESHOLD|BOUND)$")


def problems(course: Course, name: str) -> list[str]:
    """Everything the exercise ``name`` lacks; empty when it is complete."""
    found: list[str] = []
    folder = course.tests_dir / name
    exercise = course.exercise(name)
    stub = course.stubs_dir / f"{name}.py"
    reference = course.solutions_dir / f"{name}.py"
    for path, what in [
        (course.manifest_path(name), "its manifest"),
        (stub, "the stub students fill in"),
        (reference, "the reference solution"),
        (folder / "__init__.py", "the package marker of its tests"),
        (folder / "test_public.py", "its public tests"),
        (folder / "hidden" / "__init__.py", "the package marker of its hidden tests"),
        (folder / "hidden" / "test_hidden.py", "its hidden tests"),
    ]:
        if not path.is_file():
            found.append(f"missing {path.relative_to(course.root)} ({what})")
    public = _tests(course.test_files([name], ("public",)))
    hidden = _tests(course.test_files([name], ("hidden",)))
    points = sum(public.values()) + sum(hidden.values())
    if points != exercise.points:
        found.append(
            f"its tests are worth {points:g} points, its manifest says {exercise.points:g} "
            f"(public {sum(public.values()):g}, hidden {sum(hidden.values()):g})"
        )
    found += [
        f"{test} has no @pytest.mark.points" for test, p in {**public, **hidden}.items() if not p
    ]
    found += _wrong_fixture_problems(course, name, set(hidden), set(public))
    found += _return_problems(course, name, stub)
    for helper in exercise.helpers:
        if not (course.root / "grader" / "worker" / "helpers" / f"{helper}.py").is_file():
            found.append(f"its manifest names the worker helper {helper!r}: no such module")
    found += _calibration_problems(course, name)
    return found


def _tests(files: list[Path]) -> dict[str, float]:
    """Test function → its points (0 when it has no points marker)."""
    return {name: points for path in files for name, points, _ in read_tests(path)}


def _wrong_fixture_problems(
    course: Course, name: str, hidden: set[str], public: set[str]
) -> list[str]:
    found = []
    patches = sorted((course.tests_dir / name / "wrong").glob("*.patch"))
    proven: set[str] = set()
    reference = course.solutions_dir / f"{name}.py"
    for path in patches:
        where = path.relative_to(course.root)
        try:
            fixture = read_fixture(path)
            if reference.is_file():
                apply_patch(reference.read_text(), fixture.diff, f"solutions/{name}.py")
        except PatchError as exc:
            found.append(f"the wrong fixture {where} is broken: {exc}")
            continue
        unknown = [t for t in fixture.tests if t not in hidden | public]
        if unknown:
            found.append(f"the wrong fixture {where} names tests that do not exist: {unknown}")
        proven |= set(fixture.tests)
    unproven = sorted(hidden - proven)
    if unproven:
        found.append(
            f"hidden tests that no wrong fixture (tests/exercises/{name}/wrong/*.patch) "
            f"proves able to fail: {unproven}"
        )
    return found


def _return_problems(course: Course, name: str, stub: Path) -> list[str]:
    try:
        declared = {k.split(".", 1)[1] for k in course_returns(course) if k.startswith(name + ".")}
    except SpecError as exc:
        return [str(exc)]
    if not stub.is_file():
        return []
    defined = {
        node.name
        for node in ast.parse(stub.read_text()).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    return [
        f"its manifest declares the return type of {function!r}, which the stub does not define"
        for function in sorted(declared - defined)
    ]


def _calibration_problems(course: Course, name: str) -> list[str]:
    thresholds = sorted(
        target.id
        for path in course.test_files([name], ("hidden",))
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and THRESHOLD_NAME.match(target.id)
    )
    page = course.exercise(name).calibration
    if not thresholds and not page:
        return []
    found = []
    if thresholds and not (course.tests_dir / name / "calibrate.py").is_file():
        found.append(
            f"its hidden tests have thresholds {thresholds} but no script "
            f"tests/exercises/{name}/calibrate.py calibrates them"
        )
    if not page:
        return [
            *found,
            f"its hidden tests have thresholds {thresholds} but its manifest "
            "names no calibration page",
        ]
    path = course.root / page
    if not path.is_file():
        return [*found, f"its manifest names the calibration page {page}, which does not exist"]
    text = path.read_text()
    return found + [
        f"{page} does not explain the threshold {threshold} of its hidden tests"
        for threshold in thresholds
        if threshold not in text
    ]
