"""A class as an LMS exports it, read into one submission per student.

Each layout is read from its documented naming, never from guesses about content:

- ``canvas`` ("Download Submissions"): one flat folder of files named
  ``<name>_[LATE_]<user id>_<submission id>_<file>``; a re-uploaded file is named
  ``<file>-N`` (the highest N is the latest).
- ``moodle`` ("Download all submissions"): a folder per student,
  ``<Full Name>_<participant id>_assignsubmission_file_/``, or the same prefix on each
  file when the export was not made "in folders".
- ``gradescope`` ("Export Submissions"): ``submission_metadata.yml`` beside one
  ``submission_<id>/`` folder per submission.
- ``classroom`` (GitHub Classroom): one repository per student, ``<assignment>-<login>/``.
- ``folders``: one folder, ``.zip`` or ``.ipynb`` per student, named by its id.

``read_class`` returns the students with the LMS's identifiers and late flag;
``write_class`` lays them out as ``folders`` for ``grade batch`` and records the
identifiers in ``lms.json`` beside the results, where the gradebook and the LMS exports
(``grader.exports``) read them. An export the layout does not describe is an
``LmsError`` that says what was expected.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grader.safe_text import printable
from grader.submission import InvalidSubmission, copy_regular_file, extract_zip

LAYOUTS = ("canvas", "moodle", "gradescope", "classroom", "folders")
LMS_NAME = "lms.json"  # beside results.jsonl: the class's LMS identifiers per submission id
GRADESCOPE_METADATA = "submission_metadata.yml"
CANVAS_FILE = re.compile(
    r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user_id>\d+)_(?P<submission_id>\d+)_(?P<file>.+)$"
)
CANVAS_REUPLOAD = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<suffix>\.[^.]+)$")
MOODLE_ENTRY = re.compile(
    r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$"
)
CLASSROOM_REPO = re.compile(r"^(?P<assignment>.+)-(?P<login>[A-Za-z0-9](?:[A-Za-z0-9-]*))$")
SINGLE_FILE_SUFFIXES = (".zip", ".ipynb")  # a student's one such file is the submission


class LmsError(Exception):
    """The export is not in the layout it was read as (or in none that is recognised)."""


@dataclass
class Student:
    """One student's submission in an export."""

    id: str  # the submission id in results and reports: unique, safe as a file name
    files: dict[str, Path] = field(default_factory=dict)  # name in the submission → source
    identifiers: dict[str, str] = field(default_factory=dict)  # the LMS's own, for its import
    late: bool = False  # the LMS marked the submission late


