"""Calibrate the date converter's thresholds: train the reference as the hidden test does,
over many seeds, and report exact-match accuracy on fresh dates and on short dates.

    python tests/exercises/date_seq2seq/calibrate.py --seeds 20

One line per seed, then min/mean/max against the thresholds of
tests/exercises/date_seq2seq/hidden/test_hidden.py. Exits 1 if any seed falls below a
threshold or exceeds the training budget in CPU seconds. Runs in-process (the
reference is trusted code); threads pinned to 2 like a worker.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "solutions")]

import date_seq2seq as reference  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from exercises.date_seq2seq.conftest import (  # noqa: E402
    N_TRAIN,
    N_VALID,
    TRAIN_BUDGET_S,
    some_dates,
)
from exercises.date_seq2seq.hidden import support  # noqa: E402
from exercises.date_seq2seq.hidden.test_hidden import (  # noqa: E402
    ACCURACY_THRESHOLD,
    N_SHORT,
    SHORT_ACCURACY_THRESHOLD,
)


def run_seed(seed: int) -> tuple[float, float, float, float]:
    """(training wall s, training CPU s, accuracy on 2000 fresh dates, on the short ones)."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed + 11)  # as the `trained_date_model` fixture
    x_train, y_train = some_dates(N_TRAIN, rng)
    x_valid, y_valid = some_dates(N_VALID, rng)
    wall, cpu = time.perf_counter(), time.process_time()
    model = reference.train_date_model(x_train, y_train, x_valid, y_valid)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    fresh = np.random.default_rng(seed + 10_000)
    x, y = support.random_dates(2_000, fresh)
    accuracy = support.exact_match(reference.convert_date_strs(model, x), y)
    x, y = support.short_dates(N_SHORT, fresh)
    x, y = ["May 02, 2020", "July 04, 1000", *x], ["2020-05-02", "1000-07-04", *y]
    short_accuracy = support.exact_match(reference.convert_date_strs(model, x), y)
    return wall, cpu, accuracy, short_accuracy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for seed in range(args.start, args.start + args.seeds):
        rows.append(run_seed(seed))
        wall, cpu, accuracy, short = rows[-1]
        print(
            f"seed {seed:3d}  train {wall:6.1f} s wall {cpu:6.1f} s CPU  accuracy {accuracy:.4f}"
            f"  short {short:.4f}  load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    wall, cpu, accuracy, short = (np.array(column) for column in zip(*rows, strict=True))
    for name, values, limit in [
        ("train wall s", wall, f"budget {TRAIN_BUDGET_S}"),
        ("train CPU s ", cpu, f"budget {TRAIN_BUDGET_S} s on 2 cores"),
        ("accuracy    ", accuracy, f"threshold {ACCURACY_THRESHOLD}"),
        ("short       ", short, f"threshold {SHORT_ACCURACY_THRESHOLD}"),
    ]:
        print(
            f"{name}  min {values.min():.4f}  mean {values.mean():.4f}  max {values.max():.4f}"
            f"  {limit}"
        )
    failed = int(
        (accuracy < ACCURACY_THRESHOLD).sum()
        + (short < SHORT_ACCURACY_THRESHOLD).sum()
        + (cpu > 2 * TRAIN_BUDGET_S).sum()
    )
    print("no failure" if not failed else f"{failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
