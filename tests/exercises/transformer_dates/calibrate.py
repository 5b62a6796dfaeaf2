"""Calibrate the Transformer's thresholds: train the reference as the tests do, over
many seeds, and report training time and exact match on fresh and on short dates.

    python tests/exercises/transformer_dates/calibrate.py --seeds 20

One line per seed, then min/mean/max against the thresholds of
tests/exercises/transformer_dates/hidden/test_hidden.py. Exits 1 if any seed falls
below a threshold or trains longer than a third of the budget (the issue's bar for a
reference). Runs in-process (the reference is trusted code); threads pinned to 2 like a
worker.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "solutions")]

import keras  # noqa: E402
import numpy as np  # noqa: E402
import transformer_dates as reference  # noqa: E402
from calibration_runs import Column, run_seeds, seed_arguments, threshold_column, train_time_column  # noqa: E402

from exercises.transformer_dates.conftest import (  # noqa: E402
    N_TRAIN,
    N_VALID,
    TRAIN_BUDGET_S,
    exact_match,
    random_dates,
)
from exercises.transformer_dates.hidden.test_hidden import (  # noqa: E402
    ACCURACY_THRESHOLD,
    N_SHORT,
    SHORT_ACCURACY_THRESHOLD,
    SHORT_MONTHS,
)


def run_seed(seed: int) -> tuple[float, float, float, float]:
    """(training wall s, training CPU s, accuracy on 2000 fresh dates, on the short ones)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed + 11)  # as the `trained_transformer` fixture
    x_train, y_train = random_dates(N_TRAIN, rng)
    x_valid, y_valid = random_dates(N_VALID, rng)
    wall, cpu = time.perf_counter(), time.process_time()
    model = reference.train_date_transformer(x_train, y_train, x_valid, y_valid)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    fresh = np.random.default_rng(seed + 10_000)
    x, y = random_dates(2_000, fresh)
    accuracy = exact_match(reference.convert_date_strs(model, x), y)
    x, y = random_dates(N_SHORT, fresh, SHORT_MONTHS)
    x, y = ["May 02, 2020", "July 04, 1000", *x], ["2020-05-02", "1000-07-04", *y]
    short_accuracy = exact_match(reference.convert_date_strs(model, x), y)
    return wall, cpu, accuracy, short_accuracy


def main() -> int:
    args = seed_arguments(__doc__.splitlines()[0]).parse_args()
    return run_seeds(
        run_seed,
        [
            train_time_column(TRAIN_BUDGET_S),
            Column("train CPU s", f"budget {TRAIN_BUDGET_S} s on 2 cores"),
            threshold_column("accuracy", ACCURACY_THRESHOLD),
            threshold_column("short", SHORT_ACCURACY_THRESHOLD),
        ],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
