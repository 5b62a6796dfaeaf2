"""Reber classifier: the reference's training time against the book's configuration.

    python bench/reber_vs_book.py [--seed S]

Both train on the same 10,000 strings (validation: 2,000) in this process, with 2
TensorFlow threads like a worker: the reference's model, batches and long-range twins
(``build_classifier``, ``trimmed_batches``, ``with_long_range_twins``), and the book's
model (Embedding(5), GRU(30), SGD Nesterov lr 0.02 momentum 0.95, batch 32). Each is
timed until its accuracy on 2,000 fresh strings first reaches the hidden test's
threshold, checked after every epoch (the checks are not timed; tracing is). The ratio
of the two is the figure: target <= 1/3. The whole ``train_classifier`` of the
reference (it goes on to 0.999 validation accuracy) is timed too. The load average is
printed: a shared machine inflates both sides alike.
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
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "solutions")]

import keras  # noqa: E402
import numpy as np  # noqa: E402
import reber  # noqa: E402
from exercises.reber.hidden import support  # noqa: E402
from exercises.reber.hidden.test_hidden import ACCURACY_THRESHOLD  # noqa: E402

BOOK_MAX_EPOCHS = 40


def accuracy(model: keras.Model, X: np.ndarray, y: np.ndarray) -> float:
    probs = model.predict(X, verbose=0, batch_size=1000)[:, 0]
    return float(((probs > 0.5) == (y > 0.5)).mean())


class TimeToThreshold(keras.callbacks.Callback):
    """Training seconds until accuracy on a fresh set reaches the threshold; stops there."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        super().__init__()
        self.X, self.y = X, y
        self.seconds = 0.0
        self.reached_at: float | None = None
        self.epochs = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self._started
        self.epochs = epoch + 1
        if accuracy(self.model, self.X, self.y) >= ACCURACY_THRESHOLD:
            self.reached_at = self.seconds
            self.model.stop_training = True


def report(name: str, timer: TimeToThreshold) -> None:
    if timer.reached_at is None:
        print(
            f"{name}: never reached the threshold in {timer.epochs} epochs ({timer.seconds:.1f} s)",
            flush=True,
        )
    else:
        print(
            f"{name}: {timer.reached_at:6.1f} s to reach the threshold ({timer.epochs} epochs)",
            flush=True,
        )


def book_model() -> keras.Model:
    """The chapter's model, with Keras 3's masking in place of ragged tensors."""
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(len(support.CHARS) + 1, 5, mask_zero=True),
            keras.layers.GRU(30),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    optimizer = keras.optimizers.SGD(learning_rate=0.02, momentum=0.95, nesterov=True)
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    train, y_train = support.labelled_set(10_000, rng)
    valid, y_valid = support.labelled_set(2_000, rng)
    fresh, y_fresh = support.labelled_set(2_000, rng)
    X_train, X_valid, X_fresh = support.ids(train), support.ids(valid), support.ids(fresh)
    print(f"load average {os.getloadavg()[0]:.1f}; threshold {ACCURACY_THRESHOLD}", flush=True)

    keras.utils.set_random_seed(args.seed)
    started = time.perf_counter()
    model = reber.train_classifier(X_train, y_train[:, None], X_valid, y_valid[:, None])
    whole_s = time.perf_counter() - started
    print(
        f"reference train_classifier: {whole_s:6.1f} s, fresh accuracy "
        f"{accuracy(model, X_fresh, y_fresh):.4f}",
        flush=True,
    )

    keras.utils.set_random_seed(args.seed)
    reference = TimeToThreshold(X_fresh, y_fresh)
    twinned = reber.with_long_range_twins(X_train, y_train[:, None], np.random.default_rng(0))
    train = reber.trimmed_batches(*twinned, reber.BATCH_SIZE, shuffle=True)
    valid = reber.trimmed_batches(X_valid, y_valid[:, None], 1000, shuffle=False)
    steps = -(-len(twinned[0]) // reber.BATCH_SIZE)
    reber.build_classifier(steps_per_epoch=steps).fit(
        train, epochs=reber.MAX_EPOCHS, verbose=0, validation_data=valid, callbacks=[reference]
    )
    report("reference", reference)

    keras.utils.set_random_seed(args.seed)
    timer = TimeToThreshold(X_fresh, y_fresh)
    book_model().fit(
        X_train,
        y_train,
        batch_size=32,
        epochs=BOOK_MAX_EPOCHS,
        verbose=0,
        validation_data=(X_valid, y_valid),
        callbacks=[timer],
    )
    report("book", timer)
    if reference.reached_at is None or timer.reached_at is None:
        print("ratio: undefined (a model never reached the threshold)")
        return 1
    ratio = reference.reached_at / timer.reached_at
    print(
        f"ratio reference / book = {ratio:.2f} (target <= 0.33)  load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
