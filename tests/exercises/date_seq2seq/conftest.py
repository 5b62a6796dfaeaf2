"""What the public and hidden tests of `date_seq2seq` share: a date generator, and the
student's model trained once per grading (this file ships with the public tests)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

# fmt: off
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# fmt: on
N_TRAIN, N_VALID = 10_000, 2_000  # the book's sizes
TRAIN_BUDGET_S = 180  # the contract's
TRAIN_DEADLINE_S = TRAIN_BUDGET_S * 5 // 4  # plus 25% for a noisy machine


def some_dates(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    first, last = date(1000, 1, 1).toordinal(), date(9999, 12, 31).toordinal()
    days = [date.fromordinal(int(o)) for o in rng.integers(first, last + 1, n)]
    return [f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}" for d in days], [
        d.isoformat() for d in days
    ]


@pytest.fixture(scope="session")
def trained_date_model(student, run_seed):
    """The student's ``train_date_model`` on dates drawn here, within the deadline."""
    rng = np.random.default_rng(run_seed + 11)
    x_train, y_train = some_dates(N_TRAIN, rng)
    x_valid, y_valid = some_dates(N_VALID, rng)
    train = student.date_seq2seq.train_date_model.options(timeout=TRAIN_DEADLINE_S, keep=True)
    return train(x_train, y_train, x_valid, y_valid)
