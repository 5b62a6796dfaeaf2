"""Calibrate the loss bound of the stateful char-RNN's training test: train the reference
as the hidden test does, over many seeds, and report the loss before and after training.

    python tests/exercises/stateful_dataset/calibrate.py --seeds 20
    python tests/exercises/stateful_dataset/calibrate.py --seeds 5 --variant book

Runs the grader's own worker-side helper in-process (the reference is trusted code);
threads pinned to 2 like a worker. Exits 1 if, for a variant that should pass, any seed
ends at or above the bound or starts below it. ``--variant`` trains other models a
student may plausibly write (all should pass) or models without state across batches
(should fail).
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "solutions")]

import keras  # noqa: E402
import numpy as np  # noqa: E402
import stateful_dataset as reference  # noqa: E402

from exercises.stateful_dataset.hidden import support  # noqa: E402
from exercises.stateful_dataset.hidden.test_hidden import (  # noqa: E402
    LOSS_BOUND,
    TRAIN_BATCH,
    TRAIN_BATCHES,
    TRAIN_EPOCHS,
    TRAIN_LEARNING_RATE,
    TRAIN_STEPS,
    TRAIN_UNITS,
)
from grader.worker.helpers.stateful_dataset import train_and_predict  # noqa: E402


def _sequential(batch_size: int, *layers) -> keras.Model:
    return keras.Sequential([keras.Input(batch_shape=(batch_size, None), dtype="int32"), *layers])


def book_model(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    """The book's ed. 2 architecture in Keras 3: two stateful GRUs with dropout 0.2."""
    return _sequential(
        batch_size,
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.GRU(units, return_sequences=True, stateful=True, dropout=0.2),
        keras.layers.GRU(units, return_sequences=True, stateful=True, dropout=0.2),
        keras.layers.Dense(vocab_size, activation="softmax"),
    )


def lstm_model(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    return _sequential(
        batch_size,
        keras.layers.Embedding(vocab_size, 8),
        keras.layers.LSTM(units, return_sequences=True, stateful=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    )


def one_hot_simple_rnn(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    return _sequential(
        batch_size,
        keras.layers.Lambda(lambda x: keras.ops.one_hot(x, vocab_size)),
        keras.layers.SimpleRNN(units, return_sequences=True, stateful=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    )


def stateless_gru(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    """Should fail: the reference without stateful=True, blind across batches."""
    return _sequential(
        batch_size,
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.GRU(units, return_sequences=True),
        keras.layers.Dense(vocab_size, activation="softmax"),
    )


def no_context_model(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    """Should fail: predicts from the current character only."""
    return _sequential(
        batch_size,
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(vocab_size, activation="softmax"),
    )


VARIANTS = {
    "reference": (reference.build_stateful_model, True),
    "book": (book_model, True),
    "lstm": (lstm_model, True),
    "simple_rnn": (one_hot_simple_rnn, True),
    "stateless": (stateless_gru, False),
    "no_context": (no_context_model, False),
}


def run_seed(seed: int, build) -> tuple[float, float, float]:
    """(seconds, loss before, loss after) on the hidden test's task for this seed."""
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    vocab_size = int(rng.integers(5, 9))  # as test_short_training_lowers_the_loss
    encoded = support.periodic_ids(rng, vocab_size, TRAIN_BATCH * (TRAIN_STEPS * TRAIN_BATCHES + 1))
    X, Y = support.expected_batches(encoded, TRAIN_BATCH, TRAIN_STEPS)
    started = time.perf_counter()
    result = train_and_predict(
        build,
        reference.ResetStatesCallback,
        vocab_size,
        X,
        Y,
        TRAIN_EPOCHS,
        TRAIN_UNITS,
        TRAIN_LEARNING_RATE,
    )
    seconds = time.perf_counter() - started
    return (
        seconds,
        support.cross_entropy(result["before"], Y),
        support.cross_entropy(result["after"], Y),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="reference")
    args = parser.parse_args()
    build, should_pass = VARIANTS[args.variant]
    rows = []
    for seed in range(args.start, args.start + args.seeds):
        rows.append(run_seed(seed, build))
        print(
            f"seed {seed:3d}  fit {rows[-1][0]:5.1f} s  loss before {rows[-1][1]:.3f}  "
            f"after {rows[-1][2]:.4f}",
            flush=True,
        )
    seconds, before, after = (np.array(column) for column in zip(*rows, strict=True))
    print(f"variant {args.variant}, {len(rows)} seeds; bound {LOSS_BOUND}")
    print(
        f"fit seconds   min {seconds.min():.1f}  mean {seconds.mean():.1f}  max {seconds.max():.1f}"
    )
    print(f"loss before   min {before.min():.3f}  mean {before.mean():.3f}  max {before.max():.3f}")
    print(f"loss after    min {after.min():.4f}  mean {after.mean():.4f}  max {after.max():.4f}")
    passed = (after < LOSS_BOUND) & (before >= LOSS_BOUND)
    print(f"{passed.sum()} of {len(rows)} seeds pass (should {'pass' if should_pass else 'fail'})")
    return 0 if passed.all() == should_pass and (should_pass or not passed.any()) else 1


if __name__ == "__main__":
    sys.exit(main())
