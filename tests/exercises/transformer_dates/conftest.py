"""What the public and hidden tests of `transformer_dates` share: the tests' own dates,
and the student's model, trained once per grading (it ships with the public tests)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

# fmt: off
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# fmt: on
INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"
SOS_ID = len(OUTPUT_CHARS) + 1
N_TRAIN, N_VALID = 10_000, 2_000  # the book's sizes
TRAIN_BUDGET_S = 180  # the contract's
TRAIN_DEADLINE_S = TRAIN_BUDGET_S * 5 // 4  # plus 25% for a noisy machine

FIRST_DAY, LAST_DAY = date(1000, 1, 1).toordinal(), date(9999, 12, 31).toordinal()


def random_dates(
    n: int, rng: np.random.Generator, months: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """``n`` days drawn uniformly from the range (from the given months only, if any),
    as inputs ``"September 20, 7075"`` and targets ``"7075-09-20"``."""
    days: list[date] = []
    while len(days) < n:
        drawn = (date.fromordinal(int(o)) for o in rng.integers(FIRST_DAY, LAST_DAY + 1, n))
        days += [d for d in drawn if months is None or MONTHS[d.month - 1] in months]
    days = days[:n]
    return [f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}" for d in days], [
        d.isoformat() for d in days
    ]


def encoder_ids(date_strs: list[str]) -> np.ndarray:
    """``INPUT_CHARS.index(c) + 1``, post-padded with 0 to the longest string."""
    width = max(len(s) for s in date_strs)
    rows = [[INPUT_CHARS.index(c) + 1 for c in s] + [0] * (width - len(s)) for s in date_strs]
    return np.array(rows, np.int32)


def outputs(model, encoder: np.ndarray, decoder: np.ndarray) -> np.ndarray:
    """The model's probabilities for these ids, shape-checked: ``(B, T, 12)``."""
    got = np.asarray(model([encoder, decoder]))
    expected = (len(encoder), decoder.shape[1], len(OUTPUT_CHARS) + 1)
    assert got.shape == expected, (
        f"on encoder_ids {encoder.shape} and decoder_ids {decoder.shape} the model should "
        f"return {expected}, got {got.shape}"
    )
    return got


def exact_match(predicted: list[str], targets: list[str]) -> float:
    """The share of predictions equal to their target."""
    return float(np.mean([p == t for p, t in zip(predicted, targets, strict=True)]))


@pytest.fixture(scope="session")
def trained_transformer(student, run_seed):
    """The student's ``train_date_transformer`` on dates drawn here, within the deadline."""
    rng = np.random.default_rng(run_seed + 11)
    x_train, y_train = random_dates(N_TRAIN, rng)
    x_valid, y_valid = random_dates(N_VALID, rng)
    train = student.transformer_dates.train_date_transformer
    return train.options(timeout=TRAIN_DEADLINE_S, keep=True)(x_train, y_train, x_valid, y_valid)
