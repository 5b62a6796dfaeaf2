"""Calibrate the sampled softmax model's accuracy threshold: build and fit the reference as
the hidden test does, over many seeds, and report its accuracy on fresh points.

    python tests/exercises/sampled_softmax/calibrate.py --seeds 20
    python tests/exercises/sampled_softmax/calibrate.py --seeds 5 \
        --submission <the predict_untrained_layer wrong fixture, materialised>

Also prints what a model that does not learn reaches (the most frequent test class).
Exits 1 if any seed falls below the threshold of hidden/test_hidden.py.
Runs in-process (the reference is trusted code); threads pinned to 2 like a worker.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from calibration_runs import Column, run_seeds, seed_arguments, threshold_column  # noqa: E402

from exercises.sampled_softmax.hidden import support  # noqa: E402
from exercises.sampled_softmax.hidden.test_hidden import ACCURACY_THRESHOLD  # noqa: E402


def run_seed(module, seed: int) -> tuple[float, float, float]:
    """(fit seconds, accuracy on fresh points, accuracy of the most frequent class)."""
    keras.utils.set_random_seed(seed)
    X, y, X_test, y_test = support.many_class_task(np.random.default_rng(seed))
    model = module.build_sampled_softmax_model(
        support.TASK_DIM, support.TASK_CLASSES, support.TASK_SAMPLED
    )
    started = time.perf_counter()
    model.fit(X, y, epochs=support.TASK_EPOCHS, batch_size=support.TASK_BATCH, verbose=0)
    seconds = time.perf_counter() - started
    accuracy = float((model.predict(X_test, verbose=0).argmax(axis=1) == y_test).mean())
    majority = float(np.bincount(y_test).max() / len(y_test))
    return seconds, accuracy, majority


def main() -> int:
    parser = seed_arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--submission",
        default=str(ROOT / "solutions"),
        help="folder holding sampled_softmax.py (default: the reference)",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.submission).resolve()))
    module = importlib.import_module("sampled_softmax")
    return run_seeds(
        lambda seed: run_seed(module, seed),
        [
            Column("fit s", "stops on work done"),
            threshold_column("accuracy", ACCURACY_THRESHOLD),
            Column("most frequent class", "what a model that does not learn reaches"),
        ],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
