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
import io
import os
import re
import shutil
import stat
import sys
import tokenize
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from grader.locations import FRAME_LINE, Location
from grader.safe_text import printable

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
    """A submission copied into ``folder``, and how the student names its places."""

    folder: Path  # the grader's copy, graded as it is
    warnings: list[str] = field(default_factory=list)  # files skipped or refused
    shown_as: str = ""  # the modules' folder as the student knows it: "exercises", "hw.zip"
    # a module assembled from notebook cells → (first line, "hw.ipynb, cell 5") per cell
    pieces: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def describe(self, location: Location) -> str:
        """``location`` in the student's words: ``exercises/NAME.py:67`` or
        ``NAME.ipynb, cell 5, line 3``."""
        file, line = location["file"], location["line"]
        if pieces := self.pieces.get(file):
            first, label = max((p for p in pieces if p[0] <= line), default=pieces[0])
            return f"{label}, line {line - first + 1}"
        return f"{self.shown_as}/{file}:{line}" if self.shown_as else f"{file}:{line}"

    def rewrite_paths(self, text: str) -> str:
        """``text`` with the grader's copy's paths replaced by the student's names."""
        prefix = str(self.folder).rstrip("/") + "/"

        def frame(match: re.Match) -> str:  # a notebook's frame names its cell
            file = match["file"][len(prefix) :]
            if not match["file"].startswith(prefix) or file not in self.pieces:
                return match[0]
            return self.describe(Location(file=file, line=int(match["line"])))

        text = FRAME_LINE.sub(frame, text)
        return text.replace(prefix, f"{self.shown_as}/" if self.shown_as else "")


def prepare(source: Path, dest: Path, exercises: Iterable[str] = ()) -> PreparedSubmission:
    """Copy ``source`` (folder, zip or notebook) into the empty folder ``dest``.

    Reading the submission can fail in any way a file system allows (a FIFO named
    ``x.zip``, an unreadable folder, a name too long to copy): each is a reason, never a
    crash. Only regular files are copied; nothing is opened that could block.
    ``exercises`` are the course's module names: they may shadow nothing, and where they
    stand is where the modules are.
    """
    exercises = frozenset(exercises)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        kind = os.lstat(source).st_mode
    except OSError as exc:
        raise InvalidSubmission(f"the submission cannot be read ({_why(exc)})") from None
    try:
        if stat.S_ISLNK(kind):
            raise InvalidSubmission("the submission is a symbolic link")
        if stat.S_ISDIR(kind):
            root = _module_root(source, exercises)
            prepared = _copy_folder(root, dest, [], exercises)
            prepared.shown_as = _as_the_student_names(root, source)
            return prepared
        if source.suffix not in (".zip", ".ipynb"):
            raise InvalidSubmission(
                f"{printable(source.name)} is not a folder, a .zip or an .ipynb"
            )
        if not stat.S_ISREG(kind):
            raise InvalidSubmission(f"{printable(source.name)} is not a regular file")
        if source.suffix == ".zip":
            staging = dest.parent / (dest.name + "-unzipped")
            warnings = extract_zip(source, staging)
            try:
                root = _module_root(staging, exercises)
                prepared = _copy_folder(root, dest, warnings, exercises)
                inside = root.relative_to(staging).as_posix()
                prepared.shown_as = printable(source.name + ("" if inside == "." else f":{inside}"))
                return prepared
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return _from_notebook(source, dest, exercises)
    except OSError as exc:  # the tree changed under us, or a folder cannot be listed
        raise InvalidSubmission(f"the submission cannot be read ({_why(exc)})") from None


def _as_the_student_names(root: Path, source: Path) -> str:
    """The modules' folder as the student names it: relative to the working folder when
    below it, else from the submission's own name (never a path of this machine)."""
    try:
        return printable(str(root.absolute().relative_to(Path.cwd())))
    except ValueError:
        return printable(str(root.absolute().relative_to(source.absolute().parent)))


def _why(exc: OSError) -> str:
    where = f": {printable(os.fsdecode(exc.filename))}" if exc.filename else ""
    return f"{exc.strerror or type(exc).__name__}{where}"


def _module_root(folder: Path, exercises: frozenset[str]) -> Path:
    """Where the modules are: the top, ``exercises/``, or the single folder a zip held."""

    def has_modules(path: Path) -> bool:
        return any(p.suffix == ".py" and p.is_file() for p in path.iterdir())

    subfolder = folder / "exercises"
    if (
        subfolder.is_dir()
        and not subfolder.is_symlink()
        and not any((folder / f"{n}.py").is_file() for n in exercises)
    ):
        return subfolder
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if (
        len(entries) == 1
        and entries[0].is_dir()
        and not entries[0].is_symlink()
        and not has_modules(folder)
    ):
        return _module_root(entries[0], exercises)
    return folder


