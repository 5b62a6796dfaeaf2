"""Calibrate the char model's bar: train the reference as the tests do, over many seeds
(each its own Markov source), and report its excess cross-entropy over the entropy rate.

    python tests/exercises/text_generation/calibrate.py --seeds 20

One line per seed, then min/mean/max against the bar of
tests/exercises/text_generation/hidden/test_hidden.py, and the same for a model that
sees only the current character (the best order-1 model, computed exactly), which must
fail. Exits 1 if any seed misses the bar or trains longer than a third of the budget.
Runs in-process (the reference is trusted code); threads pinned to 2 like a worker.
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
import text_generation as reference  # noqa: E402
from calibration_runs import Column, run_seeds, seed_arguments, train_time_column  # noqa: E402

from exercises.text_generation.conftest import (  # noqa: E402
    N_TRAIN_CHARS,
    TRAIN_BUDGET_S,
    VOCAB,
    as_text,
    cross_entropy,
    markov_source,
)
from exercises.text_generation.hidden.test_hidden import (  # noqa: E402
    EXCESS_BAR,
    N_SCORED_WINDOWS,
    SCORED_WINDOW,
)


def run_seed(seed: int) -> tuple[float, float, float, float]:
    """(training wall s, training CPU s, the model's excess, the order-1 model's excess)."""
    keras.utils.set_random_seed(seed)
    source = markov_source(np.random.default_rng(seed + 21))  # as the fixtures
    text = as_text(source.text(N_TRAIN_CHARS, np.random.default_rng(seed + 22)))
    wall, cpu = time.perf_counter(), time.process_time()
    model = reference.train_char_model(text, VOCAB)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    windows = source.text(N_SCORED_WINDOWS * SCORED_WINDOW, np.random.default_rng(seed + 10_000))
    windows = windows.reshape(N_SCORED_WINDOWS, SCORED_WINDOW)
    excess = cross_entropy(model.predict(windows, verbose=0), windows) - source.entropy_rate
    return wall, cpu, excess, source.order1_entropy - source.entropy_rate


def main() -> int:
    args = seed_arguments(__doc__.splitlines()[0]).parse_args()
    return run_seeds(
        run_seed,
        [
            train_time_column(TRAIN_BUDGET_S),
            Column("train CPU s", f"budget {TRAIN_BUDGET_S} s on 2 cores"),
            Column("excess nats", f"bar {EXCESS_BAR}", lambda e: e > EXCESS_BAR),
            Column(
                "order-1 excess", f"must exceed the bar {EXCESS_BAR}", lambda e: e <= EXCESS_BAR
            ),
        ],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
