"""A correct alternative: float32 filters written with sorting by (-p, id) keys, a
sampler that inverts the cumulative distribution with ``rng.random``, ``extend_text``
through a NumPy buffer, and an LSTM over one-hot characters trained on overlapping
windows with ``model.fit`` on arrays."""

from __future__ import annotations

import keras
import numpy as np


def reweight(probabilities, temperature: float) -> np.ndarray:
    if temperature <= 0 or not np.isfinite(temperature):
        raise ValueError("temperature must be positive")
    p = np.asarray(probabilities, np.float32)
    powered = np.zeros_like(p)
    nonzero = p > 0
    # p ** (1/T) relative to the largest: stays in range for T as low as 0.05
    powered[nonzero] = np.exp((np.log(p[nonzero]) - np.log(p.max())) / temperature)
    return powered / powered.sum()


def _rank(p: np.ndarray) -> np.ndarray:
    return np.lexsort((np.arange(len(p)), -p))


def top_k_filter(probabilities, k: int) -> np.ndarray:
    if k < 1:
        raise ValueError("k must be at least 1")
    p = np.asarray(probabilities, np.float32)
    mask = np.zeros(len(p), bool)
    mask[_rank(p)[:k]] = True
    out = np.where(mask, p, 0)
    return out / out.sum()


def top_p_filter(probabilities, p: float) -> np.ndarray:
    if not (0 < p <= 1):
        raise ValueError("p must be in (0, 1]")
    probs = np.asarray(probabilities, np.float64)
    order = _rank(probs)
    mask = np.zeros(len(probs), bool)
    total = 0.0
    for i in order:
        if probs[i] == 0 or (p < 1 and total >= p):
            break
        mask[i] = True
        total += probs[i]
    out = np.where(mask, probs, 0)
    return out / out.sum()


def sample_next(probabilities, rng, temperature=1.0, top_k=None, top_p=None) -> int:
    p = reweight(probabilities, temperature)
    if top_k:
        p = top_k_filter(p, top_k)
    if top_p:
        p = top_p_filter(p, top_p)
    cumulative = np.cumsum(np.asarray(p, np.float64))
    return int(min(np.searchsorted(cumulative, rng.random() * cumulative[-1], "right"), len(p) - 1))


def extend_text(next_probs, prompt_ids, n, rng, temperature=1.0, top_k=None, top_p=None):
    buffer = np.zeros((1, len(prompt_ids) + n), np.int32)
    buffer[0, : len(prompt_ids)] = prompt_ids
    for t in range(len(prompt_ids), len(prompt_ids) + n):
        probabilities = next_probs(buffer[:, :t])
        buffer[0, t] = sample_next(probabilities, rng, temperature, top_k, top_p)
    return buffer[0].tolist()


def train_char_model(text: str, vocab: str) -> keras.Model:
    ids = np.array([vocab.index(c) for c in text], np.int32)
    length, stride = 24, 16
    starts = np.arange(0, len(ids) - length - 1, stride)
    x = np.stack([ids[s : s + length] for s in starts])
    y = np.stack([ids[s + 1 : s + length + 1] for s in starts])
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Lambda(
                lambda t: keras.ops.one_hot(t, len(vocab)), output_shape=(None, len(vocab))
            ),
            keras.layers.LSTM(96, return_sequences=True),
            keras.layers.Dense(len(vocab), activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(4e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=128, epochs=4, verbose=0)
    return model
