"""A correct alternative in another style: keras.ops only, an additive -1e9 mask, heads
split by reshape + transpose (as many tutorials do)."""

import numpy as np
from keras import ops


def scaled_dot_product_attention(query, key, value, mask=None):
    query = ops.cast(query, "float32")
    key = ops.cast(key, "float32")
    value = ops.cast(value, "float32")
    d = ops.cast(ops.shape(key)[-1], "float32")
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) / ops.sqrt(d)
    if mask is not None:
        scores = scores + (1.0 - ops.cast(mask, "float32")) * -1e9
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


def padding_mask(ids, pad_id=0):
    return ops.expand_dims(ops.not_equal(ids, pad_id), 1)


def causal_mask(query_length, key_length=None):
    if key_length is None:
        key_length = query_length
    i = ops.expand_dims(ops.arange(query_length), 1)
    j = ops.expand_dims(ops.arange(key_length), 0)
    return ops.greater_equal(i, j)


def _split_heads(x, w, b):
    batch, length = ops.shape(x)[0], ops.shape(x)[1]
    heads, width = w.shape[1], w.shape[2]
    x = ops.matmul(x, ops.reshape(w, (w.shape[0], heads * width))) + ops.reshape(b, (-1,))
    x = ops.reshape(x, (batch, length, heads, width))
    return ops.transpose(x, (0, 2, 1, 3))


def multi_head_attention(
    query, value, key, weights, num_heads, attention_mask=None, use_causal_mask=False
):
    query = ops.cast(query, "float32")
    value = ops.cast(value, "float32")
    key = value if key is None else ops.cast(key, "float32")
    wq, bq, wk, bk, wv, bv, wo, bo = [ops.convert_to_tensor(np.asarray(w, "float32")) for w in weights]
    q, k, v = _split_heads(query, wq, bq), _split_heads(key, wk, bk), _split_heads(value, wv, bv)
    mask = None
    if attention_mask is not None:
        mask = ops.expand_dims(ops.cast(attention_mask, "bool"), -3)
    if use_causal_mask:
        causal = causal_mask(ops.shape(query)[1], ops.shape(value)[1])
        mask = causal if mask is None else ops.logical_and(mask, causal)
    heads, scores = scaled_dot_product_attention(q, k, v, mask)
    batch, length = ops.shape(heads)[0], ops.shape(heads)[2]
    merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, -1))
    output = ops.matmul(merged, ops.reshape(wo, (-1, wo.shape[-1]))) + bo
    return output, scores


def positional_encoding(max_length, depth):
    pe = np.zeros((max_length, depth))
    for p in range(max_length):
        for i in range(0, depth, 2):
            angle = p / 10000 ** (i / depth)
            pe[p, i] = np.sin(angle)
            pe[p, i + 1] = np.cos(angle)
    return pe.astype("float32")
