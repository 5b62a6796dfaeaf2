"""Calibrate the Reber classifier thresholds: train the reference as the hidden test does,
over many seeds, and report accuracy on fresh strings and on long-range pairs.

    python tests/exercises/reber/calibrate.py --seeds 20

One line per seed, then min/mean/max against the thresholds of
tests/exercises/reber/hidden/test_hidden.py. Exits 1 if any seed falls below a threshold
or trains longer than a third of the budget (the bar for a reference). Runs in-process
(the reference is trusted code); threads pinned to 2 like a worker.
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
import reber  # noqa: E402
from calibration_runs import run_seeds, seed_arguments, threshold_column, train_time_column  # noqa: E402

from exercises.reber.hidden import support  # noqa: E402
from exercises.reber.hidden.test_hidden import ACCURACY_THRESHOLD, PAIRS_THRESHOLD, TRAIN_BUDGET_S  # noqa: E402


def run_seed(seed: int) -> tuple[float, float, float]:
    """(training seconds, accuracy on 2000 fresh strings, accuracy on 50 long pairs)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed + 7)  # as the hidden test's `trained` fixture
    train, y_train = support.labelled_set(10_000, rng)
    valid, y_valid = support.labelled_set(2_000, rng)
    started = time.perf_counter()
    model = reber.train_classifier(
        support.ids(train), y_train[:, None], support.ids(valid), y_valid[:, None]
    )
    seconds = time.perf_counter() - started
    fresh = np.random.default_rng(seed + 10_000)
    strings, y = support.labelled_set(2_000, fresh)
    probs = model.predict(support.ids(strings), verbose=0)[:, 0]
    accuracy = float(((probs > 0.5) == (y > 0.5)).mean())
    pairs = support.long_range_pairs(fresh, 50)
    probs = model.predict(support.ids([s for p in pairs for s in p]), verbose=0)[:, 0]
    pairs_accuracy = float(((probs > 0.5) == np.tile([True, False], 50)).mean())
    return seconds, accuracy, pairs_accuracy


def main() -> int:
    args = seed_arguments(__doc__.splitlines()[0]).parse_args()
    return run_seeds(
        run_seed,
        [
            train_time_column(TRAIN_BUDGET_S),
            threshold_column("accuracy", ACCURACY_THRESHOLD),
            threshold_column("pairs", PAIRS_THRESHOLD),
        ],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
