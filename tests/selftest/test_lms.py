"""LMS exports in (Canvas, Moodle, Gradescope, GitHub Classroom) and gradebooks out.

Each export is built here from the LMS's documented naming, with the fake course's
reference and stub as the students' work (no real student data).
"""

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES

from grader import exports
from grader.lms import LAYOUTS, LmsError, detect, prepare_class, read_class

FAKE = FIXTURES / "fake_course"
RIGHT = (FAKE / "solutions" / "echo.py").read_text()
STUB = (FAKE / "exercises" / "echo.py").read_text()


def canvas(folder: Path) -> dict[str, float]:
    """Ada re-uploaded (her -1 file is the right one), Ben is late with the stub."""
    folder.mkdir(parents=True)
    (folder / "lovelaceada_1001_9001_echo.py").write_text(STUB)
    (folder / "lovelaceada_1001_9001_echo-1.py").write_text(RIGHT)
    (folder / "babbageben_LATE_1002_9002_echo.py").write_text(STUB)
    return {"lovelaceada-1001": 20, "babbageben-1002": 0}


def moodle(folder: Path) -> dict[str, float]:
    """Ada's export "in folders", Ben's flat; Ben's online text is not code."""
    (folder / "Ada Lovelace_2001_assignsubmission_file_").mkdir(parents=True)
    (folder / "Ada Lovelace_2001_assignsubmission_file_" / "echo.py").write_text(RIGHT)
    (folder / "Ben Babbage_2002_assignsubmission_file_echo.py").write_text(STUB)
    (folder / "Ben Babbage_2002_assignsubmission_onlinetext_onlinetext.html").write_text("hi")
    return {"ada-lovelace-2001": 20, "ben-babbage-2002": 0}


def gradescope(folder: Path) -> dict[str, float]:
    for number, code in (("301", RIGHT), ("302", STUB)):
        (folder / f"submission_{number}").mkdir(parents=True)
        (folder / f"submission_{number}" / "echo.py").write_text(code)
    (folder / "submission_metadata.yml").write_text(
        "submission_301:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: 'A1'\n"
        "    :email: ada@example.edu\n  :created_at: 2026-11-02 10:00:00 -08:00\n"
        "submission_302:\n  :submitters:\n  - :name: Ben Babbage\n    :sid: 'B2'\n"
        "    :email: ben@example.edu\n  :created_at: 2026-11-03 10:00:00 -08:00\n"
    )
    return {"a1": 20, "b2": 0}


def classroom(folder: Path) -> dict[str, float]:
    for login, code in (("ada-l", RIGHT), ("benb", STUB)):
        repository = folder / f"rnn-homework-{login}"
        (repository / ".git").mkdir(parents=True)
        (repository / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
        (repository / "echo.py").write_text(code)
    return {"ada-l": 20, "benb": 0}


LMS_ID = {  # the column each LMS knows its students by
    "canvas": "canvas_user_id",
    "moodle": "moodle_identifier",
    "gradescope": "gradescope_sid",
    "classroom": "github_login",
}
BUILDERS = {"canvas": canvas, "moodle": moodle, "gradescope": gradescope, "classroom": classroom}


def zipped(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return archive


@pytest.mark.parametrize("layout", list(BUILDERS))
def test_each_layout_is_recognised_and_read_one_student_each(tmp_path, layout):
    expected = BUILDERS[layout](tmp_path / "export")
    assert detect(tmp_path / "export") == layout
    students = read_class(tmp_path / "export", layout)
    assert [s.id for s in students] == sorted(expected)
    assert all(s.identifiers and list(s.files) == ["echo.py"] for s in students)


def test_canvas_keeps_the_latest_upload_and_the_late_flag(tmp_path):
    canvas(tmp_path / "export")
    ada, ben = sorted(read_class(tmp_path / "export", "canvas"), key=lambda s: s.id)[::-1]
    assert ada.files["echo.py"].name == "lovelaceada_1001_9001_echo-1.py" and not ada.late
    assert ben.late and ben.identifiers["canvas_user_id"] == "1002"


@pytest.mark.parametrize("layout", list(BUILDERS))
def test_a_zipped_export_grades_into_one_record_per_student_with_its_ids(tmp_path, layout):
    expected = BUILDERS[layout](tmp_path / "export")
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(zipped(tmp_path / "export")), "--out",
         str(out), "--course", str(FAKE), "--jobs", "2", "--seed", "3"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"read as a {layout} export: 2 students" in completed.stdout
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert {row["id"]: float(row["total"]) for row in rows} == expected
    lms = json.loads((out / "lms.json").read_text())
    assert lms["layout"] == layout and set(lms["students"]) == set(expected)
    assert all(row[LMS_ID[layout]] for row in rows), rows


def test_an_export_that_is_not_its_layout_says_what_was_expected(tmp_path):
    canvas(tmp_path / "export")
    (tmp_path / "export" / "notes.txt").write_text("not a submission")
    with pytest.raises(LmsError, match=r"<name>_\[LATE_\]<user id>_<submission id>_<file>"):
        read_class(tmp_path / "export", "canvas")
    with pytest.raises(LmsError, match="assignsubmission_file"):
        read_class(tmp_path / "export", "moodle")
    with pytest.raises(LmsError, match="neither a folder nor a zip"):
        prepare_class(tmp_path / "export" / "notes.txt", tmp_path / "out", "canvas")


def test_a_plain_class_folder_is_left_as_it_is(tmp_path):
    shutil.copytree(FIXTURES / "fake_course" / "solutions", tmp_path / "class" / "ada")
    assert prepare_class(tmp_path / "class", tmp_path / "out") == (tmp_path / "class", "folders", 0)
    assert "folders" in LAYOUTS


def test_the_exported_gradebooks_have_the_documented_columns(tmp_path):
    results = [
        {"submission": "lovelaceada-1001", "score": 20.0, "max_score": 20.0, "status": "graded"},
        {"submission": "walk-in", "score": 5.0, "max_score": 20.0, "status": "graded"},
    ]
    students = {
        "lovelaceada-1001": {
            "identifiers": {"canvas_user_id": "1001", "canvas_name": "lovelaceada"},
            "late": True,
        }
    }
    text, unmatched = exports.lms_gradebook("canvas", results, students, "RNN homework (77)")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*exports.CANVAS_COLUMNS, "RNN homework (77)"] and unmatched == 1
    assert rows[1][0] == "Points Possible" and rows[2][:2] == ["lovelaceada", "1001"]
    assert rows[2][-1] == "20"
    text, unmatched = exports.lms_gradebook("moodle", results, students)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(exports.MOODLE_COLUMNS) and unmatched == 2
    assert rows[0]["Grade"] == "20" and "late" in rows[0]["Feedback comments"]
