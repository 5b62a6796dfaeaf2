"""Which submissions of a class are most alike, exercise by exercise.

Winnowing fingerprints, as MOSS computes them, by ``copydetect``: each module is
tokenized (comments and layout dropped, names of variables and functions replaced by
their kind, so renaming hides nothing), hashed over windows of K tokens, and compared
by the share of fingerprints two modules have in common; fingerprints are
position-free, so reordering functions hides nothing either. What the stub already
provides (its fingerprints) is left out: every student shares it.

The batch keeps each graded submission's exercise modules in ``OUT/sources/<id>/``;
``similar_pairs`` reads them, ``similarity_csv`` and ``grader.report_html`` show them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from grader.safe_text import spreadsheet_cell

SOURCES_NAME = "sources"  # OUT/sources/<id>/<exercise>.py: what each submission handed in
NOISE_TOKENS = 25  # K: a match shorter than this many tokens is noise (copydetect's default)
GUARANTEE_TOKENS = 30  # any match at least this long is found (the winnowing window + K)
TOP_PAIRS = 10  # pairs per exercise in the report
MAX_SOURCE_CHARS = 200_000  # a module longer than this is compared on its first part


@dataclass(frozen=True)
class Pair:
    """Two submissions' modules of one exercise, and how much of each the other holds."""

    exercise: str
    first: str  # submission id
    second: str  # submission id
    similarity: float  # the larger of the two shares: one copied into a longer file counts
    first_code: str  # the module as handed in
    second_code: str


def fingerprint(code: str, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint(
        "module.py",
        NOISE_TOKENS,
        GUARANTEE_TOKENS - NOISE_TOKENS + 1,
        boilerplate=boilerplate if boilerplate is not None else [],
        fp=io.StringIO(code[:MAX_SOURCE_CHARS]),
    )


def similar_pairs(exercise: str, sources: dict[str, str], stub: str = "") -> list[Pair]:
    """The pairs of ``sources`` (submission id → module) most alike first, the stub's
    fingerprints left out; pairs with nothing in common are not listed."""
    boilerplate = sorted(fingerprint(stub).hashes) if stub else []
    prints = {}
    for sid, code in sorted(sources.items()):
        try:
            prints[sid] = fingerprint(code, boilerplate)
        except Exception:  # a module the tokenizer cannot read is compared with nothing
            continue
    ids = sorted(prints)
    pairs = []
    for index, first in enumerate(ids):
        for second in ids[index + 1 :]:
            _, (share_first, share_second), _ = compare_files(prints[first], prints[second])
            similarity = float(max(share_first, share_second))
            if similarity > 0:
                pairs.append(
                    Pair(
                        exercise,
                        first,
                        second,
                        round(similarity, 3),
                        sources[first],
                        sources[second],
                    )
                )
    return sorted(pairs, key=lambda pair: (-pair.similarity, pair.first, pair.second))


def class_pairs(out_dir: Path, stubs_dir: Path | None, exercises: list[str]) -> list[Pair]:
    """Every exercise's most alike pairs among the sources the batch kept in ``out_dir``
    (the stubs in ``stubs_dir`` left out, when given)."""
    root = out_dir / SOURCES_NAME
    pairs = []
    for exercise in exercises:
        sources = {
            folder.name: path.read_text(errors="replace")
            for folder in sorted(root.iterdir() if root.is_dir() else [])
            if (path := folder / f"{exercise}.py").is_file()
        }
        stub = stubs_dir / f"{exercise}.py" if stubs_dir else None
        stub_code = stub.read_text() if stub and stub.is_file() else ""
        pairs += similar_pairs(exercise, sources, stub_code)[:TOP_PAIRS]
    return pairs


def similarity_csv(pairs: list[Pair]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["exercise", "first", "second", "similarity"])
    for pair in pairs:
        writer.writerow(
            [
                pair.exercise,
                spreadsheet_cell(pair.first),
                spreadsheet_cell(pair.second),
                pair.similarity,
            ]
        )
    return buffer.getvalue()
