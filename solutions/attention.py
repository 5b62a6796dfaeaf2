"""Reference solution: masked multi-head attention from basic TensorFlow operations.

Shapes follow ``keras.layers.MultiHeadAttention``: heads live on their own axis after
the projections, so one batched matrix product serves every head at once.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def scaled_dot_product_attention(query, key, value, mask=None):
    """``softmax(query @ keyᵀ / sqrt(d))`` over the keys, masked keys at weight 0."""
    query, key, value = (tf.cast(x, tf.float32) for x in (query, key, value))
    depth = tf.cast(tf.shape(key)[-1], tf.float32)
    scores = tf.matmul(query, key, transpose_b=True) / tf.sqrt(depth)
    if mask is not None:
        # -inf, not a large negative number: a masked key's weight is exactly 0.
        scores = tf.where(tf.cast(mask, tf.bool), scores, -np.inf)
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.matmul(weights, value), weights


def padding_mask(ids, pad_id: int = 0):
    """True where a key is a real token; ``(batch, 1, S)`` broadcasts over the queries."""
    return tf.not_equal(tf.convert_to_tensor(ids), pad_id)[:, tf.newaxis, :]


def causal_mask(query_length: int, key_length: int | None = None):
    """True where key ``j <= i``, the query's own position (aligned top-left)."""
    key_length = query_length if key_length is None else key_length
    queries = tf.range(query_length)[:, tf.newaxis]
    keys = tf.range(key_length)[tf.newaxis, :]
    return keys <= queries


def multi_head_attention(
    query, value, key, weights, num_heads: int, attention_mask=None, use_causal_mask=False
):
    """What ``keras.layers.MultiHeadAttention`` computes with these ``get_weights()``."""
    query, value = tf.cast(query, tf.float32), tf.cast(value, tf.float32)
    key = value if key is None else tf.cast(key, tf.float32)
    wq, bq, wk, bk, wv, bv, wo, bo = (tf.cast(w, tf.float32) for w in weights)
    # (B, T, D) x (D, h, d) -> (B, h, T, d): every head's projection in one product.
    q = tf.einsum("btd,dhk->bhtk", query, wq) + bq[:, tf.newaxis, :]
    k = tf.einsum("bsd,dhk->bhsk", key, wk) + bk[:, tf.newaxis, :]
    v = tf.einsum("bsd,dhk->bhsk", value, wv) + bv[:, tf.newaxis, :]
    mask = None
    if attention_mask is not None:  # (B, T, S) or broadcastable: the same for every head
        mask = tf.expand_dims(tf.cast(attention_mask, tf.bool), axis=-3)
    if use_causal_mask:
        causal = causal_mask(tf.shape(query)[1], tf.shape(value)[1])
        mask = causal if mask is None else tf.logical_and(mask, causal)
    heads, scores = scaled_dot_product_attention(q, k, v, mask)
    output = tf.einsum("bhtv,hvd->btd", heads, wo) + bo
    return output, scores


def positional_encoding(max_length: int, depth: int) -> np.ndarray:
    """The chapter's sinusoidal encoding: sin on even dimensions, cos on odd ones."""
    positions = np.arange(max_length)[:, np.newaxis]
    frequencies = 1 / 10000 ** (np.arange(0, depth, 2) / depth)  # 2i / depth
    encoding = np.zeros((max_length, depth), dtype=np.float64)
    encoding[:, 0::2] = np.sin(positions * frequencies)
    encoding[:, 1::2] = np.cos(positions * frequencies)
    return encoding.astype(np.float32)
