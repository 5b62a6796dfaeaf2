"""The student release: stubs, public tests, the grader and notebooks, leak-scanned.

``build_release`` writes a folder a student installs with ``pip install .``: the
stubs (``exercises/``), the public tests, the grader package with a ``pyproject.toml``,
a README, one notebook per exercise and a ``MANIFEST.json`` (every file, its sha256).
It copies from an allowlist, then ``scan_bundle`` looks for what must never ship:
a hidden test file, a hidden test's name, a line of a reference solution (other than
the lines the stub provides too), the solutions, fixtures or self-tests. Any leak
fails the release and nothing is left at the destination.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import importlib.metadata
import inspect
import json
import keyword
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import grader
from grader.course import Course
from grader.notebooks import exercise_notebook

SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")
# Paths no release may hold, whatever put them there.
FORBIDDEN_PARTS = {
    "solutions",
    "hidden",
    "wrong",
    "right",
    "fixtures",
    "selftest",
    "calibration",
    "bench",
}
# A solution line shorter than this (non-blank characters) is too common to be a leak:
# `return model`, `else:`, `)`.
MIN_LEAK_CHARS = 16
# Solution lines of these kinds are the contract's, not the solution's: comments, imports,
# signatures (a helper's name is no answer) and decorators.
PROVIDED_KINDS = ("#", "import ", "from ", "def ", "async def ", "class ", "@")
# Words that make no line distinctive: Python's keywords and builtins, and the usual
# parameter names.
GENERIC_WORDS = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls", "args", "kwargs"}
MANIFEST = "MANIFEST.json"


class ReleaseError(Exception):
    """The release cannot be built (bad destination, nothing to release)."""


class LeakError(ReleaseError):
    """The bundle would leak hidden material; ``leaks`` says what and where."""

    def __init__(self, leaks: list[Leak]):
        self.leaks = leaks
        super().__init__(
            f"{len(leaks)} leak(s) of hidden material; nothing was released:\n"
            + "\n".join(f"  {leak}" for leak in leaks)
        )


@dataclass(frozen=True)
class Leak:
    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


@dataclass
class Release:
    folder: Path
    exercises: list[str]
    files: list[dict]
    warnings: list[str] = field(default_factory=list)


# -- building ------------------------------------------------------------------------
def released_exercises(
    course: Course, only: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """(exercises that have a stub and tests, warnings about the others); ``only``: an
    assignment's exercises."""
    tested = [name for name in course.exercises() if only is None or name in only]
    names = [name for name in tested if (course.stubs_dir / f"{name}.py").is_file()]
    warnings = [
        f"{name} is not released: it has tests but no stub exercises/{name}.py"
        for name in tested
        if name not in names
    ]
    warnings += [
        f"{name} has no public tests: students get its stub and notebook only"
        for name in names
        if not course.test_files([name], ("public",))
    ]
    return names, warnings


