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
from calibration_runs import Column, run_seeds, seed_arguments  # noqa: E402

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
    parser = seed_arguments(__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="reference")
    args = parser.parse_args()
    build, should_pass = VARIANTS[args.variant]
    print(f"variant {args.variant}: every seed should {'pass' if should_pass else 'fail'}")
    if should_pass:  # a seed fails by ending at the bound or above, or starting below it
        after = Column("loss after", f"bound {LOSS_BOUND}", lambda loss: loss >= LOSS_BOUND)
        before = Column("loss before", f"at least {LOSS_BOUND}", lambda loss: loss < LOSS_BOUND)
    else:  # a model that should fail "fails" the calibration by learning the task
        after = Column("loss after", f"should stay >= {LOSS_BOUND}", lambda loss: loss < LOSS_BOUND)
        before = Column("loss before", "untrained")
    return run_seeds(
        lambda seed: run_seed(seed, build),
        [Column("fit s", "stops on work done (6 epochs)"), before, after],
        args,
    )


if __name__ == "__main__":
    sys.exit(main())
