"""A tiny TensorFlow-free course, `adder`, and ways to hand it in: for the batch self-tests.

One exercise with a public test (5 points) and two hidden tests (7 + 8 points), graded
in about a second per submission.
"""

import textwrap
import zipfile
from pathlib import Path

import nbformat

from grader.course import Course
from grader.grading import GradeOptions

HIDDEN_SECRET = "SECRET-HIDDEN-MESSAGE"
OPTIONS = GradeOptions(memory_gb=1.0)

PERFECT = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
WRONG_MUL = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n"
LOOPING_ADD = (
    "def add(a, b):\n    while True:\n        pass\n\n\ndef mul(a, b):\n    return a * b\n"
)

COURSE_FILES = {
    "tests/exercises/pytest.ini": """\
        [pytest]
        addopts = -p no:cacheprovider --no-preload-tf
        timeout = 300
        timeout_method = signal
        markers =
            points(n): what the test is worth
            exercise(name): the exercise a test belongs to
        """,
    "tests/exercises/conftest.py": 'pytest_plugins = ["grader.plugin"]\n',
    "tests/exercises/__init__.py": "",
    "tests/exercises/adder/__init__.py": "",
    "tests/exercises/adder/hidden/__init__.py": "",
    "tests/exercises/adder/test_public.py": """\
        import pytest


        @pytest.mark.points(5)
        def test_add_small(student):
            got = student.adder.add.options(timeout=3)(2, 3)
            assert got == 5, f"add(2, 3) should be 5, got {got}"
        """,
    "tests/exercises/adder/hidden/test_hidden.py": f"""\
        import pytest


        @pytest.mark.points(7)
        def test_add_many(student, rng):
            for a, b in rng.integers(-100, 100, size=(5, 2)).tolist():
                assert student.adder.add.options(timeout=3)(a, b) == a + b, \\
                    "{HIDDEN_SECRET}: add is wrong on a hidden pair"


        @pytest.mark.points(8)
        def test_mul(student, rng):
            a, b = rng.integers(2, 100, size=2).tolist()
            assert student.adder.mul.options(timeout=3)(a, b) == a * b, \\
                "{HIDDEN_SECRET}: mul is wrong"
        """,
    "solutions/adder.py": PERFECT,
    "exercises/adder.py": "def add(a, b):\n    raise NotImplementedError\n\n\n"
    "def mul(a, b):\n    raise NotImplementedError\n",
}


def write_files(root: Path, files: dict[str, str]) -> Course:
    """Write ``files`` (course path → text, dedented) under ``root``; the course there."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return Course(root)


def make_course(root: Path) -> Course:
    return write_files(root, COURSE_FILES)


def folder_submission(parent: Path, name: str, code: str) -> Path:
    (parent / name).mkdir(parents=True)
    (parent / name / "adder.py").write_text(code)
    return parent / name


def zip_submission(parent: Path, name: str, code: str) -> Path:
    with zipfile.ZipFile(parent / f"{name}.zip", "w") as archive:
        archive.writestr(f"{name}/adder.py", code)
    return parent / f"{name}.zip"


def notebook_submission(parent: Path, name: str, code: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("My work"),
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip list"),
        nbformat.v4.new_code_cell("# exercise: adder\n" + code),
    ]
    nbformat.write(notebook, parent / f"{name}.ipynb")
    return parent / f"{name}.ipynb"


def make_class(folder: Path) -> Path:
    folder.mkdir(parents=True)
    folder_submission(folder, "perfect", PERFECT)
    zip_submission(folder, "wrong_mul", WRONG_MUL)
    folder_submission(folder, "looping", LOOPING_ADD)
    notebook_submission(folder, "notebook", PERFECT)
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    (folder / "notes.txt").write_text("not a submission")
    return folder


# A second exercise, for a course graded exercise by exercise into one output folder.
SECOND_EXERCISE_FILES = {
    "tests/exercises/negate/__init__.py": "",
    "tests/exercises/negate/test_public.py": """\
        import pytest


        @pytest.mark.points(20)
        def test_negate(student):
            assert student.negate.negate.options(timeout=3)(4) == -4, "negate(4) should be -4"
        """,
    "solutions/negate.py": "def negate(x):\n    return -x\n",
    "exercises/negate.py": "def negate(x):\n    raise NotImplementedError\n",
}


def add_second_exercise(course: Course) -> Course:
    return write_files(course.root, SECOND_EXERCISE_FILES)
