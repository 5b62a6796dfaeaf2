"""Exercise: a Transformer that converts "April 22, 2019" to "2019-04-22".

The date task of the date exercise, solved with the chapter's last architecture:
token embeddings plus the sinusoidal positional encoding, an encoder block, a decoder
block, ``keras.layers.MultiHeadAttention`` for every attention, and no recurrent layer.

Ids (as ``prepare_date_strs`` gives them in the date exercise): ``encoder_ids`` hold
``INPUT_CHARS.index(c) + 1``, post-padded with 0; ``decoder_ids`` hold ``SOS_ID`` then
the target's ``OUTPUT_CHARS.index(c) + 1`` (teacher forcing). The model outputs, at
decoder position ``t``, the probabilities of target id ``t`` (``len(OUTPUT_CHARS) + 1``
of them; id 0 is padding, never a target).

What the tests check on your untrained model, whatever its weights:
- **causality**: the output at decoder position ``t`` depends only on
  ``decoder_ids[:, :t + 1]`` (a causal mask on the decoder's self-attention);
- **padding**: appending 0s to ``encoder_ids`` changes no output (mask the encoder's
  padding wherever its positions are attended: its self-attention and the
  cross-attention);
- **position**: swapping two input characters changes the outputs (attention alone is
  blind to order: add the positional encoding).

Keras 3 facts you need:
- ``keras.layers.MultiHeadAttention(num_heads, key_dim)(query, value,
  attention_mask=..., use_causal_mask=...)``; the mask is boolean, True where a query
  may attend a key, and ``(B, 1, S)`` broadcasts over the queries.
- In a functional model, build masks from the inputs with ``keras.ops``
  (``keras.ops.not_equal``, ``keras.ops.expand_dims``).
- ``Embedding(mask_zero=True)`` also masks attention by itself; explicit masks are
  clearer.
"""

from __future__ import annotations

import keras  # noqa: F401  (you will need it)
import numpy as np  # noqa: F401

# Provided. Do not modify.
INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"
SOS_ID = len(OUTPUT_CHARS) + 1  # the decoder's start id; ids 1..11 are characters


def build_transformer(max_input_length: int = 18, max_output_length: int = 10) -> keras.Model:
    """An untrained Transformer: ``[encoder_ids (B, S), decoder_ids (B, T)]`` (int32,
    ``S <= max_input_length``, ``T <= max_output_length``) to probabilities
    ``(B, T, len(OUTPUT_CHARS) + 1)``.

    At least one encoder block and one decoder block built with
    ``keras.layers.MultiHeadAttention``; no recurrent layer.
    """
    raise NotImplementedError


def train_date_transformer(
    x_train: list[str], y_train: list[str], x_valid: list[str], y_valid: list[str]
) -> keras.Model:
    """Build a model with ``build_transformer()`` and train it on these dates
    (``x`` like ``"September 20, 7075"``, ``y`` like ``"7075-09-20"``).

    Time budget: 180 s on 2 CPU cores (the tests give 10,000 training and 2,000
    validation dates).
    """
    raise NotImplementedError


def convert_date_strs(model, date_strs: list[str]) -> list[str]:
    """Greedy decoding: feed ``SOS_ID``, take the most likely id (``argmax`` over all
    of them), feed it back, 10 times; return the strings (``"?"`` for id 0).

    Works with any model from ``build_transformer``, trained or not, for any number of
    strings (one included) of up to 18 characters. With a trained model: at least 0.99
    exact match on fresh dates, short ones (``"May 02, 2020"``) included.
    """
    raise NotImplementedError
