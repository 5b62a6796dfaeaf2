"""Turning what a student hands in into a clean folder of modules for the worker.

A submission is a folder (modules at its top or in ``exercises/``), a ``.zip`` of
such a folder, or a notebook whose code cells are tagged ``# exercise: NAME``.
The copy keeps only source and small data files; it drops bytecode, ``.pth``
files, pytest/tox/setup configs, ``conftest.py`` and ``sitecustomize.py``, refuses
symlinks and modules that would shadow the standard library or an installed
package. Anything wrong with the submission as a whole raises ``InvalidSubmission``:
the caller grades it as zero with that reason.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import stat
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.course import EXERCISE_ORDER

KEPT_SUFFIXES = {".py", ".txt", ".csv", ".json", ".npy", ".npz"}
DROPPED_NAMES = {
    "conftest.py",
    "sitecustomize.py",
    "usercustomize.py",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "setup.py",
    "pyproject.toml",
    "__pycache__",
}
MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_FILES = 500
MAX_ZIP_RATIO = 100
TAG = re.compile(r"^#\s*exercise:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


class InvalidSubmission(Exception):
    """The submission cannot be graded at all (a bad zip, an unreadable notebook...)."""


@dataclass
class PreparedSubmission:
    folder: Path
    warnings: list[str] = field(default_factory=list)


def submission_id(source: Path) -> str:
    """A submission's id: its name without extension."""
    if source.suffix in (".zip", ".ipynb"):
        return source.name[: -len(source.suffix)]
    return source.name


def prepare(source: Path, dest: Path) -> PreparedSubmission:
    """Copy ``source`` (folder, zip or notebook) into the empty folder ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        raise InvalidSubmission("the submission is a symbolic link")
    if source.is_dir():
        return _copy_folder(_module_root(source), dest, [])
    if source.suffix == ".zip":
        staging = dest.parent / (dest.name + "-unzipped")
        extract_zip(source, staging)
        try:
            return _copy_folder(_module_root(staging), dest, [])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if source.suffix == ".ipynb":
        return _from_notebook(source, dest)
    if not source.exists():
        raise InvalidSubmission(f"{source} does not exist")
    raise InvalidSubmission(f"{source.name} is not a folder, a .zip or an .ipynb")


def _module_root(folder: Path) -> Path:
    """Where the modules are: the top, ``exercises/``, or the single folder a zip held."""

    def has_modules(path: Path) -> bool:
        return any((path / f"{name}.py").is_file() for name in EXERCISE_ORDER) or any(
            p.suffix == ".py" for p in path.iterdir() if p.is_file()
        )

    if (folder / "exercises").is_dir() and not any(
        (folder / f"{n}.py").is_file() for n in EXERCISE_ORDER
    ):
        return folder / "exercises"
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not entries[0].is_symlink()
        and not has_modules(folder)
    ):
        return _module_root(entries[0])
    return folder


def _shadowed_names() -> set[str]:
    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    try:
        names |= set(importlib.metadata.packages_distributions())
    except Exception:  # broken metadata must not stop grading
        pass
    return names - set(EXERCISE_ORDER)


def _copy_folder(root: Path, dest: Path, warnings: list[str]) -> PreparedSubmission:
    shadowed = _shadowed_names()
    total, count = 0, 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in DROPPED_NAMES or part.startswith(".") for part in relative.parts):
            continue
        if path.is_symlink():
            warnings.append(f"refused {relative}: symbolic links are not accepted")
            continue
        if path.is_dir() or path.suffix not in KEPT_SUFFIXES:
            continue
        top = relative.parts[0].removesuffix(".py")
        if top in shadowed:
            warnings.append(
                f"refused {relative}: the module name {top!r} would shadow the "
                "standard library or an installed package; rename it"
            )
            continue
        total += path.stat().st_size
        count += 1
        if total > MAX_TOTAL_BYTES or count > MAX_FILES:
            raise InvalidSubmission(
                f"the submission is too large (over {MAX_FILES} files or "
                f"{MAX_TOTAL_BYTES // 2**20} MB of source and data)"
            )
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return PreparedSubmission(dest, warnings)


def extract_zip(source: Path, dest: Path) -> None:
    """Extract a zip safely: no absolute paths, no ``..``, no links, bounded size."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidSubmission(f"{source.name} is not a readable zip file ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES * 4:
            raise InvalidSubmission(f"the zip holds too many files ({len(members)})")
        total = 0
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", str(name)):
                raise InvalidSubmission(f"the zip holds an unsafe path: {member.filename!r}")
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidSubmission(f"the zip holds a symbolic link: {member.filename!r}")
            total += member.file_size
            if total > MAX_TOTAL_BYTES * 2:
                raise InvalidSubmission(
                    f"the zip expands to more than {2 * MAX_TOTAL_BYTES // 2**20} MB"
                )
            if (
                member.compress_size
                and member.file_size / member.compress_size > MAX_ZIP_RATIO
                and member.file_size > 1024 * 1024
            ):
                raise InvalidSubmission(f"the zip looks like a zip bomb ({member.filename!r})")
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            if member.is_dir():
                continue
            target = dest / PurePosixPath(member.filename.replace("\\", "/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, length=1024 * 1024)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InvalidSubmission(f"the zip is damaged ({exc})") from None


def notebook_modules(source: Path) -> dict[str, str]:
    """Module name → source, from a notebook's code cells (never executed)."""
    import nbformat

    try:
        notebook = nbformat.read(source, as_version=4)
    except Exception as exc:  # nbformat raises many types for a broken file
        raise InvalidSubmission(f"{source.name} is not a readable notebook ({exc})") from None
    shared: list[str] = []
    tagged: dict[str, list[str]] = {}
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        lines = _strip_magics(str(cell.get("source", "")))
        first = next((line for line in lines if line.strip()), "")
        match = TAG.match(first.strip())
        if match:
            tagged.setdefault(match.group(1), []).append("\n".join(lines))
        else:
            shared.append("\n".join(lines))
    if not tagged:
        raise InvalidSubmission(
            f"{source.name} has no cell tagged '# exercise: NAME' (NAME one of "
            f"{', '.join(EXERCISE_ORDER)})"
        )
    return {name: "\n\n".join(shared + cells) + "\n" for name, cells in tagged.items()}


def _strip_magics(text: str) -> list[str]:
    """Drop IPython magics (%, %%) and shell escapes (!); they are not Python."""
    lines = text.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return []
    return ["" if line.lstrip().startswith(("%", "!")) else line for line in lines]


def _from_notebook(source: Path, dest: Path) -> PreparedSubmission:
    shadowed = _shadowed_names()
    warnings = []
    for name, code in notebook_modules(source).items():
        if name in shadowed:
            warnings.append(f"refused cells tagged {name!r}: the name would shadow a module")
            continue
        (dest / f"{name}.py").write_text(code)
    return PreparedSubmission(dest, warnings)
