"""Where a course's pieces are, and which exercises it holds: the layout, defined once.

A course folder holds ``exercises/`` (stubs), ``solutions/`` (reference; absent in a
student bundle), ``tests/exercises/{public,hidden}/test_<exercise>.py`` (hidden absent in
a student bundle) and, for each exercise, ``tests/exercises/<exercise>/exercise.toml``:
its manifest (title, place in the chapter, points, calibration page, return types). The
grader knows no exercise by name: it discovers them here. An exercise with tests but no
manifest (a small course of one's own) is graded with the defaults.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import grader

MANIFEST_NAME = "exercise.toml"
DEFAULT_POINTS = 20.0


class CourseError(Exception):
    """The course folder is broken (a manifest that does not parse...)."""


@dataclass(frozen=True)
class Exercise:
    """One exercise's manifest."""

    name: str  # the module students write, e.g. "reber"
    title: str = ""  # what students build, in a line
    order: int = 10**6  # its place in the chapter; exercises without one come last
    points: float = DEFAULT_POINTS  # what its tests are worth in all
    calibration: str = ""  # the page (from the course root) where its thresholds come from
    returns: dict = field(default_factory=dict)  # function → declared return type


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``tests/exercises``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "tests" / "exercises").is_dir():
            return folder
    return None


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def locate(cls, start: Path | None = None) -> Course:
        root = find_course_root(start or Path.cwd())
        if root is None:
            raise FileNotFoundError(
                "no course found: run grade inside the course folder (the one holding "
                "tests/exercises), or pass --course"
            )
        return cls(root)

    @property
    def tests_dir(self) -> Path:
        return self.root / "tests" / "exercises"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def stubs_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def has_hidden_tests(self) -> bool:
        return any((self.tests_dir / "hidden").glob("test_*.py"))

    def manifest_path(self, name: str) -> Path:
        return self.tests_dir / name / MANIFEST_NAME

    @functools.cached_property
    def manifests(self) -> dict[str, Exercise]:
        """Every exercise that has a manifest, by name."""
        found = {}
        for path in sorted(self.tests_dir.glob(f"*/{MANIFEST_NAME}")):
            try:
                data = tomllib.loads(path.read_text())
                found[path.parent.name] = Exercise(name=path.parent.name, **data)
            except (tomllib.TOMLDecodeError, TypeError, OSError) as exc:
                raise CourseError(f"{path}: {exc}") from None
        return found

    def exercise(self, name: str) -> Exercise:
        """The manifest of ``name`` (the defaults when it has none)."""
        return self.manifests.get(name) or Exercise(name)

    def exercises(self) -> list[str]:
        """Exercise names that have tests here, in the chapter's order."""
        with_tests = {p.stem.removeprefix("test_") for p in self.tests_dir.glob("*/test_*.py")}
        return self.ordered(with_tests)

    def ordered(self, names) -> list[str]:
        """``names`` in the chapter's order (by manifest), unknown names last, sorted."""
        return sorted(set(names), key=lambda name: (self.exercise(name).order, name))

    def points(self, name: str) -> float:
        return float(self.exercise(name).points)

    def unknown_exercises_message(self, exercises) -> str | None:
        """Why ``exercises`` cannot be graded here, or None when every name is known."""
        known = self.exercises()
        unknown = [name for name in exercises if name not in known]
        if not unknown:
            return None
        return f"unknown exercise {', '.join(unknown)}; choose from {', '.join(known)}"

    def test_files(
        self,
        exercises: list[str] | None = None,
        visibilities: tuple[str, ...] = ("public", "hidden"),
    ) -> list[Path]:
        names = exercises or self.exercises()
        files = []
        for name in names:
            for visibility in visibilities:
                path = self.tests_dir / visibility / f"test_{name}.py"
                if path.is_file():
                    files.append(path)
        return files

    def suite_hash(self) -> str:
        """Changes when any test, manifest, helper or the grader changes: a batch regrades."""
        return self._suite_hash

    @functools.cached_property
    def _suite_hash(self) -> str:
        # Read once per Course: every submission of a batch records it.
        digest = hashlib.sha256(grader.__version__.encode())
        roots = [self.tests_dir, Path(grader.__file__).parent]
        if self.solutions_dir.is_dir():
            roots.append(self.solutions_dir)
        for root in roots:
            for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml")):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]
