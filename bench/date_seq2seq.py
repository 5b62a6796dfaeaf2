"""Date converter: the reference's training time and accuracy against the book's model.

    python bench/date_seq2seq.py [--seed S]

Both train on the same 10,000 dates (validation: 2,000) in this process, with 2
TensorFlow threads like a worker. The reference runs ``train_date_model`` whole and is
scored with ``convert_date_strs`` on 2,000 fresh dates (exact match); then it trains
again, its own way, timed epoch by epoch until it reaches the threshold on those fresh
dates, exactly as the book's model is timed. The book's model
(the chapter's teacher-forcing LSTM encoder-decoder: Embedding(32), LSTM(128) whose
state starts an LSTM(128) decoder, softmax output, Nadam, batch 32) is timed until its
exact-match accuracy on the same fresh dates first reaches the hidden test's threshold,
checked after every epoch with a greedy decode (the checks are not timed), for at most
``BOOK_MAX_EPOCHS`` epochs (without the book's per-epoch validation, which would
only slow it down). The figure is the ratio of the two times to the threshold (target
<= 1/3), in wall and in CPU seconds. Conversion of the 2,000 fresh dates is timed too:
the reference's one decoder step per character for the whole batch against the book's
``predict_date_strs`` (one ``model.predict`` per output character). The load average
is printed: a shared machine inflates both sides alike.
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

import date_seq2seq as reference  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from exercises.date_seq2seq.conftest import N_TRAIN, N_VALID  # noqa: E402
from exercises.date_seq2seq.hidden import support  # noqa: E402
from exercises.date_seq2seq.hidden.test_hidden import ACCURACY_THRESHOLD  # noqa: E402

BOOK_MAX_EPOCHS = 20
INPUT_LENGTH, OUTPUT_LENGTH = 18, 10
SOS_ID = len(support.OUTPUT_CHARS) + 1


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def encoder_ids(date_strs: list[str]) -> np.ndarray:
    """The book's ``prepare_date_strs_padded``: ids + 1, padded to 18."""
    X = support.prepared(date_strs, support.INPUT_CHARS)
    return np.pad(X, [(0, 0), (0, INPUT_LENGTH - X.shape[1])])


def book_model() -> keras.Model:
    """The chapter's version 2 (teacher forcing), in the functional API."""
    encoder_input = keras.Input(shape=(None,), dtype="int32")
    decoder_input = keras.Input(shape=(None,), dtype="int32")
    encoder_embedding = keras.layers.Embedding(len(support.INPUT_CHARS) + 1, 32)(encoder_input)
    _, h, c = keras.layers.LSTM(128, return_state=True)(encoder_embedding)
    decoder_embedding = keras.layers.Embedding(len(support.OUTPUT_CHARS) + 2, 32)(decoder_input)
    outputs = keras.layers.LSTM(128, return_sequences=True)(decoder_embedding, initial_state=[h, c])
    probas = keras.layers.Dense(len(support.OUTPUT_CHARS) + 1, activation="softmax")(outputs)
    model = keras.Model([encoder_input, decoder_input], probas)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="nadam", metrics=["accuracy"])
    return model


def shifted(Y: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((len(Y), 1), SOS_ID, np.int32), Y[:, :-1]], axis=1)


def book_convert(model: keras.Model, date_strs: list[str], predict: bool) -> list[str]:
    """Greedy decoding, one output character per pass; ``predict`` as the book does."""
    X = encoder_ids(date_strs)
    Y = np.full((len(X), 1), SOS_ID, np.int32)
    for index in range(OUTPUT_LENGTH):
        X_decoder = np.pad(Y, [(0, 0), (0, OUTPUT_LENGTH - Y.shape[1])])
        if predict:
            probas = model.predict([X, X_decoder], verbose=0)
        else:
            probas = np.asarray(model([X, X_decoder], training=False))
        Y = np.concatenate([Y, probas[:, index].argmax(axis=-1)[:, None].astype(np.int32)], 1)
    return support.decoded(Y[:, 1:], support.OUTPUT_CHARS)


