"""Public tests of the Reber exercise: quick shape and behaviour checks (5 points)."""

import numpy as np
import pytest

CHARS = "BEPSTVX"
LONG_INVALID = "BPBTSSSSSSSXXTTVPXVPXTTTTTVVETE"
LONG_VALID = "BPBTSSSSSSSXXTTVPXVPXTTTTTVVEPE"
# The book's grammars, as plain data: the tests send them, so the module's copies can't matter.
REBER = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [("S", 2), ("X", 4)],
    [("T", 3), ("V", 5)],
    [("X", 3), ("S", 6)],
    [("P", 4), ("V", 6)],
    [("E", None)],
]
EMBEDDED = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [(REBER, 4)],
    [(REBER, 5)],
    [("T", 6)],
    [("P", 6)],
    [("E", None)],
]


@pytest.mark.points(1)
def test_string_to_ids(student):
    ids = student.reber.string_to_ids("BTE")
    assert list(ids) == [1, 5, 2], f"string_to_ids('BTE') should be [1, 5, 2], got {ids}"


@pytest.mark.points(1)
def test_generated_strings_look_embedded(student, student_rng):
    strings = student.helper("call_many")(
        student.reber.ref("generate_string"), 20, EMBEDDED, student_rng
    )
    for s in strings:
        assert isinstance(s, str) and set(s) <= set(CHARS), f"unexpected characters in {s!r}"
        assert s[0] == "B" and s[-1] == "E", f"{s!r} should start with B and end with E"
        assert s[1] in "TP" and s[1] == s[-2], f"{s!r}: 2nd and 2nd-to-last should be T or P"


@pytest.mark.points(1)
def test_is_valid_long_range_pair(student):
    assert student.reber.is_valid(LONG_VALID, EMBEDDED) is True, f"{LONG_VALID} is valid"
    assert student.reber.is_valid(LONG_INVALID, EMBEDDED) is False, f"{LONG_INVALID} is invalid"


@pytest.mark.points(1)
def test_corrupted_string_is_rejected_by_your_is_valid(student, student_rng):
    s = student.reber.generate_corrupted_string(EMBEDDED, student_rng)
    assert isinstance(s, str) and set(s) <= set(CHARS), f"unexpected characters in {s!r}"
    assert student.reber.is_valid(s, EMBEDDED) is False, f"{s!r} should be invalid"


@pytest.mark.points(1)
def test_dataset_shapes(student, student_rng):
    X, y = student.reber.generate_dataset(10, student_rng)
    assert isinstance(X, np.ndarray) and X.dtype == np.int32 and X.ndim == 2, (
        f"X should be a 2-D int32 array, got {type(X).__name__} {getattr(X, 'dtype', '')}"
    )
    assert X.shape[0] == 10, f"X should have 10 rows, got {X.shape}"
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (10, 1), (
        f"y should be float32 of shape (10, 1), got {getattr(y, 'dtype', '')} "
        f"{getattr(y, 'shape', '')}"
    )
