"""`grade batch`: every output, resume, kill-and-resume, bad input, Dask (a tiny course).

The course (`tiny_course`) is built in a temporary folder: one exercise, `adder`, graded
without TensorFlow in a few seconds per submission.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from tiny_course import (
    HIDDEN_SECRET,
    OPTIONS,
    PERFECT,
    WRONG_MUL,
    add_second_exercise,
    folder_submission,
    make_class,
    make_course,
    zip_submission,
)

from grader import batch as batch_module
from grader.batch import BatchError, dask_executor, grade_batch
from grader.course import Course
from grader.gradescope import validate_results
from grader.results import RESULTS_NAME, read_results


def lines_by_id(out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in read_results(out / RESULTS_NAME).records:
        counts[record["submission"]] = counts.get(record["submission"], 0) + 1
    return counts


def grade_cli(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, course):
    """One batch of the sample class, shared by the tests that only read its outputs."""
    root = tmp_path_factory.mktemp("batch")
    events = []
    summary = grade_batch(
        make_class(root / "class"),
        root / "out",
        course,
        OPTIONS,
        jobs=2,
        seed=3,
        on_progress=events.append,
    )
    return summary, root / "out", events


# -- one batch, every output ---------------------------------------------------------------
def test_batch_writes_every_output(graded):
    summary, out, events = graded
    ids = ["broken", "looping", "notebook", "perfect", "wrong_mul"]
    assert sorted(summary.results) == ids and summary.ignored == ["notes.txt"]
    assert lines_by_id(out) == dict.fromkeys(ids, 1)
    assert [e.kind for e in events].count("graded") == 5 and events[0].kind == "plan"
    scores = {sid: r["score"] for sid, r in summary.results.items()}
    assert scores == {"broken": 0, "looping": 8, "notebook": 20, "perfect": 20, "wrong_mul": 12}
    for record in read_results(out / RESULTS_NAME).records:
        assert set(record["batch"]) >= {"content_hash", "suite_hash", "key", "seed"}
        assert record["seed"] == 3

    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows[0] == "id,status,adder,total,max"
    assert "perfect,graded,20,20,20" in rows and "looping,graded,8,8,20" in rows
    assert {p.name for p in (out / "feedback").iterdir()} == {f"{i}.md" for i in ids}

    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2  # overall and per exercise
    assert "looping" in html and "timed out in test_add_small" in html
    assert "test_add_many" in html and "Provenance" in html and "seed" in html
    for sid in ids:
        data = json.loads((out / "gradescope" / sid / "results.json").read_text())
        assert validate_results(data) == [] and data["score"] == scores[sid]
    junit = ET.parse(out / "junit.xml").getroot()
    assert len(junit.findall("testsuite")) == 5
    assert junit.get("tests") == "13" and int(junit.get("errors")) >= 2


def test_bad_zip_is_a_zero_with_a_clear_status(graded):
    summary, out, _ = graded
    result = summary.results["broken"]
    assert result["status"] == "invalid_submission" and result["score"] == 0
    assert result["max_score"] == 20 and "not a readable zip" in result["message"]
    assert "broken,invalid_submission,0,0,20" in (out / "gradebook.csv").read_text()
    assert "not a readable zip" in (out / "feedback" / "broken.md").read_text()


def test_feedback_never_shows_hidden_messages(graded):
    summary, out, _ = graded
    tests = summary.results["wrong_mul"]["exercises"]["adder"]["tests"]
    assert any(HIDDEN_SECRET in t["message"] for t in tests)  # the results hold it...
    for path in (out / "feedback").iterdir():
        assert HIDDEN_SECRET not in path.read_text()  # ...no student's feedback does
    feedback = (out / "feedback" / "wrong_mul.md").read_text()
    assert "| test_mul | 0 / 8 |" in feedback and "Hidden tests: 1 of 2 passed" in feedback
    looping = (out / "feedback" / "looping.md").read_text()
    assert "timed out after 3 s" in looping  # public tests say why


def test_report_command_rebuilds_from_results_alone(graded, tmp_path):
    _, out, _ = graded
    copy = tmp_path / "out"
    copy.mkdir()
    shutil.copy(out / RESULTS_NAME, copy / RESULTS_NAME)
    completed = grade_cli("report", copy)
    assert completed.returncode == 0, completed.stderr
    assert (copy / "gradebook.csv").read_text() == (out / "gradebook.csv").read_text()
    assert (copy / "report.html").is_file() and (copy / "junit.xml").is_file()
    assert len(list((copy / "feedback").iterdir())) == 5


# -- resume --------------------------------------------------------------------------------
def ada_and_bob(tmp_path: Path) -> tuple[Path, Path]:
    """(a class of two, ada right and bob wrong; where its batch writes)."""
    folder = tmp_path / "class"
    folder.mkdir()
    folder_submission(folder, "ada", PERFECT)
    folder_submission(folder, "bob", WRONG_MUL)
    return folder, tmp_path / "out"


def test_resume_skips_unchanged_and_regrades_changed(tmp_path, course):
    folder, out = ada_and_bob(tmp_path)
    first = grade_batch(folder, out, course, OPTIONS, jobs=2, seed=4)
    assert (first.graded, first.skipped) == (2, 0) and first.results["bob"]["score"] == 12

    (folder / "bob" / "adder.py").write_text(PERFECT)  # bob fixes his code
    zip_submission(folder, "cy", WRONG_MUL)  # a late submission
    second = grade_batch(folder, out, course, OPTIONS, jobs=2)  # the seed is kept
    assert (second.graded, second.skipped, second.seed) == (2, 1, 4)
    assert second.results["bob"]["score"] == 20
    assert lines_by_id(out) == {"ada": 1, "bob": 2, "cy": 1}
    assert "bob,graded,20,20,20" in (out / "gradebook.csv").read_text()  # the last line wins

    third = grade_batch(folder, out, course, OPTIONS, jobs=2, force=True)
    assert (third.graded, third.skipped) == (3, 0)
    fourth = grade_batch(folder, out, course, OPTIONS, jobs=2, seed=5)  # another seed
    assert (fourth.graded, fourth.skipped) == (3, 0)


def test_only_regrades_the_named_submissions_and_keeps_the_history(tmp_path, course):
    folder, out = ada_and_bob(tmp_path)
    grade_batch(folder, out, course, OPTIONS, jobs=2, seed=4)
    (folder / "ada" / "adder.py").write_text(WRONG_MUL)  # changed, but not asked for
    (folder / "bob" / "adder.py").write_text(PERFECT)  # the regrade request
    again = grade_batch(folder, out, course, OPTIONS, jobs=2, only=frozenset({"bob"}))
    assert (again.graded, again.skipped) == (1, 1)
    assert again.results["bob"]["score"] == 20 and again.results["ada"]["score"] == 20
    assert lines_by_id(out) == {"ada": 1, "bob": 2}  # results.jsonl keeps bob's first grade
    assert "bob,graded,20,20,20" in (out / "gradebook.csv").read_text()
    with pytest.raises(BatchError, match="no submission carl"):
        grade_batch(folder, out, course, OPTIONS, only=frozenset({"carl"}))


def test_a_course_graded_exercise_by_exercise_keeps_every_column(tmp_path):
    """One exercise a week into the same folder: the gradebook accumulates, and a rerun
    of an exercise already graded keeps its results."""
    course = add_second_exercise(make_course(tmp_path / "course"))
    folder = tmp_path / "class"
    ada = folder_submission(folder, "ada", PERFECT)
    (ada / "negate.py").write_text("def negate(x):\n    return -x\n")
    folder_submission(folder, "bob", WRONG_MUL)
    out = tmp_path / "out"
    adder = replace(OPTIONS, exercises=("adder",))
    negate = replace(OPTIONS, exercises=("negate",))
    grade_batch(folder, out, course, adder, jobs=2, seed=7)
    grade_batch(folder, out, course, negate, jobs=2, seed=7)
    rows = (out / "gradebook.csv").read_text().splitlines()
    assert rows[0] == "id,status,adder,negate,total,max"
    assert "ada,graded,20,20,40,40" in rows and "bob,empty,12,0,12,40" in rows, rows  # no negate.py
    again = grade_batch(folder, out, course, adder, jobs=2)  # the same exercise again
    assert (again.graded, again.skipped) == (0, 2)
    assert (out / "gradebook.csv").read_text().splitlines() == rows


def test_an_assignment_with_a_roster_late_work_and_absences(tmp_path):
    """An assignment of two exercises weighted 1 and 2, a roster of four (complete, late,
    empty, missing) and one submission of nobody on it, graded in two runs into one OUT."""
    course = add_second_exercise(make_course(tmp_path / "course"))
    (course.root / "assignments").mkdir()
    (course.root / "assignments" / "week1.toml").write_text(
        'title = "Week 1"\ndue = 2026-01-10T12:00:00Z\nlate_penalty_per_day = 0.1\n'
        "late_cutoff_days = 3\n[exercises]\nadder = 1\nnegate = 2\n"
    )
    assignment = course.assignment("week1")
    due = assignment.due.timestamp()
    folder = tmp_path / "class"
    negate = "def negate(x):\n    return -x\n"
    for sid, late_s in (("ada", -3600), ("bob", 1.5 * 86400), ("zed", -60)):
        submission = folder_submission(folder, sid, PERFECT)
        (submission / "negate.py").write_text(negate)
        for path in (submission, *submission.iterdir()):
            os.utime(path, (due + late_s, due + late_s))
    (folder / "cy").mkdir()
    (folder / "cy" / "notes.txt").write_text("I will do it tomorrow")
    os.utime(folder / "cy" / "notes.txt", (due - 10, due - 10))
    roster = {sid: {"id": sid} for sid in ("ada", "bob", "cy", "dee")}
    out = tmp_path / "out"
    grade_batch(folder, out, course, replace(OPTIONS, exercises=("adder",)), jobs=2, seed=3)
    summary = grade_batch(
        folder, out, course, OPTIONS, jobs=2, assignment=assignment, roster=roster
    )
    assert summary.not_on_roster == ["zed"]
    status = {sid: result["status"] for sid, result in summary.results.items()}
    assert status == {
        "ada": "graded", "bob": "graded", "cy": "empty", "dee": "missing", "zed": "graded"
    }  # fmt: skip
    assert summary.results["bob"]["late"]["days"] == 2
    rows = {row.split(",")[0]: row for row in (out / "gradebook.csv").read_text().splitlines()}
    assert rows["id"] == "id,status,adder,negate,total,max,week1,week1 max,late"
    assert rows["ada"] == "ada,graded,20,20,40,40,60,60,"
    assert rows["bob"] == "bob,graded,16,16,32,40,48,60,2 day(s) late: -20%"
    assert rows["cy"].startswith("cy,empty,0,0,0,40") and rows["dee"].startswith("dee,missing,")
    assert "2 day(s) late: -20%" in (out / "feedback" / "bob.md").read_text()
    assert "Missing:" in (out / "feedback" / "dee.md").read_text()

    on_time = grade_batch(  # a given time instead of the files' times: nobody is late
        folder, tmp_path / "out2", course, OPTIONS, jobs=2, assignment=assignment,
        submitted=assignment.due,
    )  # fmt: skip
    assert "late" not in on_time.results["bob"]

    shutil.rmtree(folder / "zed")  # a submission withdrawn: marked, its grades kept
    again = grade_batch(folder, out, course, OPTIONS, jobs=2, assignment=assignment, roster=roster)
    assert again.results["zed"]["status"] == "removed" and again.graded == 1
    assert "zed,removed,20,20,40,40" in (out / "gradebook.csv").read_text()


@pytest.mark.parametrize("policy", ["after_publication", "never"])
def test_published_feedback_follows_the_assignments_policy(tmp_path, course, policy):
    """`grade report --publish` shows students why hidden tests failed, unless their
    assignment says feedback = "never"; Gradescope's file follows the same policy."""
    root = tmp_path / "course"
    shutil.copytree(course.root, root)
    (root / "assignments").mkdir()
    (root / "assignments" / "a.toml").write_text(f'feedback = "{policy}"\n[exercises]\nadder = 1\n')
    local = Course(root)
    folder = tmp_path / "class"
    folder_submission(folder, "bob", WRONG_MUL)
    out = tmp_path / "out"
    grade_batch(folder, out, local, OPTIONS, seed=2, assignment=local.assignment("a"))
    assert HIDDEN_SECRET not in (out / "feedback" / "bob.md").read_text()  # not published
    completed = grade_cli("report", out, "--publish")
    assert completed.returncode == 0, completed.stderr
    published = (out / "feedback" / "bob.md").read_text()
    gradescope = (out / "gradescope" / "bob" / "results.json").read_text()
    assert (HIDDEN_SECRET in published) is (policy == "after_publication")
    assert (HIDDEN_SECRET in gradescope) is (policy == "after_publication")


