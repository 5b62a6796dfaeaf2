"""`grade release`: the student bundle, its manifest, the leak scan, a fresh install.

They build releases of the real course and of the fake one. The slow test installs a
release into a new virtual environment and runs its own `grade` there (17 s with two
exercises, 55 s with three on a loaded machine); its fast variant grades the stubs
with the bundle's course and this grader.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from conftest import FIXTURES, ROOT
from tiny_course import add_second_exercise, make_course

from grader.course import Course
from grader.grading import GradeOptions, grade_submission
from grader.notebooks import tag
from grader.release import MANIFEST, build_release, scan_bundle, sha256, student_readme

FAKE = FIXTURES / "fake_course"


def grade_cli(*args, cwd: Path, python: str = sys.executable):
    return subprocess.run(
        [python, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_release(Course(ROOT), tmp_path_factory.mktemp("release") / "student")


def test_release_holds_what_students_need_and_nothing_else(release):
    bundle = release.folder
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    for name in release.exercises:
        assert f"exercises/{name}.py" in files and f"notebooks/{name}.ipynb" in files
    assert {
        "README.md",
        "pyproject.toml",
        "grader/__init__.py",
        "grader/cli/__init__.py",
        "tests/exercises/pytest.ini",
        "tests/exercises/conftest.py",
    } <= files
    assert not any(
        part in {"solutions", "hidden", "wrong", "right", "fixtures", "selftest", "__pycache__"}
        for path in files
        for part in path.split("/")
    )
    assert not any(path.endswith(("support.py", "calibrate.py", ".patch")) for path in files)
    public = {
        f"tests/exercises/{n}/{name}"
        for n in release.exercises
        for name in ("test_public.py", "exercise.toml", "__init__.py")
    }
    assert public <= files


def test_manifest_lists_every_file_with_its_hash(release):
    manifest = json.loads((release.folder / MANIFEST).read_text())
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    on_disk = {
        p.relative_to(release.folder).as_posix(): sha256(p)
        for p in release.folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    assert listed == on_disk
    assert manifest["exercises"] == release.exercises


def test_release_of_the_repository_passes_the_leak_scan(release):
    assert scan_bundle(release.folder, Course(ROOT)) == []


def test_notebooks_are_tagged_and_end_with_the_public_tests(release):
    for name in release.exercises:
        notebook = nbformat.read(release.folder / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        assert all(source.startswith(tag(name) + "\n") for source in code[:-1])
        assert code[-1] == f"%load_ext grader\n%grade {name}"
        assert notebook.cells[0].cell_type == "markdown" and name in notebook.cells[0].source


def test_bundle_course_grades_the_stubs_as_zero(release):
    """The fast variant of the fresh install: the bundle's own course, one exercise."""
    exercise = release.exercises[0]
    result = grade_submission(
        release.folder / "exercises",
        Course(release.folder),
        GradeOptions(exercises=(exercise,), seed=1),
    )
    tests = result["exercises"][exercise]["tests"]
    assert result["status"] == "graded" and tests and result["score"] == 0
    assert all(t["visibility"] == "public" and t["outcome"] != "passed" for t in tests)


# -- the leak scan, on the TF-free fake course ----------------------------------------
@pytest.fixture
def fake_course(tmp_path) -> Course:
    shutil.copytree(FAKE, tmp_path / "course")
    return Course(tmp_path / "course")


def test_leak_scan_names_every_kind_of_leak(fake_course, tmp_path):
    bundle = build_release(fake_course, tmp_path / "out").folder
    assert scan_bundle(bundle, fake_course) == []
    hidden = fake_course.tests_dir / "echo" / "hidden" / "test_hidden.py"
    shutil.copyfile(hidden, bundle / "tests" / "exercises" / "echo" / "test_more.py")
    with open(bundle / "README.md", "a") as readme:
        readme.write("\nHint: test_square wants big numbers.\n")
    with open(bundle / "exercises" / "echo.py", "a") as stub:
        stub.write("\n# the answer:    return   np.asarray(x) * k\n")
    (bundle / "solutions").mkdir()
    (bundle / "solutions" / "notes.txt").write_text("nothing\n")
    leaks = {(leak.path, leak.kind) for leak in scan_bundle(bundle, fake_course)}
    assert ("tests/exercises/echo/test_more.py", "hidden file") in leaks
    assert ("README.md", "hidden test name") in leaks
    assert ("exercises/echo.py", "reference solution line") in leaks
    assert ("solutions/notes.txt", "forbidden folder") in leaks


def test_a_leak_fails_the_release_and_writes_nothing(fake_course, tmp_path):
    stub = fake_course.stubs_dir / "echo.py"
    stub.write_text(
        stub.read_text().replace(
            'raise NotImplementedError("square")', "return n * n  # see test_square"
        )
    )
    out = tmp_path / "out"
    completed = grade_cli("release", str(out), "--course", str(fake_course.root), cwd=tmp_path)
    assert completed.returncode == 1
    assert "leak" in completed.stdout and "exercises/echo.py" in completed.stdout
    assert "test_square" in completed.stdout
    assert not out.exists() and not list(tmp_path.glob(".out-*"))


