"""A batch's results file: one canonical result per line, appended atomically.

``results.jsonl`` is the batch's only state. Each line is written with a single
``os.write`` on an ``O_APPEND`` descriptor and fsynced before the next submission is
reported done, so a batch killed at any moment leaves whole lines plus, at worst, one
torn last line; readers skip a line that does not parse, and a writer first ends a
torn line with a newline so that its own lines stay whole. The last line of a
submission wins (a forced regrade appends a new one).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from grader.safe_text import clean_strings

RESULTS_NAME = "results.jsonl"


@dataclass
class ResultsFile:
    """The lines of a results file that parse, in order, and how many did not."""

    records: list[dict] = field(default_factory=list)
    damaged: int = 0

    def latest_per_exercises(self) -> dict[tuple[str, tuple[str, ...]], dict]:
        """(submission id, the exercises it was graded on) → the last such result: what a
        rerun of the same exercises may keep."""
        return {
            (record["submission"], tuple(sorted(record.get("exercises", {})))): record
            for record in self.records
        }

    def merged(self) -> dict[str, dict]:
        """Submission id → its last result, plus the exercises only earlier runs graded.

        A course graded exercise by exercise into one folder (``--exercise A`` one week,
        ``--exercise B`` the next) keeps every exercise's latest
        grade: the gradebook accumulates, ``results.jsonl`` stays the history.
        """
        merged: dict[str, dict] = {}
        for record in self.records:  # in file order: a later line wins, exercise by exercise
            earlier = merged.get(record["submission"])
            if earlier is None:
                merged[record["submission"]] = record
                continue
            carried = {
                name: exercise
                for name, exercise in earlier.get("exercises", {}).items()
                if name not in record.get("exercises", {})
            }
            if not carried:
                merged[record["submission"]] = record
                continue
            merged[record["submission"]] = {
                **record,
                "exercises": {**carried, **record.get("exercises", {})},
                "score": record.get("score", 0) + sum(e.get("score", 0) for e in carried.values()),
                "max_score": record.get("max_score", 0)
                + sum(e.get("max_score", 0) for e in carried.values()),
            }
        return merged


def read_results(path: Path) -> ResultsFile:
    """Every whole result line of ``path`` (none when the file does not exist)."""
    results = ResultsFile()
    if not path.exists():
        return results
    with open(path, "rb") as stream:
        for line in stream:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:  # a torn line from a killed batch, or a hand edit
                results.damaged += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("submission"), str):
                results.records.append(record)
            else:
                results.damaged += 1
    return results


def end_torn_line(path: Path) -> None:
    """End a torn last line with a newline, so the next append starts a line of its own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb") as stream:
        stream.seek(-1, os.SEEK_END)
        if stream.read(1) == b"\n":
            return
    _append_bytes(path, b"\n")


def append_result(path: Path, record: dict) -> None:
    """Append ``record`` as one JSON line of valid UTF-8, durable when this returns."""
    text = json.dumps(clean_strings(record), separators=(",", ":"), ensure_ascii=False)
    line = text.encode("utf-8") + b"\n"
    _append_bytes(path, line)


def _append_bytes(path: Path, data: bytes) -> None:
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:  # one write in practice; a short write is finished, still contiguous
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory
        pass
    finally:
        os.close(fd)


def exercise_names(results: list[dict]) -> list[str]:
    """Every exercise of the results, in the course's order as the results hold them
    (exercises graded in separate runs: in the order they were first graded)."""
    names: dict[str, None] = {}
    for result in results:
        for name in result.get("exercises", {}):
            names.setdefault(name)
    return list(names)


def fmt(points: float) -> str:
    return f"{points:g}"