def test_torn_last_line_is_ignored_and_regraded(tmp_path, course):
    folder, out = ada_and_bob(tmp_path)
    grade_batch(folder, out, course, OPTIONS, jobs=2, seed=4)
    results = out / RESULTS_NAME
    lines = results.read_bytes().splitlines(keepends=True)
    results.write_bytes(lines[0] + lines[1][: len(lines[1]) // 2])  # killed mid-write
    torn_id = json.loads(lines[1])["submission"]

    summary = grade_batch(folder, out, course, OPTIONS, jobs=2)
    assert (summary.graded, summary.skipped, summary.damaged_lines) == (1, 1, 1)
    assert lines_by_id(out) == {"ada": 1, "bob": 1} and torn_id in summary.results
    assert read_results(results).damaged == 1  # the torn line stays apart, on its own line


def test_a_grader_exception_is_a_grader_error_for_that_submission_only(
    tmp_path, course, monkeypatch
):
    folder = tmp_path / "class"
    folder.mkdir()
    folder_submission(folder, "ada", PERFECT)
    folder_submission(folder, "bob", PERFECT)
    real = batch_module.grade_prepared
    calls = []

    def flaky(prepared, course, options, label):
        calls.append(label)
        if label == "bob":
            raise RuntimeError("disk on fire")
        return real(prepared, course, options, label)

    monkeypatch.setattr(batch_module, "grade_prepared", flaky)
    summary = grade_batch(folder, tmp_path / "out", course, OPTIONS, jobs=2, seed=1)
    assert summary.results["ada"]["score"] == 20
    bob = summary.results["bob"]
    assert bob["status"] == "grader_error" and "disk on fire" in bob["message"]
    assert calls.count("bob") == 2 and bob["retried"]  # retried once by itself
    assert "disk on fire" not in (tmp_path / "out" / "feedback" / "bob.md").read_text()

    monkeypatch.setattr(batch_module, "grade_prepared", real)
    again = grade_batch(folder, tmp_path / "out", course, OPTIONS, jobs=2)
    assert (again.graded, again.skipped) == (1, 1)  # a grader error is retried
    assert again.results["bob"]["status"] == "graded"


# -- kill -9 mid-run, then resume ------------------------------------------------------------
def test_killed_batch_resumes_with_every_submission_graded_once(tmp_path, course):
    folder = tmp_path / "class"
    folder.mkdir()
    ids = [f"student{i}" for i in range(6)]
    for sid in ids:
        folder_submission(folder, sid, PERFECT if int(sid[-1]) % 2 else WRONG_MUL)
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "grader",
        "batch",
        str(folder),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--seed",
        "2",
        "--course",
        str(course.root),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    results = out / RESULTS_NAME
    deadline = time.monotonic() + 120
    while not (results.exists() and results.read_bytes().count(b"\n") >= 1):
        assert process.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() < deadline, "no result line within 120 s"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with_kill = lines_by_id(out)
    try:  # the grading in flight is orphaned: end it, so it does not slow the rerun
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    assert process.returncode == -signal.SIGKILL
    assert 1 <= len(with_kill) < len(ids)

    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"{len(with_kill)} already graded" in completed.stdout
    assert lines_by_id(out) == dict.fromkeys(ids, 1)  # every submission graded exactly once
    assert (out / "report.html").is_file()
    assert len((out / "gradebook.csv").read_text().splitlines()) == len(ids) + 1


# -- bad input -------------------------------------------------------------------------------
def test_cli_bad_input_is_a_clear_usage_error(tmp_path, course):
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    klass = tmp_path / "class"
    klass.mkdir()
    folder_submission(klass, "ada", PERFECT)
    cases = [
        ((tmp_path / "missing", "--out", tmp_path / "o1"), "does not exist"),
        ((empty, "--out", tmp_path / "o2"), "no submissions in"),
        ((klass, "--out", a_file), "is not a folder"),
        ((klass, "--out", a_file / "sub"), "cannot write to the output folder"),
        ((klass, "--out", tmp_path / "o3", "--exercise", "nope"), "unknown exercise nope"),
    ]
    for args, message in cases:
        completed = grade_cli("batch", *args, "--course", course.root)
        assert completed.returncode == 2, (args, completed.stdout, completed.stderr)
        assert message in completed.stderr, (args, completed.stderr)
    completed = grade_cli("report", tmp_path / "nothing")
    assert completed.returncode == 2 and "run grade batch first" in completed.stderr


def test_a_locked_output_folder_is_refused(tmp_path, course):
    import fcntl

    klass = tmp_path / "class"
    klass.mkdir()
    folder_submission(klass, "ada", PERFECT)
    out = tmp_path / "out"
    out.mkdir()
    with open(out / batch_module.LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(BatchError, match="another grade batch"):
            grade_batch(klass, out, course, OPTIONS)


# -- Dask ------------------------------------------------------------------------------------
def test_batch_on_a_dask_local_cluster(tmp_path, course):
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "class"
    folder.mkdir()
    folder_submission(folder, "ada", PERFECT)
    zip_submission(folder, "bob", WRONG_MUL)
    (folder / "cy.zip").write_bytes(b"not a zip")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        with dask_executor(cluster.scheduler_address) as executor:
            summary = grade_batch(
                folder, tmp_path / "out", course, OPTIONS, jobs=2, seed=6, executor=executor
            )
    assert {sid: r["score"] for sid, r in summary.results.items()} == {
        "ada": 20,
        "bob": 12,
        "cy": 0,
    }
    assert lines_by_id(tmp_path / "out") == {"ada": 1, "bob": 1, "cy": 1}
    assert (tmp_path / "out" / "report.html").is_file()


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        with dask_executor("tcp://127.0.0.1:9", connect_timeout_s=2):
            pass