def _shadowed_names(exercises: frozenset[str], notes: list[str]) -> set[str]:
    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    try:
        names |= set(importlib.metadata.packages_distributions())
    except (OSError, ValueError, KeyError) as exc:  # broken metadata must not stop grading
        notes.append(
            f"the installed packages could not be listed ({exc}): modules were "
            "checked against the standard library only"
        )
    return names - exercises


def _walk_regular_files(root: Path, warnings: list[str]) -> list[tuple[Path, int]]:
    """Every regular file below ``root`` (path, size), sorted; never follows a link,
    never opens anything; what cannot be read is a warning."""
    found = []

    def unreadable(exc: OSError) -> None:
        warnings.append(f"skipped {printable(_relative(exc.filename, root))}: {exc.strerror}")

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d not in DROPPED_NAMES and not d.startswith("."))
        for name in files:
            path = Path(folder) / name
            try:
                info = os.lstat(path)
            except OSError as exc:
                unreadable(exc)
                continue
            relative = path.relative_to(root)
            if stat.S_ISLNK(info.st_mode):
                warnings.append(
                    f"refused {printable(str(relative))}: symbolic links are not accepted"
                )
            elif stat.S_ISREG(info.st_mode):
                found.append((path, info.st_size))
            elif path.suffix in KEPT_SUFFIXES:
                warnings.append(f"skipped {printable(str(relative))}: not a regular file")
    return sorted(found)


def _relative(filename, root: Path) -> str:
    text = os.fsdecode(filename) if filename else "?"
    try:
        return str(Path(text).relative_to(root))
    except ValueError:
        return text


def _copy_folder(
    root: Path, dest: Path, warnings: list[str], exercises: frozenset[str]
) -> PreparedSubmission:
    shadowed = _shadowed_names(exercises, warnings)
    total, count = 0, 0
    for path, size in _walk_regular_files(root, warnings):
        relative = path.relative_to(root)
        if any(part in DROPPED_NAMES or part.startswith(".") for part in relative.parts):
            continue
        if path.suffix not in KEPT_SUFFIXES:
            continue
        shown = printable(str(relative))
        if shown != str(relative):
            warnings.append(
                f"skipped {shown}: its name holds bytes that are not UTF-8 text, "
                "or control characters"
            )
            continue
        top = relative.parts[0].removesuffix(".py")
        if top in shadowed:
            warnings.append(
                f"refused {relative}: the module name {top!r} would shadow the "
                "standard library or an installed package; rename it"
            )
            continue
        total += size
        count += 1
        if total > MAX_TOTAL_BYTES or count > MAX_FILES:
            raise InvalidSubmission(
                f"the submission is too large (over {MAX_FILES} files or "
                f"{MAX_TOTAL_BYTES // 2**20} MB of source and data)"
            )
        target = dest / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            copy_regular_file(path, target)
        except OSError as exc:
            warnings.append(f"skipped {shown}: {exc.strerror or exc}")
            continue
        if path.suffix == ".py" and (problem := _source_problem(target.read_bytes())):
            warnings.append(f"{shown}: {problem}")
    return PreparedSubmission(dest, warnings)


def copy_regular_file(source: Path, target: Path) -> None:
    """Copy a file that was a regular file when listed, without blocking if it is now a
    FIFO (O_NONBLOCK) and only if it is still a regular file once open."""
    fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        with open(fd, "rb", closefd=False) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, length=1024 * 1024)
    finally:
        os.close(fd)


def _source_problem(data: bytes) -> str | None:
    """Why Python will not import this source, when the reason is its bytes."""
    if b"\x00" in data:
        return "holds NUL bytes: Python will not import it; save it as plain text (UTF-8)"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return (
            "is not valid UTF-8 and declares no encoding that fits: Python will not "
            "import it; save it as UTF-8"
        )
    return None


