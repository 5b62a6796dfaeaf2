"""Self-tests of the grader: they grade fixtures through the real CLI machinery."""

from pathlib import Path

import pytest

from grader.course import Course

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def course() -> Course:
    return Course(ROOT)