class TimeToThreshold(keras.callbacks.Callback):
    """Training wall and CPU seconds until exact match on fresh dates reaches the threshold."""

    def __init__(self, name: str, x: list[str], y: list[str], convert):
        super().__init__()
        self.name, self.x, self.y, self.convert = name, x, y, convert
        self.wall = self.cpu = 0.0
        self.epochs = 0
        self.accuracy = 0.0
        self.reached = False

    def on_epoch_begin(self, epoch, logs=None):
        self._started = clocks()

    def on_epoch_end(self, epoch, logs=None):
        wall, cpu = clocks()
        self.wall += wall - self._started[0]
        self.cpu += cpu - self._started[1]
        self.epochs = epoch + 1
        self.accuracy = support.exact_match(self.convert(self.model, self.x), self.y)
        print(
            f"  {self.name} epoch {self.epochs:2d}: {self.wall:6.1f} s, exact match "
            f"{self.accuracy:.4f}",
            flush=True,
        )
        if self.accuracy >= ACCURACY_THRESHOLD:
            self.reached = True
            self.model.stop_training = True

    def report(self) -> str:
        if not self.reached:
            return (
                f"{self.name}: never reached {ACCURACY_THRESHOLD} in {self.epochs} epochs "
                f"({self.wall:.1f} s wall, {self.cpu:.1f} s CPU, last {self.accuracy:.4f})"
            )
        return (
            f"{self.name}: {self.wall:6.1f} s wall, {self.cpu:6.1f} s CPU to reach the "
            f"threshold ({self.epochs} epochs)"
        )


def reference_to_threshold(timer: TimeToThreshold, *data: list[str]) -> None:
    """Train the reference its own way, its epochs timed by ``timer`` (which stops it at
    the threshold) through the one callback ``train_date_model`` installs."""
    own_stop = reference._StopWhenAccurate

    class TimedStop(own_stop):
        def on_epoch_begin(self, epoch, logs=None):
            timer.set_model(self.model)
            timer.on_epoch_begin(epoch, logs)

        def on_epoch_end(self, epoch, logs=None):
            timer.on_epoch_end(epoch, logs)
            if not timer.reached:
                super().on_epoch_end(epoch, logs)

    reference._StopWhenAccurate = TimedStop
    try:
        reference.train_date_model(*data)
    finally:
        reference._StopWhenAccurate = own_stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed + 11)  # as the hidden test's `trained` fixture
    x_train, y_train = support.random_dates(N_TRAIN, rng)
    x_valid, y_valid = support.random_dates(N_VALID, rng)
    x_fresh, y_fresh = support.random_dates(2_000, np.random.default_rng(args.seed + 10_000))
    print(f"load average {os.getloadavg()[0]:.1f}; threshold {ACCURACY_THRESHOLD}", flush=True)

    keras.utils.set_random_seed(args.seed)
    wall, cpu = clocks()
    model = reference.train_date_model(x_train, y_train, x_valid, y_valid)
    ref_wall, ref_cpu = (end - start for end, start in zip(clocks(), (wall, cpu), strict=True))
    wall = time.perf_counter()
    ref_accuracy = support.exact_match(reference.convert_date_strs(model, x_fresh), y_fresh)
    ref_convert = time.perf_counter() - wall
    print(
        f"reference: {ref_wall:6.1f} s wall, {ref_cpu:6.1f} s CPU (whole train_date_model); "
        f"exact match on 2000 fresh dates {ref_accuracy:.4f}; conversion {ref_convert:.2f} s",
        flush=True,
    )

    keras.utils.set_random_seed(args.seed)
    ref_timer = TimeToThreshold("reference", x_fresh, y_fresh, reference.convert_date_strs)
    reference_to_threshold(ref_timer, x_train, y_train, x_valid, y_valid)
    print(ref_timer.report(), flush=True)

    keras.utils.set_random_seed(args.seed)
    book = book_model()
    timer = TimeToThreshold(
        "book", x_fresh, y_fresh, lambda model, x: book_convert(model, x, predict=False)
    )
    Y_train = support.prepared(y_train, support.OUTPUT_CHARS)
    book.fit(
        (encoder_ids(x_train), shifted(Y_train)),
        Y_train,
        batch_size=32,
        epochs=BOOK_MAX_EPOCHS,
        verbose=0,
        callbacks=[timer],
    )
    wall = time.perf_counter()
    book_convert(book, x_fresh, predict=True)
    book_predict = time.perf_counter() - wall
    print(
        f"conversion of 2000 dates: reference {ref_convert:.2f} s, book's predict loop "
        f"{book_predict:.2f} s (ratio {ref_convert / book_predict:.2f})"
    )
    print(timer.report())
    if not (timer.reached and ref_timer.reached):
        print("ratio: undefined (a model never reached the threshold)")
        return 1
    print(
        f"ratio reference / book to the threshold = {ref_timer.wall / timer.wall:.2f} wall, "
        f"{ref_timer.cpu / timer.cpu:.2f} CPU (target <= 0.33); whole train_date_model / "
        f"book = {ref_wall / timer.wall:.2f} wall  load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
