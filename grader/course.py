"""Where a course's pieces are: stubs, reference solutions, public and hidden tests.

A course folder holds ``exercises/`` (stubs), ``solutions/`` (reference; absent in
a student bundle), and ``tests/exercises/{public,hidden}/test_<exercise>.py``
(hidden absent in a student bundle).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import grader

EXERCISE_ORDER = ["stateful_dataset", "reber", "date_seq2seq", "sampled_softmax", "beam_search"]
POINTS_PER_EXERCISE = 20


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``tests/exercises``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "tests" / "exercises").is_dir():
            return folder
    return None


def in_chapter_order(names) -> list[str]:
    """The chapter's exercises first, in its order; any others after, sorted."""
    names = set(names)
    known = [name for name in EXERCISE_ORDER if name in names]
    return known + sorted(names - set(known))


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

    def exercises(self) -> list[str]:
        """Exercise names that have tests here, in the chapter's order."""
        return in_chapter_order(
            p.stem.removeprefix("test_") for p in self.tests_dir.glob("*/test_*.py")
        )

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
        """Changes when any test, helper or the grader itself changes: a batch regrades then."""
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
