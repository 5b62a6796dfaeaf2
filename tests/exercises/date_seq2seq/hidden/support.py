"""The tests' own dates, independent of any submission: a generator, a checker of
(input, target) pairs, and the exact distribution of a uniform draw.

The range comes from ``datetime``; the bulk work is NumPy ``datetime64[D]`` arithmetic
(hundreds of thousands of dates are generated and checked per run).
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import numpy as np

# fmt: off
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# fmt: on
INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"
SHORT_MONTHS = [m for m in MONTHS if len(m) <= 5]  # inputs of at most 14 characters

FIRST_DAY = np.datetime64(date(1000, 1, 1), "D")
LAST_DAY = np.datetime64(date(9999, 12, 31), "D")
N_DAYS = (date(9999, 12, 31) - date(1000, 1, 1)).days + 1

INPUT_FORMAT = re.compile(rf"({'|'.join(MONTHS)}) (\d\d), (\d\d\d\d)")
TARGET_FORMAT = re.compile(r"\d\d\d\d-\d\d-\d\d")


def to_text(iso: str) -> str:
    """'7075-09-20' -> 'September 20, 7075'."""
    return f"{MONTHS[int(iso[5:7]) - 1]} {iso[8:10]}, {iso[:4]}"


def from_offsets(offsets: np.ndarray) -> tuple[list[str], list[str]]:
    """Inputs and targets of the days ``FIRST_DAY + offsets``."""
    targets = np.datetime_as_string(FIRST_DAY + offsets.astype(np.int64)).tolist()
    return [to_text(iso) for iso in targets], targets


def month_and_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Month (1-12) and day of month (1-31) of ``datetime64[D]`` values."""
    months = days.astype("datetime64[M]")
    return months.astype(np.int64) % 12 + 1, (days - months).astype(np.int64) + 1


@cache
def _all_days() -> tuple[np.ndarray, np.ndarray]:
    """Month and day of month of every day of the range."""
    return month_and_day(FIRST_DAY + np.arange(N_DAYS))


def random_dates(
    n: int, rng: np.random.Generator, months: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """``n`` dates drawn uniformly from the range (from the given months only, if any)."""
    if months is None:
        return from_offsets(rng.integers(0, N_DAYS, n))
    allowed = np.flatnonzero(np.isin(_all_days()[0], [MONTHS.index(m) + 1 for m in months]))
    return from_offsets(rng.choice(allowed, n))


def short_dates(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Dates whose inputs are at most 14 characters long (March, April, May, June, July)."""
    return random_dates(n, rng, SHORT_MONTHS)


def long_dates(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Dates whose inputs are 18 characters long (September)."""
    return random_dates(n, rng, ["September"])


def bad_pair(x, y) -> str | None:
    """Why ``(x, y)`` is not an input and its target for one day of the range, or None."""
    if not (isinstance(x, str) and INPUT_FORMAT.fullmatch(x)):
        return f"the input {x!r} is not formatted like 'September 20, 7075'"
    if not (isinstance(y, str) and TARGET_FORMAT.fullmatch(y)):
        return f"the target {y!r} is not formatted like '7075-09-20'"
    try:
        day = date.fromisoformat(y)
    except ValueError:
        return f"the target {y!r} is not a valid date"
    if not date(1000, 1, 1) <= day <= date(9999, 12, 31):
        return f"{y!r} is outside 1000-01-01 to 9999-12-31"
    if x != to_text(y):
        return f"the input {x!r} and the target {y!r} are not the same day"
    return None


def parse_days(x: list[str], y: list[str]) -> tuple[np.ndarray | None, str | None]:
    """The ``datetime64[D]`` days of many checked pairs, or ``(None, why)`` for the first bad one.

    Vectorised: the regular expressions and one NumPy parse do the work; a slow
    per-pair check runs only to explain a failure.
    """
    if len(x) != len(y):
        return None, f"{len(x)} inputs but {len(y)} targets"
    ok = all(isinstance(s, str) and INPUT_FORMAT.fullmatch(s) for s in x) and all(
        isinstance(s, str) and TARGET_FORMAT.fullmatch(s) for s in y
    )
    days = None
    if ok:
        try:
            days = np.array(y, dtype="datetime64[D]")
        except ValueError:
            ok = False
    ok = (
        ok
        and bool((days >= FIRST_DAY).all() and (days <= LAST_DAY).all())
        and x == [to_text(iso) for iso in y]
    )
    if ok:
        return days, None
    return None, next(why for why in map(bad_pair, x, y) if why)


@cache
def month_and_day_probabilities() -> tuple[np.ndarray, np.ndarray]:
    """Exact probability of each month (12) and day of month (31) for a uniform draw."""
    months, days = _all_days()
    return (
        np.bincount(months - 1, minlength=12) / N_DAYS,
        np.bincount(days - 1, minlength=31) / N_DAYS,
    )


def out_of_bounds(counts: np.ndarray, probabilities: np.ndarray, sigmas: float = 5.0) -> list[int]:
    """Categories whose count is more than ``sigmas`` binomial deviations from expected."""
    n = counts.sum()
    expected = n * probabilities
    bound = sigmas * np.sqrt(expected * (1 - probabilities))
    return np.flatnonzero(np.abs(counts - expected) > bound).tolist()


def ids(date_strs: list[str], chars: str) -> list[list[int]]:
    return [[chars.index(c) for c in s] for s in date_strs]


def prepared(date_strs: list[str], chars: str) -> np.ndarray:
    """``ids + 1``, post-padded with 0 to the longest string."""
    out = np.zeros((len(date_strs), max(map(len, date_strs))), np.int32)
    for row, s in enumerate(date_strs):
        out[row, : len(s)] = [chars.index(c) + 1 for c in s]
    return out


def decoded(id_rows, chars: str) -> list[str]:
    return ["".join(("?" + chars)[i] for i in row) for row in id_rows]


def exact_match(predicted: list[str], targets: list[str]) -> float:
    """The share of predictions equal to their target."""
    return float(np.mean([p == t for p, t in zip(predicted, targets, strict=True)]))
