"""The similarity report: a disguised copy ranks above independent correct solutions.

The copies are crafted from the references as a student hides one: identifiers renamed,
functions reordered, comments rewritten. The independent solutions are the exercises'
correct alternatives (``right/``), written apart from the references.
"""

import csv
import io
import re

import pytest
from conftest import ROOT

from grader.similarity import SOURCES_NAME, class_pairs, similar_pairs, similarity_csv

ALTERNATIVES = {
    "text_generation": "lstm_onehot",
    "transformer_dates": "subclassed_blocks",
    "beam_search": "padded_rows",
}


def disguised(code: str) -> str:
    """The same module, renamed, reordered and recommented."""
    names = sorted(set(re.findall(r"^def (\w+)", code, re.M)) | {"model", "probs", "rng"})
    for number, name in enumerate(names):
        code = re.sub(rf"\b{name}\b", f"thing_{number}", code)
    code = re.sub(r"#.*", "# my own words", code)
    head, *functions = code.split("\n\ndef ")
    return head + "\n\ndef " + "\n\ndef ".join(reversed(functions))


@pytest.mark.parametrize("exercise", sorted(ALTERNATIVES))
def test_a_disguised_copy_ranks_first(exercise):
    reference = (ROOT / "solutions" / f"{exercise}.py").read_text()
    right = ROOT / "tests" / "exercises" / exercise / "right" / ALTERNATIVES[exercise]
    sources = {
        "ada": reference,
        "ben": disguised(reference),
        "cy": (right / f"{exercise}.py").read_text(),
        "dan": (ROOT / "exercises" / f"{exercise}.py").read_text(),  # handed in the stub
    }
    pairs = similar_pairs(exercise, sources, sources["dan"])
    assert (pairs[0].first, pairs[0].second) == ("ada", "ben"), pairs[:3]
    independent = [p.similarity for p in pairs if "cy" in (p.first, p.second)]
    assert pairs[0].similarity > 0.8 and max(independent, default=0) < pairs[0].similarity - 0.2
    assert all("dan" not in (p.first, p.second) or p.similarity < 0.2 for p in pairs)


def test_the_batch_sources_make_a_report_and_a_csv(tmp_path):
    reference = (ROOT / "solutions" / "beam_search.py").read_text()
    for sid, code in (("ada", reference), ("ben", disguised(reference))):
        (tmp_path / SOURCES_NAME / sid).mkdir(parents=True)
        (tmp_path / SOURCES_NAME / sid / "beam_search.py").write_text(code)
    pairs = class_pairs(tmp_path, ROOT / "exercises", ["beam_search", "reber"])
    rows = list(csv.DictReader(io.StringIO(similarity_csv(pairs))))
    assert [(r["exercise"], r["first"], r["second"]) for r in rows] == [
        ("beam_search", "ada", "ben")
    ]
