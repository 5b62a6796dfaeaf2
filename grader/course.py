"""Where a course's pieces are, and which exercises it holds: the layout, defined once.

A course folder holds ``exercises/`` (stubs students fill in), ``solutions/`` (the
reference; absent in a student bundle) and one folder per exercise::

    tests/exercises/<name>/
        exercise.toml       its manifest: title, place in the chapter, points, helpers,
                            calibration page, the return types and time budgets of its
                            functions
        test_public.py      public tests (shipped to students)
        hidden/             hidden tests and their support (instructors only)
        wrong/<bug>.patch   the reference with one bug, and the hidden tests that reject it
        right/<variant>/    correct alternatives the contract allows
        calibrate.py, calibration.md   where its thresholds come from

The grader knows no exercise by name: it discovers them here. An exercise folder with
tests but no manifest (a small course of one's own) is graded with the defaults.

An assignment is ``assignments/<name>.toml``: the exercises it grades with their weights
(an exercise's points are scaled by its weight), a due date and a late policy::

    title = "Week 1"
    due = 2026-12-14T23:59:00Z
    late_penalty_per_day = 0.1   # the fraction of the score lost per day late, started
    late_cutoff_days = 3         # later than that: zero
    feedback = "after_publication"   # hidden tests' messages: once published, or "never"
    [exercises]
    decoding = 1      # exercise = weight
    vocabulary = 2
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import grader

MANIFEST_NAME = "exercise.toml"
SETTINGS_NAME = "course.toml"  # beside the exercises' folders: how the whole course grades
DEFAULT_POINTS = 20.0
# When students may read the hidden tests' messages: once grades are published, or never.
FEEDBACK_POLICIES = ("after_publication", "never")


class CourseError(Exception):
    """The course folder is broken (a manifest that does not parse...)."""


@dataclass(frozen=True)
class Exercise:
    """One exercise's manifest."""

    name: str  # the module students write (the folder's name)
    title: str = ""  # what students build, in a line
    order: int = 10**6  # its place in the chapter; exercises without one come last
    points: float = DEFAULT_POINTS  # what its tests are worth in all
    calibration: str = ""  # the page (from the course root) where its thresholds come from
    helpers: list[str] = field(default_factory=list)  # its modules in grader/worker/helpers/
    returns: dict = field(default_factory=dict)  # function → declared return type
    budgets: dict = field(default_factory=dict)  # function → the contract's time budget (s)


@dataclass(frozen=True)
class Assignment:
    """One assignment: which exercises, their weights, when it is due."""

    name: str  # its file's name, e.g. "week1"
    exercises: dict[str, float]  # exercise → weight (its points are scaled by it)
    title: str = ""
    due: datetime | None = None  # with a time zone; None: never late
    late_penalty_per_day: float = 0.0  # fraction of the score lost per day late, started
    late_cutoff_days: float | None = None  # later than that many days: zero
    feedback: str = "after_publication"  # hidden tests' messages to students, or "never"

    def max_points(self, course: Course) -> float:
        return sum(weight * course.points(name) for name, weight in self.exercises.items())

    def as_record(self) -> dict:
        """What a result keeps of it: enough for the reports to weigh the exercises."""
        return {"name": self.name, "weights": dict(self.exercises), "feedback": self.feedback}


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
        return any(self.tests_dir.glob("*/hidden/test_*.py"))

    def exercise_dir(self, name: str) -> Path:
        return self.tests_dir / name

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
        tests = [*self.tests_dir.glob("*/test_*.py"), *self.tests_dir.glob("*/hidden/test_*.py")]
        return self.ordered(p.relative_to(self.tests_dir).parts[0] for p in tests)

    def ordered(self, names) -> list[str]:
        """``names`` in the chapter's order (by manifest), unknown names last, sorted."""
        return sorted(set(names), key=lambda name: (self.exercise(name).order, name))

    def points(self, name: str) -> float:
        return float(self.exercise(name).points)

    @functools.cached_property
    def settings(self) -> dict:
        """``tests/exercises/course.toml``: course-wide switches (``partial_credit``)."""
        path = self.tests_dir / SETTINGS_NAME
        try:
            return tomllib.loads(path.read_text()) if path.is_file() else {}
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise CourseError(f"{path}: {exc}") from None

    @property
    def partial_credit(self) -> bool:
        """Whether metric tests with a ramp earn partial credit (else all or nothing)."""
        return bool(self.settings.get("partial_credit", False))

    @property
    def assignments_dir(self) -> Path:
        return self.root / "assignments"

    def assignment(self, name: str) -> Assignment:
        """The assignment ``name``; ``CourseError`` says why it cannot be used."""
        path = self.assignments_dir / f"{name}.toml"
        if not path.is_file():
            known = sorted(p.stem for p in self.assignments_dir.glob("*.toml"))
            raise CourseError(
                f"no assignment {name!r} ({path} does not exist); "
                f"known: {', '.join(known) or 'none'}"
            )
        try:
            data = tomllib.loads(path.read_text())
            assignment = Assignment(name=name, **data)
        except (tomllib.TOMLDecodeError, TypeError) as exc:
            raise CourseError(f"{path}: {exc}") from None
        if problem := self.unknown_exercises_message(assignment.exercises):
            raise CourseError(f"{path}: {problem}")
        if assignment.feedback not in FEEDBACK_POLICIES:
            raise CourseError(f"{path}: feedback must be one of {', '.join(FEEDBACK_POLICIES)}")
        if assignment.due is not None and (
            not isinstance(assignment.due, datetime) or assignment.due.tzinfo is None
        ):
            raise CourseError(f"{path}: due must be a date and time with a time zone (…Z)")
        return assignment

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
        """The test files of ``exercises`` (default: all), public and/or hidden."""
        files = []
        for name in exercises or self.exercises():
            if "public" in visibilities:
                files += sorted(self.exercise_dir(name).glob("test_*.py"))
            if "hidden" in visibilities:
                files += sorted((self.exercise_dir(name) / "hidden").glob("test_*.py"))
        return files

    def public_files(self, name: str) -> list[Path]:
        """What a student bundle ships of the exercise's test folder: its public tests,
        and its ``conftest.py`` (fixtures the public and hidden tests share)."""
        folder = self.exercise_dir(name)
        names = ("__init__.py", "conftest.py", MANIFEST_NAME)
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_file()
            and (p.name in names or (p.name.startswith("test_") and p.suffix == ".py"))
        )

    def private_files(self, name: str) -> list[Path]:
        """Everything else of the exercise's test folder: hidden tests, fixtures,
        calibration. None of it ever ships to students."""
        public = set(self.public_files(name))
        return sorted(
            p
            for p in self.exercise_dir(name).rglob("*")
            if p.is_file() and p not in public and "__pycache__" not in p.parts
        )

    def exercise_of(self, test_file: Path) -> str:
        """The exercise a test file belongs to: the first folder below ``tests_dir``."""
        return Path(test_file).resolve().relative_to(self.tests_dir.resolve()).parts[0]

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
