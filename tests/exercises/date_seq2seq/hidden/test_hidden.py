"""Hidden tests of the date exercise (15 points): properties on fresh inputs.

Inputs come from this run's seed; every expected value is computed here, by the
tests' own date code (``support``), and never sent to the worker. The
model is trained once per grading (``trained_date_model`` in ``conftest.py``, shared
with the public test), on dates generated there, and scored on dates it never saw.
"""

import numpy as np
import pytest

from grader.sandbox.client import StudentError

from .support import (
    FIRST_DAY,
    INPUT_CHARS,
    MONTHS,
    N_DAYS,
    OUTPUT_CHARS,
    bad_pair,
    decoded,
    exact_match,
    ids,
    long_dates,
    month_and_day,
    month_and_day_probabilities,
    out_of_bounds,
    parse_days,
    prepared,
    random_dates,
    short_dates,
)

N_UNIFORM = 200_000  # enough that the first and last years (22 dates each expected) show up
CONVERT_DEADLINE_S = 60
ACCURACY_THRESHOLD = 0.99  # the contract's; see tests/exercises/date_seq2seq/calibration.md
N_SHORT = 1_000
SHORT_ACCURACY_THRESHOLD = 0.97  # on N_SHORT + 2 short dates, a subset: some slack
AGREEMENT = 0.99  # the same date must convert the same way in any batch


def dates_of(student, n, rng, timeout=30):
    pair = student.date_seq2seq.random_dates.options(timeout=timeout)(n, rng)
    assert isinstance(pair, (tuple, list)) and len(pair) == 2, (
        "random_dates should return a pair (inputs, targets)"
    )
    x, y = pair
    assert isinstance(x, list) and isinstance(y, list) and len(x) == len(y) == n, (
        f"random_dates({n}, rng) should return two lists of {n} strings"
    )
    return x, y


# -- random_dates -----------------------------------------------------------------------
@pytest.mark.points(1)
def test_random_dates_format(student, student_rng):
    for n in (2_000, 1):  # one date is still a list of one
        x, y = dates_of(student, n, student_rng)
        for why in map(bad_pair, x, y):
            assert why is None, why


@pytest.fixture(scope="module")
def many_days(student, run_seed):
    """One large draw, checked pair by pair, as ``datetime64[D]`` days."""
    rng = student.helper("make_rng").options(keep=True)(run_seed + 3)
    x, y = dates_of(student, N_UNIFORM, rng, timeout=120)
    days, why = parse_days(x, y)
    assert why is None, why
    return days


@pytest.mark.points(1)
def test_random_dates_cover_whole_range(many_days):
    years = many_days.astype("datetime64[Y]").astype(np.int64) + 1970
    assert (years == 1000).any() and (years == 9999).any(), (
        f"no date of the year 1000 or no date of the year 9999 among {N_UNIFORM} dates: "
        "the range must run from 1000-01-01 to 9999-12-31"
    )
    months, _ = month_and_day(many_days)
    missing = sorted(set(range(1, 13)) - set(months.tolist()))
    assert not missing, f"no date in {MONTHS[missing[0] - 1]} among {N_UNIFORM} dates"