def detect(folder: Path) -> str:
    """The layout of an extracted export, from its names alone."""
    names = [p.name for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if GRADESCOPE_METADATA in names:
        return "gradescope"
    if names and all(MOODLE_ENTRY.match(name) for name in names):
        return "moodle"
    if names and all(CANVAS_FILE.match(name) and (folder / name).is_file() for name in names):
        return "canvas"
    folders = [name for name in names if (folder / name).is_dir()]
    if len(folders) == len(names) > 1 and _classroom_prefix(folders):
        return "classroom"
    return "folders"


def read_class(folder: Path, layout: str) -> list[Student]:
    """The students of an extracted export in ``layout``; raises ``LmsError``."""
    readers = {
        "canvas": _canvas,
        "moodle": _moodle,
        "gradescope": _gradescope,
        "classroom": _classroom,
    }
    if layout not in readers:
        raise LmsError(f"unknown layout {layout!r}: one of {', '.join(LAYOUTS)}")
    students = readers[layout](folder)
    if not students:
        raise LmsError(f"no submission found in {folder} read as {layout}")
    return sorted(students, key=lambda student: student.id)


def unpack(export: Path, dest: Path) -> Path:
    """The export's folder: ``export`` itself, or its zip extracted (safely) under ``dest``."""
    if export.is_dir():
        return export
    if not export.exists():
        raise LmsError(f"the submissions folder {export} does not exist")
    if export.suffix != ".zip" or not zipfile.is_zipfile(export):
        raise LmsError(f"{printable(export.name)} is neither a folder nor a zip of an export")
    shutil.rmtree(dest, ignore_errors=True)
    try:
        extract_zip(export, dest)
    except InvalidSubmission as exc:
        raise LmsError(f"{printable(export.name)}: {exc}") from None
    entries = [p for p in dest.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest


def write_class(students: list[Student], layout: str, dest: Path, lms_file: Path) -> None:
    """One entry per student under ``dest`` (a folder, or their single zip or notebook),
    and their identifiers in ``lms_file``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for student in students:
        only = next(iter(student.files)) if len(student.files) == 1 else ""
        try:
            if only.endswith(SINGLE_FILE_SUFFIXES):
                copy_regular_file(student.files[only], dest / f"{student.id}{Path(only).suffix}")
                continue
            for name, source in student.files.items():
                target = dest / student.id / name
                target.parent.mkdir(parents=True, exist_ok=True)
                copy_regular_file(source, target)
        except OSError as exc:
            raise LmsError(
                f"cannot copy the files of {student.id}: {exc.strerror or exc}"
            ) from None
    record = {
        "layout": layout,
        "students": {s.id: {"identifiers": s.identifiers, "late": s.late} for s in students},
    }
    lms_file.write_text(json.dumps(record, indent=1))


def read_lms_file(out_dir: Path) -> dict:
    """What ``write_class`` recorded for this output folder (empty when not an export)."""
    path = out_dir / LMS_NAME
    return json.loads(path.read_text()) if path.is_file() else {}


def prepare_class(export: Path, out_dir: Path, layout: str = "auto") -> tuple[Path, str, int]:
    """Read an LMS export (folder or zip) and lay it out for ``grade batch`` under
    ``out_dir``: (the class folder to grade, the layout read, how many students)."""
    folder = unpack(export, out_dir / ".export")
    layout = detect(folder) if layout == "auto" else layout
    if layout == "folders":
        return folder, layout, 0
    students = read_class(folder, layout)
    write_class(students, layout, out_dir / ".class", out_dir / LMS_NAME)
    return out_dir / ".class", layout, len(students)


# -- the layouts ------------------------------------------------------------------------
def _canvas(folder: Path) -> list[Student]:
    students: dict[str, Student] = {}
    latest: dict[tuple[str, str], int] = {}  # (student, file) → the re-upload number kept
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "__MACOSX")):
            continue
        match = CANVAS_FILE.match(path.name)
        if not match or not _regular(path):
            raise LmsError(
                f"{printable(path.name)} is not named as Canvas names a submitted file "
                "(<name>_[LATE_]<user id>_<submission id>_<file>)"
            )
        sid = _safe_id(f"{match['name']}-{match['user_id']}")
        student = students.setdefault(
            sid,
            Student(
                sid,
                identifiers={
                    "canvas_user_id": match["user_id"],
                    "canvas_name": match["name"],
                    "canvas_submission_id": match["submission_id"],
                },
            ),
        )
        student.late = student.late or bool(match["late"])
        name, number = match["file"], 0
        if reupload := CANVAS_REUPLOAD.match(name):
            name, number = reupload["stem"] + reupload["suffix"], int(reupload["n"])
        if number >= latest.get((sid, name), -1):
            latest[(sid, name)] = number
            student.files[name] = path
    return list(students.values())


def _moodle(folder: Path) -> list[Student]:
    students: dict[str, Student] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "__MACOSX")):
            continue
        match = MOODLE_ENTRY.match(path.name)
        if not match:
            raise LmsError(
                f"{printable(path.name)} is not named as Moodle names a submission "
                "(<Full Name>_<participant id>_assignsubmission_file_...)"
            )
        if match["plugin"] != "file":  # online text and comments are not code
            continue
        sid = _safe_id(f"{match['name']}-{match['participant']}")
        student = students.setdefault(
            sid,
            Student(
                sid,
                identifiers={
                    "moodle_identifier": f"Participant {match['participant']}",
                    "moodle_full_name": match["name"],
                },
            ),
        )
        if path.is_dir():
            for file in _regular_files(path):
                student.files[file.relative_to(path).as_posix()] = file
        elif match["file"] and _regular(path):
            student.files[match["file"]] = path
    return list(students.values())


def _gradescope(folder: Path) -> list[Student]:
    try:
        metadata = yaml.safe_load((folder / GRADESCOPE_METADATA).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LmsError(f"{GRADESCOPE_METADATA} cannot be read ({exc})") from None
    if not isinstance(metadata, dict):
        raise LmsError(f"{GRADESCOPE_METADATA} does not map submission folders to submitters")
    students = []
    for key, entry in metadata.items():
        submission = folder / str(key)
        if not submission.is_dir() or not isinstance(entry, dict):
            raise LmsError(f"{GRADESCOPE_METADATA} names {printable(str(key))}, not a folder here")
        submitters = entry.get(":submitters") or []
        first = submitters[0] if submitters and isinstance(submitters[0], dict) else {}
        sid = _safe_id(str(first.get(":sid") or first.get(":email") or key))
        student = Student(
            sid,
            identifiers={
                "gradescope_submission_id": str(key).removeprefix("submission_"),
                "gradescope_sid": str(first.get(":sid", "")),
                "gradescope_name": str(first.get(":name", "")),
                "gradescope_email": str(first.get(":email", "")),
            },
            late=bool(entry.get(":late") or entry.get(":submission_late")),
        )
        for file in _regular_files(submission):
            student.files[file.relative_to(submission).as_posix()] = file
        students.append(student)
    return students


def _classroom(folder: Path) -> list[Student]:
    repositories = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[0] != ".")
    prefix = _classroom_prefix(repositories)
    if not prefix:
        raise LmsError(
            "the repositories are not named as GitHub Classroom names them "
            "(<assignment>-<login>, one assignment prefix for all)"
        )
    students = []
    for name in repositories:
        login = name.removeprefix(prefix)
        student = Student(_safe_id(login), identifiers={"github_login": login})
        root = folder / name
        for file in _regular_files(root):
            student.files[file.relative_to(root).as_posix()] = file
        students.append(student)
    return students


def _classroom_prefix(names: list[str]) -> str:
    """The ``<assignment>-`` prefix every repository shares, or ""."""
    if len(names) < 2:
        return ""
    common = os.path.commonprefix(names)
    prefix = common[: common.rfind("-") + 1]
    return prefix if prefix and all(n.startswith(prefix) and n != prefix for n in names) else ""


def _regular(path: Path) -> bool:
    """A regular file, not a link to one (nothing else is read from an export)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _regular_files(root: Path) -> list[Path]:
    """The regular files below ``root``, links not followed, ``.git`` and hidden skipped."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / f for f in sorted(files) if not f.startswith(".")]
    return [path for path in found if _regular(path)]


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.").lower() or "student"
