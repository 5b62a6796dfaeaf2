"""Transformer dates: the reference's training time against a straightforward Keras
Transformer with the chapter's layer sizes.

    python bench/transformer_dates.py [--seed S]

Both train on the same 10,000 dates (validation: 2,000) in this process, with 2
TensorFlow threads like a worker. The reference runs ``train_date_transformer`` whole
and is scored on 2,000 fresh dates (exact match). The baseline is the chapter's
Transformer as a student would first write it (N = 2 encoder and decoder blocks,
8 heads with ``key_dim = embed_size = 128``, feed-forward 128 units, dropout 0.1, the
same sinusoidal positional encoding and masks, Nadam, batch 32): it is timed epoch by
epoch until its exact match on the same fresh dates first reaches the hidden test's
0.99 (the checks are not timed), for at most ``BASELINE_MAX_EPOCHS`` epochs. The figure
is the ratio of the two training times (target <= 1/3). The load average is printed: a
shared machine inflates both sides alike.
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
import transformer_dates as reference  # noqa: E402
from exercises.transformer_dates.conftest import (  # noqa: E402
    N_TRAIN,
    N_VALID,
    exact_match,
    random_dates,
)
from exercises.transformer_dates.hidden.test_hidden import ACCURACY_THRESHOLD  # noqa: E402

BASELINE_MAX_EPOCHS = 15
# The chapter's Transformer sizes.
EMBED_SIZE = 128  # every token's vector
N_BLOCKS = 2  # encoder blocks and decoder blocks ("N = 2 instead of 6")
NUM_HEADS = 8  # each with key_dim = EMBED_SIZE, as the chapter writes it
FEED_FORWARD_UNITS = 128
DROPOUT = 0.1


def baseline_model() -> keras.Model:
    """The chapter's encoder-decoder Transformer, functional API, the reference's masks."""
    encoder_ids = keras.Input((None,), dtype="int32")
    decoder_ids = keras.Input((None,), dtype="int32")
    keys_allowed = keras.ops.expand_dims(keras.ops.not_equal(encoder_ids, 0), axis=1)

    def attention(query, value, **masks):
        layer = keras.layers.MultiHeadAttention(NUM_HEADS, EMBED_SIZE, dropout=DROPOUT)
        return layer(query, value, **masks)

    def add_norm(x, update):
        return keras.layers.LayerNormalization()(keras.layers.Add()([x, update]))

    def feed_forward(x):
        x = keras.layers.Dense(FEED_FORWARD_UNITS, activation="relu")(x)
        return keras.layers.Dropout(DROPOUT)(keras.layers.Dense(EMBED_SIZE)(x))

    x = reference.PositionalEmbedding(len(reference.INPUT_CHARS) + 1, 18, EMBED_SIZE)(encoder_ids)
    for _ in range(N_BLOCKS):
        x = add_norm(x, attention(x, x, attention_mask=keys_allowed))
        x = add_norm(x, feed_forward(x))
    y = reference.PositionalEmbedding(reference.SOS_ID + 1, 10, EMBED_SIZE)(decoder_ids)
    for _ in range(N_BLOCKS):
        y = add_norm(y, attention(y, y, use_causal_mask=True))
        y = add_norm(y, attention(y, x, attention_mask=keys_allowed))
        y = add_norm(y, feed_forward(y))
    outputs = keras.layers.Dense(len(reference.OUTPUT_CHARS) + 1, activation="softmax")(y)
    model = keras.Model([encoder_ids, decoder_ids], outputs)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="nadam")
    return model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    x_train, y_train = random_dates(N_TRAIN, rng)
    x_valid, y_valid = random_dates(N_VALID, rng)
    x_fresh, y_fresh = random_dates(2_000, rng)
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)

    keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()
    model = reference.train_date_transformer(x_train, y_train, x_valid, y_valid)
    reference_s = time.perf_counter() - start
    accuracy = exact_match(reference.convert_date_strs(model, x_fresh), y_fresh)
    print(f"reference: {reference_s:.1f} s, exact match {accuracy:.4f}", flush=True)

    keras.utils.set_random_seed(args.seed)
    baseline = baseline_model()
    encoder_ids = reference._ids(x_train, reference.INPUT_CHARS)
    targets = reference._ids(y_train, reference.OUTPUT_CHARS)
    sos = np.full((len(targets), 1), reference.SOS_ID, np.int32)
    decoder_ids = np.concatenate([sos, targets[:, :-1]], axis=1)
    baseline_s, reached = 0.0, None
    for epoch in range(1, BASELINE_MAX_EPOCHS + 1):
        start = time.perf_counter()
        baseline.fit([encoder_ids, decoder_ids], targets, batch_size=32, epochs=1, verbose=0)
        baseline_s += time.perf_counter() - start
        baseline_accuracy = exact_match(reference.convert_date_strs(baseline, x_fresh), y_fresh)
        print(
            f"baseline epoch {epoch}: {baseline_s:.1f} s, exact match {baseline_accuracy:.4f}",
            flush=True,
        )
        if baseline_accuracy >= ACCURACY_THRESHOLD:
            reached = epoch
            break
    verdict = f"after {reached} epochs" if reached else f"not within {BASELINE_MAX_EPOCHS} epochs"
    print(
        f"time to {ACCURACY_THRESHOLD}: reference {reference_s:.1f} s vs chapter-sized "
        f"Transformer {baseline_s:.1f} s ({verdict}): ratio {reference_s / baseline_s:.2f} "
        f"(target <= 1/3); load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
