"""Exercise: batches for a stateful char-RNN, and the stateful model that reads them.

A stateful RNN keeps its hidden state from one batch to the next, so it can carry
context further back than one window. For that to make sense, row ``i`` of every batch
must continue the text exactly where row ``i`` of the previous batch stopped. The book
calls building such a dataset "not easy to do and requires a lot of code": here it is.

The dataset, step by step (``L = len(encoded) // batch_size``):
- cut ``encoded`` into ``batch_size`` contiguous, non-overlapping parts in text order,
  for instance of equal length ``L``: part ``i`` is ``encoded[i * L : (i + 1) * L]`` and
  the remainder at the end of the text (fewer than ``batch_size`` tokens) is dropped
  (``np.array_split``, as in the book, is fine too: some parts are then one token
  longer, and the batches stop with the shortest part);
- read each part as consecutive windows of ``n_steps + 1`` tokens with shift ``n_steps``
  (window ``k`` of a part starts at ``k * n_steps``), dropping a last window that would
  be shorter; each window gives ``X = window[:-1]`` and ``Y = window[1:]``;
- batch ``k`` stacks window ``k`` of every part: row ``i`` comes from part ``i``;
- so there are ``(L - 1) // n_steps`` batches, each one full: ``(batch_size, n_steps)``.

Example: ``encoded = 0, 1, ..., 19``, ``batch_size=2``, ``n_steps=3`` gives 3 batches;
the first is ``X = [[0, 1, 2], [10, 11, 12]]``, ``Y = [[1, 2, 3], [11, 12, 13]]``, the
second ``X = [[3, 4, 5], [13, 14, 15]]``...

Keras 3 pitfalls (the book's code was written for Keras 2):
- ``keras.preprocessing.text.Tokenizer`` is gone: encode the characters yourself (or use
  ``keras.layers.TextVectorization(split="character")``, whose ids are shifted by 2);
- ``batch_input_shape=...`` on a layer is rejected: start the model with
  ``keras.Input(batch_shape=(batch_size, None), dtype="int32")``. A stateful RNN needs
  that fixed batch size, and then only accepts batches of exactly that size;
- models have no ``reset_states()`` (nor ``reset_state()``): reset each stateful
  recurrent layer with ``layer.reset_state()``;
- ``tf.data`` ``window``, ``flat_map`` and ``Dataset.zip`` work as in the book. A
  dataset built from a Python generator object can be read only once: one pass of the
  dataset is one epoch, so it must give the same batches every time it is read.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf  # noqa: F401  (you will need it)


def encode_text(text: str) -> tuple[np.ndarray, str]:
    """Char-level encoding of ``text.lower()``: ``(ids, vocab)``.

    ``vocab`` is the sorted string of the distinct characters of ``text.lower()``;
    ``ids`` an int32 array of ``len(text)`` with ``vocab[ids[i]] == text.lower()[i]``.
    """
    raise NotImplementedError("encode_text")


def decode_ids(ids, vocab: str) -> str:
    """The text of a sequence of ids (a list or an array): the inverse of ``encode_text``."""
    raise NotImplementedError("decode_ids")


def stateful_dataset(encoded: np.ndarray, batch_size: int, n_steps: int) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(X, Y)`` int32 pairs, both ``(batch_size, n_steps)``,
    laid out as described at the top of this file.

    Raises ``ValueError`` when ``batch_size < 1``, ``n_steps < 1``, or the text is too
    short to fill one batch.
    """
    raise NotImplementedError("stateful_dataset")


def build_stateful_model(batch_size: int, vocab_size: int, units: int = 128) -> keras.Model:
    """A char-RNN for batches of exactly ``batch_size`` rows.

    Input: int ids ``(batch_size, T)`` for any ``T``. Output: ``(batch_size, T,
    vocab_size)`` next-character probabilities (each row sums to 1). At least one
    recurrent layer with ``stateful=True`` (``units`` units): its state carries over from
    one call (or batch) to the next until it is reset. No need to compile it.
    """
    raise NotImplementedError("build_stateful_model")


def reset_states(model: keras.Model) -> None:
    """Reset every stateful recurrent layer of ``model``."""
    raise NotImplementedError("reset_states")


class ResetStatesCallback(keras.callbacks.Callback):
    """Calls ``reset_states`` on the model being trained at the beginning of every epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        raise NotImplementedError("ResetStatesCallback")