def extract_zip(source: Path, dest: Path) -> list[str]:
    """Extract a zip safely: no absolute paths, no ``..``, no links, bounded size.

    Returns warnings for members that could not be written (a name too long, a file
    where a folder should be); a zip that cannot be read at all is invalid.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InvalidSubmission(
            f"{printable(source.name)} is not a readable zip file ({printable(str(exc))})"
        ) from None
    warnings: list[str] = []
    with archive:
        members = archive.infolist()
        if len(members) > MAX_FILES * 4:
            raise InvalidSubmission(f"the zip holds too many files ({len(members)})")
        total = 0
        for member in members:
            shown = printable(member.filename)
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts or re.match(r"^[A-Za-z]:", str(name)):
                raise InvalidSubmission(f"the zip holds an unsafe path: {shown!r}")
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidSubmission(f"the zip holds a symbolic link: {shown!r}")
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
                raise InvalidSubmission(f"the zip looks like a zip bomb ({shown!r})")
        dest.mkdir(parents=True, exist_ok=True)
        for member in members:
            if member.is_dir():
                continue
            target = dest / PurePosixPath(member.filename.replace("\\", "/"))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, length=1024 * 1024)
            except OSError as exc:  # a name too long, a file where a folder should be
                warnings.append(
                    f"skipped {printable(member.filename)!r} of the zip: {exc.strerror or exc}"
                )
            except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as exc:
                raise InvalidSubmission(f"the zip is damaged ({printable(str(exc))})") from None
    return warnings


def notebook_modules(source: Path, exercises: Iterable[str] = ()) -> dict[str, str]:
    """Module name → source, from a notebook's code cells (never executed)."""
    return {name: code for name, (code, _) in notebook_sources(source, exercises).items()}


def notebook_sources(
    source: Path, exercises: Iterable[str] = ()
) -> dict[str, tuple[str, list[tuple[int, str]]]]:
    """Module name → (source, its cells' first lines and labels) from a notebook.

    A module is the notebook's untagged cells, then the cells tagged with its name,
    in the notebook's order; a cell is labelled ``hw.ipynb, cell N`` (N counts every
    cell from 1, as a reader counts them).
    """
    try:
        notebook = nbformat.read(source, as_version=4)
        cells = list(notebook.cells)
    except Exception as exc:  # nbformat raises many types for a broken file
        raise InvalidSubmission(
            f"{printable(source.name)} is not a readable notebook ({printable(str(exc))[:300]})"
        ) from None
    numbered = (
        (f"{printable(source.name)}, cell {number}", str(cell.get("source", "")))
        for number, cell in enumerate(cells, start=1)
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    )
    shared, tagged = split_tagged(numbered)
    if not tagged:
        raise InvalidSubmission(
            f"{printable(source.name)} has no cell tagged '# exercise: NAME' (NAME one of "
            f"{', '.join(exercises) or 'an exercise'})"
        )
    return {name: assemble(shared + pieces) for name, pieces in tagged.items()}


def split_tagged(
    cells: Iterable[tuple[str, str]],
) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """(label, code) cells → (the untagged ones, the tagged ones per exercise), in order,
    with IPython magics and shell lines blanked."""
    shared: list[tuple[str, str]] = []
    tagged: dict[str, list[tuple[str, str]]] = {}
    for label, code in cells:
        lines = _strip_magics(code)
        first = next((line for line in lines if line.strip()), "")
        piece = (label, "\n".join(lines))
        if match := TAG.match(first.strip()):
            tagged.setdefault(match.group(1), []).append(piece)
        else:
            shared.append(piece)
    return shared, tagged


def assemble(pieces: list[tuple[str, str]]) -> tuple[str, list[tuple[int, str]]]:
    """One module from (label, code) pieces, a blank line between them; returns the
    source and each piece's first line with its label."""
    starts, line = [], 1
    for label, code in pieces:
        starts.append((line, label))
        line += code.count("\n") + 2
    return "\n\n".join(code for _, code in pieces) + "\n", starts


def _strip_magics(text: str) -> list[str]:
    """Drop IPython magics (%, %%) and shell escapes (!); they are not Python."""
    lines = text.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return []
    return ["" if line.lstrip().startswith(("%", "!")) else line for line in lines]


def _from_notebook(source: Path, dest: Path, exercises: frozenset[str]) -> PreparedSubmission:
    modules = notebook_sources(source, sorted(exercises))
    return write_modules(modules, dest, exercises)


def write_modules(
    modules: dict[str, tuple[str, list[tuple[int, str]]]],
    dest: Path,
    exercises: Iterable[str],
) -> PreparedSubmission:
    """Write assembled modules (name → source and its pieces) into the folder ``dest``."""
    warnings: list[str] = []
    shadowed = _shadowed_names(frozenset(exercises), warnings)
    prepared = PreparedSubmission(dest, warnings)
    for name, (code, starts) in modules.items():
        if name in shadowed:
            warnings.append(f"refused cells tagged {name!r}: the name would shadow a module")
            continue
        # A notebook's JSON may hold lone surrogates, which UTF-8 cannot: keep them as
        # escapes, and let Python say whether the module imports.
        (dest / f"{name}.py").write_text(code, encoding="utf-8", errors="backslashreplace")
        prepared.pieces[f"{name}.py"] = starts
    return prepared
