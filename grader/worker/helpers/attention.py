"""Worker-side code of the attention exercise: Keras's own layer, and gradients.

``keras_multi_head_attention`` runs the real ``keras.layers.MultiHeadAttention`` (in the
reference worker: the tests' oracle); ``gradients`` differentiates a submitted attention
function with a tape (only the numbers cross back).
"""

from __future__ import annotations

import numpy as np


def keras_multi_head_attention(
    query, value, key, weights, num_heads, key_dim, value_dim, attention_mask, use_causal_mask
):
    """(output, scores) of Keras's layer with these weights and masks, as arrays."""
    import keras

    layer = keras.layers.MultiHeadAttention(num_heads, key_dim=key_dim, value_dim=value_dim)
    layer(query, value, key=key)  # builds the weights for these shapes
    layer.set_weights([np.asarray(w, np.float32) for w in weights])
    output, scores = layer(
        query,
        value,
        key=key,
        attention_mask=attention_mask,
        use_causal_mask=use_causal_mask,
        return_attention_scores=True,
    )
    return np.asarray(output), np.asarray(scores)


def gradients(function, query, key, value, mask, cotangent) -> list:
    """d sum(output * cotangent) / d (query, key, value) through ``function``, as float32
    arrays (None where the graph is cut)."""
    import tensorflow as tf

    inputs = [tf.constant(x, tf.float32) for x in (query, key, value)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        output, _ = function(*inputs, mask)
        loss = tf.reduce_sum(tf.cast(output, tf.float32) * cotangent)
    return [None if g is None else np.asarray(g) for g in tape.gradient(loss, inputs)]


def mha_gradients(function, query, value, weights, num_heads, attention_mask, cotangent) -> list:
    """d sum(output * cotangent) / d (query, value) through a ``multi_head_attention``
    (key = value), as float32 arrays (None where the graph is cut)."""
    import tensorflow as tf

    inputs = [tf.constant(x, tf.float32) for x in (query, value)]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        output, _ = function(inputs[0], inputs[1], None, weights, num_heads, attention_mask)
        loss = tf.reduce_sum(tf.cast(output, tf.float32) * cotangent)
    return [None if g is None else np.asarray(g) for g in tape.gradient(loss, inputs)]