@pytest.mark.points(2)
def test_random_dates_are_uniform(many_days):
    # Each count is binomial; 5 standard deviations: a uniform draw fails with odds < 1e-4.
    offsets = (many_days - FIRST_DAY).astype(np.int64)
    bins = np.bincount(offsets * 50 // N_DAYS, minlength=50)
    edges = -(-np.arange(51) * N_DAYS // 50)  # first day of each bin
    far = out_of_bounds(bins, np.diff(edges) / N_DAYS)
    assert not far, (
        "the dates are not uniform over the range: some spans of years get "
        "too many or too few dates (draw a day uniformly, not a year then a day)"
    )
    month_p, day_p = month_and_day_probabilities()
    months, days = month_and_day(many_days)
    far = out_of_bounds(np.bincount(months - 1, minlength=12), month_p)
    assert not far, (
        f"{MONTHS[far[0]]} does not get its share of the dates: draw the day "
        "uniformly over the whole range (months are not equally likely: they differ in length)"
    )
    far = out_of_bounds(np.bincount(days - 1, minlength=31), day_p)
    assert not far, f"day {far[0] + 1} of the month does not get its share of the dates"


@pytest.mark.points(1)
def test_random_dates_deterministic(student, seed):
    make_rng = student.helper("make_rng").options(keep=True)
    first = dates_of(student, 100, make_rng(seed))
    second = dates_of(student, 100, make_rng(seed))
    assert first == second, (
        "two generators with the same seed gave different dates: "
        "use only the rng argument for randomness"
    )
    rng = make_rng(seed + 1)
    assert dates_of(student, 100, rng) != dates_of(student, 100, rng), (
        "two calls with the same generator gave the same dates: draw them from rng"
    )


# -- ids --------------------------------------------------------------------------------
@pytest.mark.points(1)
def test_date_str_to_ids(student, rng):
    x, y = random_dates(5, rng)
    calls = [[s] for s in x] + [[s, OUTPUT_CHARS] for s in y] + [["cab", "abc"]]
    expected = ids(x, INPUT_CHARS) + ids(y, OUTPUT_CHARS) + [[2, 0, 1]]
    got = student.helper("map_calls")(student.date_seq2seq.ref("date_str_to_ids"), calls)
    for args, ids_got, ids_expected in zip(calls, got, expected, strict=True):
        assert (
            isinstance(ids_got, (list, tuple, np.ndarray))
            and [int(i) for i in ids_got] == ids_expected
        ), f"date_str_to_ids{tuple(args)!r} is wrong: it should give chars.index(c) per character"
    for args in ([x[0] + "."], [x[1].upper()], [y[0].replace("-", "/"), OUTPUT_CHARS]):
        try:
            student.date_seq2seq.date_str_to_ids(*args)
        except StudentError as error:
            assert error.type_name == "ValueError", (
                f"date_str_to_ids{tuple(args)!r} should raise ValueError, not {error.type_name}"
            )
        else:
            pytest.fail(
                f"date_str_to_ids{tuple(args)!r} returned ids: it should raise ValueError for a "
                "character that is not in chars"
            )


def check_prepared(got, strs, chars):
    expected = prepared(strs, chars)
    assert isinstance(got, np.ndarray) and got.dtype == np.int32, (
        "prepare_date_strs should return an int32 NumPy array"
    )
    assert got.shape == expected.shape, (
        f"prepare_date_strs on {len(strs)} strings returned shape {got.shape}: it should "
        "have one row per string, padded to the longest string of the list only"
    )
    assert (got == expected).all(), (
        "prepare_date_strs should give date_str_to_ids + 1, post-padded with 0"
    )


@pytest.mark.points(1)
def test_prepare_date_strs(student, rng):
    prepare = student.date_seq2seq.prepare_date_strs
    x, y = random_dates(50, rng)
    check_prepared(prepare(x), x, INPUT_CHARS)
    check_prepared(prepare(y, OUTPUT_CHARS), y, OUTPUT_CHARS)
    short, _ = short_dates(20, rng)
    check_prepared(prepare(short), short, INPUT_CHARS)


@pytest.mark.points(1)
def test_ids_to_date_strs(student, rng):
    to_strs = student.date_seq2seq.ids_to_date_strs
    id_rows = rng.integers(0, len(OUTPUT_CHARS) + 1, size=(30, 10)).astype(np.int32)
    assert to_strs(id_rows) == decoded(id_rows, OUTPUT_CHARS), (
        "ids_to_date_strs should map each id to ('?' + chars)[id]"
    )
    x, _ = random_dates(20, rng)
    padded = prepared(x, INPUT_CHARS)
    assert to_strs(padded.tolist(), INPUT_CHARS) == decoded(padded, INPUT_CHARS), (
        "ids_to_date_strs(prepare_date_strs(strs, chars), chars) should give the strings back, "
        "with '?' for padding (ids given as a list of lists)"
    )


# -- the model --------------------------------------------------------------------------
def convert(student, model, date_strs):
    out = student.date_seq2seq.convert_date_strs.options(timeout=CONVERT_DEADLINE_S)(
        model, date_strs
    )
    assert (
        isinstance(out, (list, tuple))
        and len(out) == len(date_strs)
        and all(isinstance(s, str) for s in out)
    ), (
        f"convert_date_strs on {len(date_strs)} strings should return a list of "
        f"{len(date_strs)} strings"
    )
    return list(out)


def agreement(a, b):
    return exact_match(a, b)


@pytest.mark.points(1)
def test_train_returns_a_model(trained_date_model):
    assert trained_date_model.type_name not in ("tuple", "list", "dict"), (
        f"train_date_model should return one keras.Model, not a {trained_date_model.type_name}"
    )
    n_params = trained_date_model.count_params()
    assert isinstance(n_params, int) and n_params > 0, (
        "train_date_model should return the trained keras.Model"
    )


@pytest.mark.points(3)
def test_convert_accuracy_on_fresh_dates(student, trained_date_model, rng):
    x, y = random_dates(2_000, rng)
    accuracy = exact_match(convert(student, trained_date_model, x), y)
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"exact-match accuracy on 2000 fresh dates is {accuracy:.3f}, below {ACCURACY_THRESHOLD}"
    )


@pytest.mark.points(1)
def test_convert_short_inputs(student, trained_date_model, rng):
    x, y = short_dates(N_SHORT, rng)
    x, y = ["May 02, 2020", "July 04, 1000", *x], ["2020-05-02", "1000-07-04", *y]
    alone = convert(student, trained_date_model, x)
    long_x, _ = long_dates(5, rng)
    with_long = convert(student, trained_date_model, x + long_x)[: len(x)]
    assert agreement(alone, with_long) >= AGREEMENT, (
        "short dates convert differently when a batch holds only short dates: pad every "
        "input to 18 characters, as in training"
    )
    accuracy = exact_match(alone, y)
    assert accuracy >= SHORT_ACCURACY_THRESHOLD, (
        f"exact-match accuracy on {len(x)} short dates (such as 'May 02, 2020') is "
        f"{accuracy:.3f}, below {SHORT_ACCURACY_THRESHOLD}"
    )


@pytest.mark.points(1)
def test_convert_batch_of_one(student, trained_date_model, rng):
    short_x, _ = short_dates(2, rng)
    long_x, _ = long_dates(2, rng)
    x = ["May 02, 2020", "July 04, 1000", *short_x, *long_x]
    batch = convert(student, trained_date_model, x)
    alone = [convert(student, trained_date_model, [s])[0] for s in x]
    assert agreement(alone, batch) >= 5 / 6, (
        "a date converted alone (a list of one string) gives another result than in a batch"
    )


@pytest.mark.points(1)
def test_convert_preserves_order(student, trained_date_model, rng):
    x, _ = random_dates(300, rng)
    short_x, _ = short_dates(100, rng)
    x = [x[i] for i in rng.permutation(len(x))[:200]] + short_x
    x = [x[i] for i in rng.permutation(len(x))]
    first = convert(student, trained_date_model, x)
    order = rng.permutation(len(x))
    second = convert(student, trained_date_model, [x[i] for i in order])
    assert agreement(second, [first[i] for i in order]) >= AGREEMENT, (
        "convert_date_strs does not return the results in the order of its inputs"
    )
