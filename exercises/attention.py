"""Exercise: masked multi-head attention from scratch.

Write attention from basic TensorFlow (or ``keras.ops``) operations and prove it equal
to ``keras.layers.MultiHeadAttention``, weight for weight and mask for mask. The tests
compare your results with Keras's own layer on many shapes, masks and heads.

Keras 3 facts you need:

- A mask is boolean and **True where a query may attend a key** (Keras's convention;
  not "1 = padding"). Masked keys get weight exactly 0.
- ``keras.layers.MultiHeadAttention(num_heads, key_dim, value_dim).get_weights()`` is
  ``[Wq (Dq, h, dk), bq (h, dk), Wk (Dk, h, dk), bk (h, dk), Wv (Dv, h, dv), bv (h, dv),
  Wo (h, dv, Dq), bo (Dq,)]``; scores come back as ``(B, h, T, S)``.
- Scale the scores by ``1 / sqrt(dk)``, the width of one head, not of the model.
- Inputs may be NumPy arrays or tensors, float32 or float64: return float32 tensors.
- Banned (checked on your code): ``keras.layers.MultiHeadAttention``, ``Attention``,
  ``AdditiveAttention``, ``GroupQueryAttention``, ``keras.ops.dot_product_attention``
  and anything else of Keras or TensorFlow whose name contains "attention". A banned
  use costs every point of the function it is in.
- Your functions must be differentiable in their float inputs (no NumPy inside).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf  # noqa: F401  (you will need it)


def scaled_dot_product_attention(query, key, value, mask=None):
    """Return ``(output, weights)``.

    ``query (..., T, d)``, ``key (..., S, d)``, ``value (..., S, dv)``; ``mask`` bool,
    broadcastable to ``(..., T, S)``, or None. ``weights (..., T, S)`` is the softmax over
    the key axis of ``query @ keyᵀ / sqrt(d)`` with every masked-out key at exactly 0;
    ``output (..., T, dv)`` is ``weights @ value``. Rows with no allowed key are never
    examined.
    """
    raise NotImplementedError


def padding_mask(ids, pad_id: int = 0):
    """bool ``(batch, 1, S)`` from int ids ``(batch, S)``: True where ``ids != pad_id``."""
    raise NotImplementedError


def causal_mask(query_length: int, key_length: int | None = None):
    """bool ``(T, S)``, ``S`` defaulting to ``T``: True where key index ``j <= i``."""
    raise NotImplementedError


def multi_head_attention(
    query, value, key, weights, num_heads: int, attention_mask=None, use_causal_mask=False
):
    """Return ``(output (B, T, Dq), scores (B, h, T, S))``, as Keras's layer does.

    ``query (B, T, Dq)``, ``value (B, S, Dv)``, ``key (B, S, Dk)`` or None (then
    ``key = value``); ``weights`` as ``get_weights()`` returns them (see above);
    ``attention_mask`` bool, broadcastable to ``(B, T, S)`` (e.g. ``padding_mask``'s
    ``(B, 1, S)``), or None; with ``use_causal_mask`` the causal mask is combined with it
    (both must allow).
    """
    raise NotImplementedError


def positional_encoding(max_length: int, depth: int) -> np.ndarray:
    """float32 ``(max_length, depth)``, ``depth`` even: the chapter's sinusoidal encoding.

    ``PE[p, 2i] = sin(p / 10000 ** (2i / depth))``,
    ``PE[p, 2i + 1] = cos(p / 10000 ** (2i / depth))``.
    """
    raise NotImplementedError
