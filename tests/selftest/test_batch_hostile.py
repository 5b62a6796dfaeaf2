"""One bad submission never costs a class its grades, whatever a student hands in.

A class folder of hostile entries (``hostile_trees``: names that are not UTF-8, FIFOs,
symlink loops, sparse 20 GB files, zips with raw or lying names...) between two
well-formed control submissions. ``grade batch`` must finish, write one valid record per
submission, reports that parse, and score the controls exactly as when graded alone.
The Hypothesis test mixes the cases; the default profile is small and derandomized
(``HYPOTHESIS_PROFILE=slow`` or ``-m slow`` runs many more).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hostile_trees import (
    CHILD_KINDS,
    SPECIAL_NAMES,
    TOP_LEVEL_KINDS,
    build_class,
    folder_entry,
    hostile_entries,
    make_everything_readable,
    names,
    top_level_entry,
    zip_entry,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_course import OPTIONS, PERFECT, WRONG_MUL, folder_submission, make_course, zip_submission

from grader.batch import Entry, content_hash, grade_batch, grade_one, stage
from grader.gradescope import validate_results
from grader.grading import grade_submission
from grader.results import RESULTS_NAME

FIRST, LAST = "!control_first", "~control_last"
settings.register_profile(
    "hostile-default",
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("hostile-slow", max_examples=60, deadline=None)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def alone(course, tmp_path_factory) -> dict[str, float]:
    """The controls' scores when each is graded on its own."""
    folder = tmp_path_factory.mktemp("alone")
    first = folder_submission(folder, FIRST, PERFECT)
    last = zip_submission(folder, LAST, WRONG_MUL)
    return {
        FIRST: grade_submission(first, course, OPTIONS)["score"],
        LAST: grade_submission(last, course, OPTIONS)["score"],
    }


def grade_hostile_class(course, alone, entries) -> None:
    """Build the class, grade it, and check every promise of the batch."""
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        folder = root / "class"
        folder.mkdir()
        folder_submission(folder, FIRST, PERFECT)
        submissions = build_class(folder, entries)
        zip_submission(folder, LAST, WRONG_MUL)
        out = root / "out"
        summary = grade_batch(folder, out, course, OPTIONS, jobs=2, seed=11)
        check_outputs(out, summary, expected=len(submissions) + 2)
        assert summary.results[FIRST]["score"] == alone[FIRST]
        assert summary.results[LAST]["score"] == alone[LAST]
    finally:
        make_everything_readable(root)
        shutil.rmtree(root, ignore_errors=True)


def check_outputs(out: Path, summary, expected: int) -> None:
    lines = (out / RESULTS_NAME).read_bytes().splitlines()
    records = [json.loads(line.decode("utf-8")) for line in lines]  # strict UTF-8, whole lines
    ids = [record["submission"] for record in records]
    assert len(records) == expected and len(set(ids)) == expected, ids
    for record in records:
        assert record["status"] in ("graded", "invalid_submission", "empty"), record.get("message")
        assert record["status"] == "graded" or record["message"].strip()
        assert all(ch.isprintable() for ch in record["submission"]), record["submission"]
    assert sorted(summary.results) == sorted(ids)

    rows = list(csv.reader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert len(rows) == expected + 1 and all(len(row) == len(rows[0]) for row in rows)
    feedback = list((out / "feedback").iterdir())
    assert len(feedback) == expected
    for path in feedback:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Feedback for ") and text.count("\n# ") == 0
    gradescope = list((out / "gradescope").iterdir())
    assert len(gradescope) == expected
    for path in gradescope:
        assert validate_results(json.loads((path / "results.json").read_text())) == []
    ET.parse(out / "junit.xml")
    assert "</html>" in (out / "report.html").read_text(encoding="utf-8")


def test_a_class_of_every_hostile_case(course, alone):
    """Every case at once, each named by what it is."""
    entries = [(b"t_" + kind.encode(), top_level_entry(kind)) for kind in TOP_LEVEL_KINDS]
    entries += [
        (b"f_" + kind.encode(), folder_entry([(kind, SPECIAL_NAMES[i % len(SPECIAL_NAMES)])], True))
        for i, kind in enumerate(CHILD_KINDS)
    ]
    entries += [(name, folder_entry([], True)) for name in SPECIAL_NAMES]
    entries += [
        (b"alice", folder_entry([], True)),  # the same id as alice.zip
        (b"alice", zip_entry([], False, True)),
        (b"Alice", folder_entry([], True)),  # the same id as alice when case is folded
        (b"z_cp437", zip_entry([(b"r\x82sum\x82.py", b"x = 1\n")], False, True)),
        (b"z_bad_utf8_flag", zip_entry([(b"r\xe9sum\xe9.py", b"x = 1\n")], True, True)),
        (b"z_escape", zip_entry([(b"../escape.py", b"x = 1\n")], False, True)),
        (b"z_long", zip_entry([(b"d/" + b"y" * 300 + b".py", b"x = 1\n")], False, True)),
        (b"z_file_then_dir", zip_entry([(b"a.py", b""), (b"a.py/b.py", b"")], False, True)),
    ]
    grade_hostile_class(course, alone, entries)


@given(entries=st.lists(st.tuples(names, hostile_entries), min_size=1, max_size=3))
@settings(settings.get_profile(f"hostile-{os.environ.get('HYPOTHESIS_PROFILE', 'default')}"))
def test_any_class_folder_is_graded_whole(course, alone, entries):
    grade_hostile_class(course, alone, entries)


@pytest.mark.slow
@given(entries=st.lists(st.tuples(names, hostile_entries), min_size=1, max_size=5))
@settings(settings.get_profile("hostile-slow"), suppress_health_check=list(HealthCheck))
def test_any_class_folder_is_graded_whole_long_run(course, alone, entries):
    grade_hostile_class(course, alone, entries)


def test_what_is_hashed_is_what_is_graded(course, tmp_path):
    """A submission is copied first, then hashed and graded from the copy: a student who
    changes the files while the batch runs cannot make the two disagree."""
    folder = folder_submission(tmp_path / "class", "ada", PERFECT)
    entry = Entry("ada", folder)
    staged = stage(entry, tmp_path / "staging" / "0", course, OPTIONS)
    (folder / "adder.py").write_text(WRONG_MUL)  # changed after the copy
    (folder / "adder.py").unlink()  # then gone
    assert staged.content == content_hash(staged.prepared)
    assert grade_one(staged, course, OPTIONS)["score"] == 20
