"""Calibrate the Reber classifier thresholds: train the reference as the hidden test does,
over many seeds, and report accuracy on fresh strings and on long-range pairs.

    python tests/exercises/reber/calibrate.py --seeds 20

Exits 1 if any seed falls below a threshold of tests/exercises/reber/hidden/test_hidden.py.
Runs in-process (the reference is trusted code); threads pinned to 2 like a worker.
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

import keras  # noqa: E402
import numpy as np  # noqa: E402
import reber  # noqa: E402

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for seed in range(args.start, args.start + args.seeds):
        rows.append(run_seed(seed))
        print(
            f"seed {seed:3d}  train {rows[-1][0]:6.1f} s  accuracy {rows[-1][1]:.4f}  "
            f"long-range pairs {rows[-1][2]:.2f}",
            flush=True,
        )
    seconds, accuracy, pairs = (np.array(column) for column in zip(*rows, strict=True))
    print(
        f"train seconds  min {seconds.min():.1f}  mean {seconds.mean():.1f}  "
        f"max {seconds.max():.1f}  (budget {TRAIN_BUDGET_S})"
    )
    print(
        f"accuracy       min {accuracy.min():.4f}  mean {accuracy.mean():.4f}  "
        f"threshold {ACCURACY_THRESHOLD}"
    )
    print(
        f"pairs accuracy min {pairs.min():.2f}  mean {pairs.mean():.2f}  "
        f"threshold {PAIRS_THRESHOLD}"
    )
    failed = (accuracy < ACCURACY_THRESHOLD).sum() + (pairs < PAIRS_THRESHOLD).sum()
    print("no failure" if not failed else f"{failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