def test_release_refuses_a_folder_that_is_not_a_release(fake_course, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious\n")
    args = ("release", str(tmp_path / "mine"), "--course", str(fake_course.root))
    assert grade_cli(*args, cwd=tmp_path).returncode == 2
    assert grade_cli(*args, "--force", cwd=tmp_path).returncode == 2
    assert (tmp_path / "mine" / "thesis.tex").exists()
    assert (
        grade_cli(
            "release", str(tmp_path / "out"), "--course", str(fake_course.root), cwd=tmp_path
        ).returncode
        == 0
    )
    assert (
        grade_cli(
            "release",
            str(tmp_path / "out"),
            "--course",
            str(fake_course.root),
            "--force",
            cwd=tmp_path,
        ).returncode
        == 0
    )


# -- a fresh install -------------------------------------------------------------------
# The fresh venv's dependencies come through a .pth line from a folder the worker's
# sandbox rightly does not open (only the venv's own site-packages): run it without.
NO_SANDBOX = {**os.environ, "GRADE_ISOLATION": "off"}


def fresh_venv(path: Path) -> Path:
    """A new virtual environment whose own site-packages come first.

    Its dependencies (TensorFlow...) come from this interpreter's site-packages through
    a ``.pth`` line: ``--system-site-packages`` would give the base interpreter's, not
    this venv's, and the machine has no network for a real install.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=300
    )
    python = path / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    (Path(site.stdout.strip()) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def pip_install(python: Path, source: Path) -> None:
    """``pip install --no-deps`` into ``python``'s environment, offline when it can be."""
    offline = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            *offline,
            "--disable-pip-version-check",
            str(source),
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )


@pytest.mark.slow
def test_release_installs_in_a_fresh_venv_and_grades(release, tmp_path):
    python = fresh_venv(tmp_path / "venv")
    bundle = tmp_path / "bundle"
    shutil.copytree(release.folder, bundle)
    pip_install(python, bundle)
    where = subprocess.run(
        [str(python), "-c", "import grader; print(grader.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert where.stdout.startswith(str(tmp_path / "venv"))
    grade = str(tmp_path / "venv" / "bin" / "grade")

    stubs = subprocess.run(
        [grade, "--json", "--seed", "1"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=900,
        env=NO_SANDBOX,
    )
    result = json.loads(stubs.stdout)
    assert stubs.returncode == 1 and result["status"] == "graded"
    assert result["score"] == 0 and result["max_score"] > 0
    assert set(result["exercises"]) == set(release.exercises) & set(Course(bundle).exercises())

    for name in release.exercises:
        shutil.copyfile(ROOT / "solutions" / f"{name}.py", bundle / "exercises" / f"{name}.py")
    filled = subprocess.run(
        [grade, "--json", "--seed", "1"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=900,
        env=NO_SANDBOX,
    )
    result = json.loads(filled.stdout)
    failed = [
        (e, t["name"], t["message"])
        for e, data in result["exercises"].items()
        for t in data["tests"]
        if t["outcome"] != "passed"
    ]
    assert filled.returncode == 0 and not failed
    assert result["score"] == result["max_score"] > 0


def test_release_of_an_assignment_holds_only_its_exercises(tmp_path):
    course = add_second_exercise(make_course(tmp_path / "course"))
    release = build_release(course, tmp_path / "out", exercises=["negate"])
    assert release.exercises == ["negate"]
    files = {p.relative_to(release.folder).as_posix() for p in release.folder.rglob("*")}
    assert "exercises/negate.py" in files and "notebooks/negate.ipynb" in files
    assert not any("adder" in name for name in files)


def test_the_shipped_example_assignment_is_valid(course):
    assignment = course.assignment("decoding")
    assert set(assignment.exercises) <= set(course.exercises())
    assert assignment.max_points(course) == 50


def test_a_student_bundle_shows_the_students_commands(fake_course, tmp_path):
    """In a bundle: `grade --help` lists the student's commands, an instructor's command
    says what it needs, and `grade` works from any folder below the bundle."""
    bundle = build_release(fake_course, tmp_path / "out").folder

    def grade(*args, cwd=bundle):
        return subprocess.run(
            [sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True
        )

    listed = grade("--help").stdout
    assert "list" in listed and not any(f"  {c} " in listed for c in ("batch", "release"))
    refused = grade("batch", str(bundle), "--out", str(tmp_path / "o"))
    assert refused.returncode == 2 and "needs the instructor's course" in refused.stderr
    below = grade("echo", "--json", "--seed", "1", cwd=bundle / "exercises")
    assert json.loads(below.stdout)["status"] == "graded", below.stderr


def test_readme_commands_fit_80_columns_with_aligned_comments(course):
    text = student_readme(course, course.exercises())
    block = text.split("## Grade your work")[1].split("```bash\n")[1].split("```")[0]
    lines = block.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    columns = {line.index("  # ") for line in lines if "  # " in line}
    assert len(columns) == 1, f"comments not aligned: {lines}"
