"""What an assignment adds to grading a class: late work, and the roster.

An assignment (``grader.course.Assignment``) has a due date and a late policy: a
submission's time is the newest modification time of its files (what a class folder
keeps; an LMS export's times can replace it), and its score loses the penalty per day
late, started, up to the cut-off, after which it is zero. A roster (``--roster``, a CSV
with an ``id`` column and any others) names the students: one who handed in nothing is
``missing``, a submission of nobody on it is flagged.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from grader.course import Assignment

MAX_FILES_TIMED = 10_000  # a tree this large is timed by the files seen so far


class RosterError(Exception):
    """The roster cannot be read (no such file, no ``id`` column, duplicate ids)."""


def submitted_at(path: Path) -> datetime:
    """The newest modification time of ``path``'s files (links not followed)."""
    info = os.lstat(path)
    newest = info.st_mtime
    if stat.S_ISDIR(info.st_mode):
        seen = 0
        for folder, dirs, files in os.walk(path):
            for name in files + dirs:
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except OSError:
                    continue
                seen += 1
            if seen > MAX_FILES_TIMED:
                break
    return datetime.fromtimestamp(newest, UTC)


def lateness(assignment: Assignment, when: datetime) -> dict | None:
    """How late ``when`` is for ``assignment`` and what it costs; None when on time."""
    if assignment.due is None or when <= assignment.due:
        return None
    days = math.ceil((when - assignment.due).total_seconds() / 86_400)
    cut = assignment.late_cutoff_days is not None and days > assignment.late_cutoff_days
    penalty = 1.0 if cut else min(1.0, days * assignment.late_penalty_per_day)
    return {
        "days": days,
        "penalty": round(penalty, 6),
        "due": assignment.due.isoformat(),
        "submitted": when.isoformat(timespec="seconds"),
        "cut_off": cut,
    }


def apply_lateness(result: dict, late: dict | None) -> dict:
    """``result`` with its exercises' scores reduced by the late penalty (tests untouched),
    and the lateness recorded."""
    if late is None:
        return result
    keep = 1.0 - late["penalty"]
    for exercise in result["exercises"].values():
        exercise["score"] = round(exercise["score"] * keep, 3)
    result["score"] = round(sum(e["score"] for e in result["exercises"].values()), 3)
    result["late"] = late
    return result


def read_roster(path: Path) -> dict[str, dict]:
    """Student id → their row (``id``, then whatever else the CSV holds)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as stream:
            rows = list(csv.DictReader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from None
    if not rows or "id" not in rows[0]:
        raise RosterError(f"the roster {path} needs an 'id' column (and a row per student)")
    roster: dict[str, dict] = {}
    for number, row in enumerate(rows, start=2):
        sid = (row.get("id") or "").strip()
        if not sid:
            raise RosterError(f"{path}, line {number}: no id")
        if sid in roster:
            raise RosterError(f"{path}, line {number}: the id {sid!r} appears twice")
        roster[sid] = row
    return roster
