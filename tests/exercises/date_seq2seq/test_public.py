"""Public tests of the date exercise: quick format checks (5 points).

The last test trains your model once (the `trained_date_model` fixture of conftest.py,
which the hidden tests share): on 10,000 training and 2,000 validation dates, within the
180 s budget.
"""

import re
from datetime import date

import numpy as np
import pytest

from .conftest import MONTHS, some_dates

INPUT_FORMAT = re.compile(rf"({'|'.join(MONTHS)}) \d\d, \d\d\d\d")
TARGET_FORMAT = re.compile(r"\d\d\d\d-\d\d-\d\d")


@pytest.mark.points(1)
def test_random_dates_look_right(student, student_rng):
    x, y = student.date_seq2seq.random_dates(20, student_rng)
    assert len(x) == len(y) == 20, f"random_dates(20, rng) gave {len(x)} inputs, {len(y)} targets"
    for s, t in zip(x, y, strict=True):
        assert INPUT_FORMAT.fullmatch(s), (
            f"{s!r} should look like 'September 20, 7075' (full month, two-digit day)"
        )
        assert TARGET_FORMAT.fullmatch(t), f"{t!r} should look like '7075-09-20'"
        d = date.fromisoformat(t)
        expected = f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}"
        assert s == expected, f"the input {s!r} should be {expected!r} for the target {t!r}"


@pytest.mark.points(1)
def test_date_str_to_ids_example(student):
    got = student.date_seq2seq.date_str_to_ids("May 02, 2020")
    expected = [16, 20, 37, 0, 2, 4, 1, 0, 4, 2, 4, 2]
    assert list(got) == expected, f"date_str_to_ids('May 02, 2020'): expected {expected}, got {got}"
    got = student.date_seq2seq.date_str_to_ids("2019-04-22", "0123456789-")
    expected = [2, 0, 1, 9, 10, 0, 4, 10, 2, 2]
    assert list(got) == expected, (
        f"date_str_to_ids('2019-04-22', OUTPUT_CHARS): expected {expected}, got {got}"
    )


@pytest.mark.points(1)
def test_prepare_date_strs_example(student):
    got = student.date_seq2seq.prepare_date_strs(["May 02, 2020", "July 14, 1789"])
    expected = np.array(
        [
            [17, 21, 38, 1, 3, 5, 2, 1, 5, 3, 5, 3, 0],
            [16, 36, 28, 38, 1, 4, 7, 2, 1, 4, 10, 11, 12],
        ],
        np.int32,
    )
    assert isinstance(got, np.ndarray) and got.dtype == np.int32, (
        f"prepare_date_strs should return an int32 array, got {type(got).__name__} "
        f"{getattr(got, 'dtype', '')}"
    )
    assert got.shape == expected.shape and (got == expected).all(), (
        f"prepare_date_strs(['May 02, 2020', 'July 14, 1789']):\nexpected {expected.tolist()}"
        f"\ngot {got.tolist()}"
    )


@pytest.mark.points(1)
def test_ids_to_date_strs_example(student):
    ids = [[3, 1, 3, 1, 11, 1, 6, 11, 1, 3], [2, 8, 9, 10, 11, 1, 8, 11, 0, 0]]
    got = student.date_seq2seq.ids_to_date_strs(ids)
    expected = ["2020-05-02", "1789-07-??"]
    assert list(got) == expected, f"ids_to_date_strs({ids}): expected {expected}, got {got}"


@pytest.mark.points(1)
def test_convert_output_format(student, trained_date_model, run_seed):
    x, _ = some_dates(20, np.random.default_rng(run_seed + 6))
    x = ["May 02, 2020", *x]
    got = student.date_seq2seq.convert_date_strs.options(timeout=60)(trained_date_model, x)
    assert isinstance(got, (list, tuple)) and len(got) == len(x), (
        f"convert_date_strs on {len(x)} strings should return a list of {len(x)} strings"
    )
    malformed = [s for s in got if not (isinstance(s, str) and TARGET_FORMAT.fullmatch(s))]
    assert not malformed, (
        f"{len(malformed)} outputs are not like '2020-05-02', e.g. {malformed[0]!r}"
    )
    one = student.date_seq2seq.convert_date_strs.options(timeout=60)(
        trained_date_model, ["July 04, 1000"]
    )
    assert isinstance(one, (list, tuple)) and len(one) == 1 and isinstance(one[0], str), (
        f"convert_date_strs on one string should return a list of one string, got {one!r}"
    )
