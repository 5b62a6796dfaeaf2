"""Reference solution: char-level encoding, batches for a stateful RNN, a stateful GRU."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


def encode_text(text: str) -> tuple[np.ndarray, str]:
    text = text.lower()
    vocab = "".join(sorted(set(text)))
    index = {char: i for i, char in enumerate(vocab)}
    return np.array([index[char] for char in text], dtype=np.int32), vocab


def decode_ids(ids, vocab: str) -> str:
    return "".join(vocab[i] for i in np.asarray(ids, dtype=np.int64).ravel())


def _windows(part: np.ndarray, n_steps: int) -> tf.data.Dataset:
    """Consecutive windows of ``n_steps + 1`` tokens, each starting where the last one's
    inputs stopped (shift ``n_steps``)."""
    dataset = tf.data.Dataset.from_tensor_slices(part)
    dataset = dataset.window(n_steps + 1, shift=n_steps, drop_remainder=True)
    return dataset.flat_map(lambda window: window.batch(n_steps + 1))


def stateful_dataset(encoded: np.ndarray, batch_size: int, n_steps: int) -> tf.data.Dataset:
    if batch_size < 1 or n_steps < 1:
        raise ValueError("batch_size and n_steps must be at least 1")
    encoded = np.asarray(encoded, dtype=np.int32)
    part_length = len(encoded) // batch_size
    if part_length < n_steps + 1:
        raise ValueError(
            f"a text of {len(encoded)} tokens is too short for one batch of "
            f"{batch_size} rows of {n_steps} steps"
        )
    parts = encoded[: batch_size * part_length].reshape(batch_size, part_length)
    dataset = tf.data.Dataset.zip(tuple(_windows(part, n_steps) for part in parts))
    dataset = dataset.map(lambda *windows: tf.stack(windows))
    return dataset.map(lambda windows: (windows[:, :-1], windows[:, 1:])).prefetch(1)


def build_stateful_model(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(batch_shape=(batch_size, None), dtype="int32"),
            keras.layers.Embedding(vocab_size, 16),
            keras.layers.GRU(units, return_sequences=True, stateful=True),
            keras.layers.Dense(vocab_size, activation="softmax"),
        ]
    )


def _layers(layer: keras.layers.Layer):
    """``layer`` and every layer nested in it (sub-models, wrappers such as Bidirectional)."""
    yield layer
    for inner in getattr(layer, "layers", None) or []:
        yield from _layers(inner)
    for attr in ("forward_layer", "backward_layer", "layer"):
        inner = getattr(layer, attr, None)
        if isinstance(inner, keras.layers.Layer):
            yield from _layers(inner)


def reset_states(model: keras.Model) -> None:
    for layer in _layers(model):
        if isinstance(layer, keras.layers.RNN) and layer.stateful:
            layer.reset_state()


class ResetStatesCallback(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        reset_states(self.model)