def build_release(
    course: Course, out_dir: Path, force: bool = False, exercises: list[str] | None = None
) -> Release:
    """Write the student bundle to ``out_dir`` (of ``exercises``, default all); raise
    ``LeakError`` if it would leak."""
    out_dir = out_dir.resolve()
    _check_destination(course, out_dir, force)
    exercises, warnings = released_exercises(course, exercises)
    if not exercises:
        raise ReleaseError(
            f"nothing to release: no exercise of {course.root} has both a stub and tests"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        _write_bundle(course, exercises, staging)
        leaks = scan_bundle(staging, course)
        if leaks:
            raise LeakError(leaks)
        files = write_manifest(
            staging, {"grader_version": grader.__version__, "exercises": exercises}
        )
        staging.chmod(0o755)  # mkdtemp's 0700 is no mode for a folder to hand out
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Release(out_dir, exercises, files, warnings)


def _check_destination(course: Course, out_dir: Path, force: bool) -> None:
    sources = [course.stubs_dir, course.tests_dir, course.solutions_dir, package_dir()]
    if any(out_dir == s.resolve() or s.resolve() in out_dir.parents for s in sources):
        raise ReleaseError(f"{out_dir} is inside a folder the release copies from")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise ReleaseError(
                f"{out_dir} exists and is not empty (use --force to replace an earlier release)"
            )
        if not (out_dir / MANIFEST).is_file():
            raise ReleaseError(
                f"{out_dir} is not an earlier release (no {MANIFEST}): refusing to replace it"
            )


def _write_bundle(course: Course, exercises: list[str], dest: Path) -> None:
    (dest / "exercises").mkdir()
    for path in sorted(course.stubs_dir.iterdir()):
        if (
            path.is_file()
            and not path.name.startswith(".")
            and (path.suffix != ".py" or path.stem in exercises)
        ):
            shutil.copyfile(path, dest / "exercises" / path.name)
    tests = dest / "tests" / "exercises"
    tests.mkdir(parents=True)
    for name in ("pytest.ini", "conftest.py", "__init__.py"):
        if (course.tests_dir / name).is_file():
            shutil.copyfile(course.tests_dir / name, tests / name)
    for name in exercises:  # its manifest and public tests; nothing of hidden/, wrong/...
        (tests / name).mkdir()
        for path in course.public_files(name):
            shutil.copyfile(path, tests / name / path.name)
    copy_package(dest)
    (dest / "pyproject.toml").write_text(package_pyproject())
    (dest / "notebooks").mkdir()
    for name in exercises:
        notebook = exercise_notebook(name, (course.stubs_dir / f"{name}.py").read_text())
        nbformat.write(notebook, dest / "notebooks" / f"{name}.ipynb")
    (dest / "README.md").write_text(student_readme(course, exercises))


def package_dir() -> Path:
    return Path(grader.__file__).resolve().parent


def copy_package(dest: Path) -> None:
    """Copy the grader package's source (no bytecode) to ``dest/grader``."""
    shutil.copytree(package_dir(), dest / "grader", ignore=SKIPPED)


def package_pyproject() -> str:
    """A ``pyproject.toml`` that installs the grader package and its ``grade`` command."""
    project = _project()
    dependencies = "".join(f"    {json.dumps(d)},\n" for d in project["dependencies"])
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "grade"
version = {json.dumps(grader.__version__)}
description = {json.dumps(project["description"])}
readme = "README.md"
requires-python = {json.dumps(project["requires-python"])}
dependencies = [
{dependencies}]

[project.scripts]
grade = "grader.entry:main"

[tool.setuptools.packages.find]
include = ["grader*"]
"""


def _commented(commands: list[tuple[str, str]], columns: int = 80) -> str:
    """Shell lines with their comments aligned, within ``columns``: a command too long
    for that gets its comment on the line above."""
    fits = [(c, why) for c, why in commands if len(c) + len(why) + 4 <= columns]
    width = max(len(command) for command, _ in fits) + 2
    lines = [
        f"{command:<{width}}# {comment}"
        if (command, comment) in fits
        else f"# {comment}:\n{command}"
        for command, comment in commands
    ]
    return "\n".join(lines)


def _project() -> dict:
    """The grader's project metadata: its pyproject when beside it, else the installed one."""
    pyproject = package_dir().parent / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        if project.get("name") == "grade":
            return project
    meta = importlib.metadata.metadata("grade")
    return {
        "description": meta["Summary"] or "",
        "requires-python": meta["Requires-Python"],
        "dependencies": [d for d in meta.get_all("Requires-Dist") or [] if "extra ==" not in d],
    }


def student_readme(course: Course, exercises: list[str]) -> str:
    rows = "\n".join(
        f"| `{name}` | {_summary(course.stubs_dir / f'{name}.py')} |" for name in exercises
    )
    first = exercises[0]
    tensorflow_range = next(
        (f"`{d}`" for d in _project()["dependencies"] if d.startswith("tensorflow")), "any"
    )
    commands = [
        ("grade", "every exercise, from ./exercises"),
        (f"grade {first}", "one exercise"),
        ("grade --submission my_work.zip", "a folder or a .zip of your modules"),
        ("grade --json", "the machine-readable result"),
        (f"grade --submission notebooks/{first}.ipynb {first}", "a notebook"),
    ]
    return f"""# Exercises: NLP with RNNs and Attention

Fill in the stubs in `exercises/` (or the notebooks in `notebooks/`), then let `grade`
run the public tests on your code.

| exercise | what you build |
|---|---|
{rows}

## Install (once)

Python 3.11 or newer, on Linux, macOS or Windows through WSL (`grade` runs your code
in a sandbox that needs a POSIX system; on native Windows it says so and stops). In
this folder:

```bash
python3 -m venv .venv
source .venv/bin/activate
pip install .
```

`pip install .` keeps a TensorFlow you already have when it is one the exercises are
tested on ({tensorflow_range}); otherwise it installs one.

**In Google Colab** (or any Jupyter that already has TensorFlow): upload this folder
as a zip, then run once per session:

```python
!unzip -qo course.zip -d /content/course
%cd /content/course
!pip install -q .
```

Then open a notebook of `notebooks/` and work there: its last cell, `%grade NAME`,
grades the cells you have run, without saving.

## Grade your work

Run `grade` in this folder (or any folder below it):

```bash
{_commented(commands)}
```

`grade` prints one table per exercise (each test, its outcome, its points), then one
block per failed test: what it checked, what came back, and the line of your file it
points to (`exercises/NAME.py:67`, or `NAME.ipynb, cell 5, line 3`). A function you
have not written yet shows as `not started`. `grade -x` stops at the first failure.
Your instructor also runs hidden tests; `grade` says how many points they hold. Exit
code: 0 all public tests passed, 1 points lost, 2 usage error.

## Notebooks

`notebooks/NAME.ipynb` holds the same exercise as `exercises/NAME.py`, one cell per
function. Keep the first line of each code cell (`# exercise: NAME`): it tells `grade`
which module the cell belongs to. To work in Jupyter: `pip install notebook`, then
`jupyter notebook notebooks/`. The last cell of each notebook, `%load_ext grader` then
`%grade NAME`, runs the public tests on the cells the kernel has run (tagged cells, in the
order they ran): no need to save first. Hand in the notebook or the modules, as your
instructor asks.

`MANIFEST.json` lists every file of this folder with its sha256.
"""


def _summary(stub: Path) -> str:
    docstring = ast.get_docstring(ast.parse(stub.read_text())) or ""
    first = inspect.cleandoc(docstring).partition("\n")[0]
    return first.removeprefix("Exercise:").strip().rstrip(".") or stub.stem


def write_manifest(folder: Path, info: dict) -> list[dict]:
    """Write ``MANIFEST.json``: ``info`` and every file's path, size and sha256."""
    files = [
        {
            "path": path.relative_to(folder).as_posix(),
            "bytes": path.stat().st_size,
            "sha256": sha256(path),
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    ]
    (folder / MANIFEST).write_text(json.dumps({**info, "files": files}, indent=1) + "\n")
    return files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the leak scan -------------------------------------------------------------------
def scan_bundle(bundle: Path, course: Course) -> list[Leak]:
    """Every leak of hidden material in ``bundle`` (empty when it is clean)."""
    exercises = course.exercises()
    shipped_public = [p for n in exercises for p in course.public_files(n)]
    shipped_public += _files(course.stubs_dir)
    public_hashes = {sha256(p) for p in shipped_public}
    public_names = {p.name for p in shipped_public}
    hidden_files = [p for n in exercises for p in course.private_files(n)]
    hidden_digests = {
        p: sha256(p) for p in hidden_files + _files(course.solutions_dir) if p.stat().st_size
    }
    hidden_hashes = {d: p for p, d in hidden_digests.items() if d not in public_hashes}
    hidden_names = {p.name for p in hidden_files if p.suffix == ".py"} - public_names
    test_names = hidden_test_names(course)
    solution = solution_lines(course)
    name_pattern = (
        re.compile(r"\b(" + "|".join(map(re.escape, sorted(test_names))) + r")\b")
        if test_names
        else None
    )
    leaks: list[Leak] = []
    for path in _files(bundle):
        relative = path.relative_to(bundle).as_posix()
        forbidden = FORBIDDEN_PARTS & set(Path(relative).parts[:-1])
        if forbidden:
            leaks.append(Leak(relative, "forbidden folder", f"{sorted(forbidden)[0]}/ never ships"))
        digest = sha256(path)
        if digest in hidden_hashes:
            source = hidden_hashes[digest].relative_to(course.root).as_posix()
            leaks.append(Leak(relative, "hidden file", f"a copy of {source}"))
        elif path.name in hidden_names:
            leaks.append(Leak(relative, "hidden file", f"named like hidden {path.name}"))
        text = _text(path)
        if text is None:
            continue
        if name_pattern:
            for name in sorted(set(name_pattern.findall(text))):
                leaks.append(Leak(relative, "hidden test name", f"{name} ({test_names[name]})"))
        normalized = "\n".join(_normalize(line) for line in text.splitlines())
        for line, where in solution.items():
            if line in normalized:
                leaks.append(Leak(relative, "reference solution line", f"{where}: {line[:80]!r}"))
    return leaks


def hidden_test_names(course: Course) -> dict[str, str]:
    """Names of the hidden tests (``test_*`` functions) that no public test shares."""

    def names(files: list[Path]) -> dict[str, str]:
        found = {}
        for path in files:
            if path.suffix == ".py":
                for node in ast.walk(ast.parse(path.read_text(errors="replace"))):
                    if isinstance(
                        node, (ast.FunctionDef, ast.AsyncFunctionDef)
                    ) and node.name.startswith("test"):
                        found[node.name] = path.relative_to(course.root).as_posix()
        return found

    public: dict[str, str] = {}
    hidden: dict[str, str] = {}
    for exercise in course.exercises():
        public |= names(course.test_files([exercise], ("public",)))
        hidden |= names(course.private_files(exercise))
    return {name: where for name, where in hidden.items() if name not in public}


def solution_lines(course: Course) -> dict[str, str]:
    """Normalized lines of the reference solutions that the stubs do not provide.

    Maps each line to where it is (``solutions/x.py:12``); lines that are not
    ``_distinctive`` are left out.
    """
    provided = "\n".join(  # the stubs ship: what they say is no leak, even mid-line
        _normalize(line)
        for stub in _files(course.stubs_dir)
        if stub.suffix == ".py"
        for line in stub.read_text(errors="replace").splitlines()
    )
    lines = {}
    for path in _files(course.solutions_dir):
        if path.suffix != ".py":
            continue
        for number, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
            line = _normalize(raw)
            if line not in provided and _distinctive(line):
                lines.setdefault(line, f"{path.relative_to(course.root).as_posix()}:{number}")
    return lines


def _distinctive(line: str) -> bool:
    """Whether a solution line says something of its own: long enough, not a signature
    or import, not just an opening bracket (``model = keras.Sequential(``), and naming
    something besides Python's own words (``super().__init__()``)."""
    if line.startswith(PROVIDED_KINDS) or len(line.replace(" ", "")) < MIN_LEAK_CHARS:
        return False
    if line.endswith(("(", "[", "{")):  # only opens a call or a literal: its lines say more
        return False
    return any(
        word not in GENERIC_WORDS and not (word.startswith("__") and word.endswith("__"))
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line)
    )


def _normalize(line: str) -> str:
    return " ".join(line.split())


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _text(path: Path) -> str | None:
    """A file's text for the scan (a notebook's cell sources), ``None`` for binary files."""
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        return None
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(text)
            return "\n".join("".join(c.get("source", "")) for c in notebook.get("cells", []))
        except (ValueError, AttributeError):
            return text
    return text
