"""Reference solution: sampling rules (temperature, top-k, nucleus) and a char-RNN.

Every filter works on a float64 copy, sorts by probability with a stable sort (so ties
keep the lower id first), and renormalizes what it keeps. The char model is a GRU
trained on short windows: a character's fate rarely depends on more than a few before
it, and short windows make many cheap steps.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# The char model.
EMBEDDING_SIZE = 16  # a small vocabulary needs few dimensions per character
UNITS = 128  # the GRU's state
WINDOW = 32  # characters per training window; the model itself takes any length
BATCH_SIZE = 128
EPOCHS = 4  # 500,000 characters four times: 0.02-0.03 nats above the floor (6 reach 0.01-0.025)
LEARNING_RATE = 5e-3  # cosine-decayed to 2% of itself


def reweight(probabilities, temperature: float) -> np.ndarray:
    """``softmax(log(p) / temperature)``; zero stays zero (``log 0 = -inf``)."""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    p = np.asarray(probabilities, np.float64)
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    weights = np.exp(logits - logits.max())  # the largest weight is 1: no overflow
    return weights / weights.sum()


def _by_probability(p: np.ndarray) -> np.ndarray:
    """Ids from most to least likely; ties keep the lower id first (a stable sort)."""
    return np.argsort(-p, kind="stable")


def _keep(p: np.ndarray, ids: np.ndarray) -> np.ndarray:
    kept = np.zeros_like(p)
    kept[ids] = p[ids]
    return kept / kept.sum()


def top_k_filter(probabilities, k: int) -> np.ndarray:
    """The ``k`` most likely ids, renormalized; the others at zero."""
    if not k >= 1:
        raise ValueError(f"k must be >= 1, got {k}")
    p = np.asarray(probabilities, np.float64)
    return _keep(p, _by_probability(p)[:k])


def top_p_filter(probabilities, p: float) -> np.ndarray:
    """The smallest set of most likely ids whose total is at least ``p``, renormalized."""
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    probs = np.asarray(probabilities, np.float64)
    if p == 1:  # every nonzero id, even if rounding brought the sum to 1 early
        return _keep(probs, np.flatnonzero(probs))
    order = _by_probability(probs)
    # The first id whose cumulative sum reaches p is the one crossing it: kept.
    n_kept = int(np.searchsorted(np.cumsum(probs[order]), p)) + 1
    return _keep(probs, order[:n_kept])


def sample_next(
    probabilities,
    rng,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> int:
    """One id drawn with ``rng`` after reweighting, then top-k, then top-p filtering."""
    p = reweight(probabilities, temperature)
    if top_k is not None:
        p = top_k_filter(p, top_k)
    if top_p is not None:
        p = top_p_filter(p, top_p)
    return int(rng.choice(len(p), p=p))


def extend_text(
    next_probs,
    prompt_ids: list[int],
    n: int,
    rng,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> list[int]:
    """``prompt_ids`` and ``n`` new ids, each drawn from ``next_probs`` of the whole text."""
    ids = [int(i) for i in prompt_ids]
    for _ in range(n):
        probabilities = next_probs(np.array([ids], np.int32))
        ids.append(sample_next(probabilities, rng, temperature, top_k, top_p))
    return ids


def train_char_model(text: str, vocab: str) -> keras.Model:
    """A GRU over embedded ids, trained to predict each next character of ``text``."""
    index = {c: i for i, c in enumerate(vocab)}
    ids = np.array([index[c] for c in text], np.int32)
    n_windows = (len(ids) - 1) // WINDOW
    inputs = ids[: n_windows * WINDOW].reshape(n_windows, WINDOW)
    targets = ids[1 : n_windows * WINDOW + 1].reshape(n_windows, WINDOW)
    train_set = (
        tf.data.Dataset.from_tensor_slices((inputs, targets))
        .shuffle(n_windows)
        .batch(BATCH_SIZE)
        .prefetch(2)
    )
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(len(vocab), EMBEDDING_SIZE),
            keras.layers.GRU(UNITS, return_sequences=True),
            keras.layers.Dense(len(vocab), activation="softmax"),
        ]
    )
    steps = EPOCHS * len(train_set)
    learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=len(train_set),
    )
    model.fit(train_set, epochs=EPOCHS, verbose=0)
    return model
