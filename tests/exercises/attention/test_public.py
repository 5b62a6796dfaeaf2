"""Public tests of the attention exercise (5 points): small cases you can check by hand."""

import numpy as np
import pytest

# A tiny MultiHeadAttention (2 heads, key_dim = value_dim = 2) and what Keras 3 returns
# for it with the padding mask [[True, True, False]].
QUERY = [[[0.3, -1.0, 0.8], [0.9, -2.0, -1.3]]]
VALUE = [[[0.1, -0.3], [0.0, -0.9], [0.9, 0.8]]]
WEIGHTS = [
    [[[0.0, 0.6], [0.2, -0.4]], [[0.2, -0.5], [0.4, 0.0]], [[-0.1, -0.3], [0.6, -0.1]]],
    [[-0.2, -0.2], [0.3, 0.2]],
    [[[0.2, 0.2], [1.1, -0.2]], [[-0.3, -0.4], [0.3, 0.6]]],
    [[-0.1, -0.4], [-0.4, 0.3]],
    [[[0.4, 0.3], [-0.3, 0.1]], [[0.1, 0.1], [0.4, 0.1]]],
    [[0.3, 0.0], [0.1, 0.3]],
    [[[-0.7, -0.2, -0.2], [-0.3, -0.1, 0.7]], [[-0.4, 0.5, -0.8], [-0.2, 0.1, 0.3]]],
    [0.4, 0.4, -0.2],
]
KERAS_OUTPUT = [[[0.241879, 0.301902, -0.089131], [0.255394, 0.294571, -0.079796]]]
KERAS_SCORES = [
    [
        [[0.504243, 0.495757, 0.0], [0.446221, 0.553779, 0.0]],
        [[0.522541, 0.477459, 0.0], [0.442066, 0.557934, 0.0]],
    ]
]


def as_float32(values):
    return [np.asarray(w, np.float32) for w in values]


@pytest.mark.points(1)
def test_padding_mask_example(student):
    """padding_mask on a small batch: True on real tokens, (batch, 1, S)."""
    got = student.attention.padding_mask(np.array([[5, 7, 0, 0], [3, 0, 0, 0]]))
    assert got.dtype == bool and got.shape == (2, 1, 4), (
        f"padding_mask should be bool (batch, 1, S); got {got.dtype} {got.shape}"
    )
    assert got.tolist() == [[[True, True, False, False]], [[True, False, False, False]]], (
        f"True where a token is real, False on padding; got {got.tolist()}"
    )


@pytest.mark.points(1)
def test_causal_mask_example(student):
    """causal_mask(2, 3): query i attends keys j <= i."""
    got = student.attention.causal_mask(2, 3)
    assert got.dtype == bool and got.shape == (2, 3), f"expected bool (2, 3), got {got.shape}"
    assert got.tolist() == [[True, False, False], [True, True, False]], (
        f"query i may attend keys j <= i; got {got.tolist()}"
    )


@pytest.mark.points(1)
def test_scaled_dot_product_attention_example(student):
    """Attention you can compute by hand: a masked key gets weight 0."""
    query = np.array([[1.0]], np.float32)
    key = np.array([[1.0], [0.0], [2.0]], np.float32)
    value = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]], np.float32)
    mask = np.array([[True, True, False]])
    output, weights = student.attention.scaled_dot_product_attention(query, key, value, mask)
    # scores [1, 0, 2] / sqrt(1); the third key is masked: softmax([1, 0]) = [0.731, 0.269]
    assert np.allclose(weights, [[0.731059, 0.268941, 0.0]], atol=1e-5), (
        f"weights should be [[0.731059, 0.268941, 0]], got {np.round(weights, 6).tolist()}"
    )
    assert weights[0, 2] == 0, "a masked key must get weight exactly 0"
    assert np.allclose(output, [[0.731059, 0.268941]], atol=1e-5), (
        f"output should be weights @ value = [[0.731059, 0.268941]], got {output.tolist()}"
    )


@pytest.mark.points(1)
def test_multi_head_attention_example(student):
    """A tiny two-head layer with a padding mask, equal to Keras's answer."""
    mask = np.array([[[True, True, False]]])
    output, scores = student.attention.multi_head_attention(
        np.float32(QUERY), np.float32(VALUE), None, as_float32(WEIGHTS), 2, attention_mask=mask
    )
    assert np.shape(scores) == (1, 2, 2, 3), f"scores should be (B, h, T, S), got {scores.shape}"
    assert np.allclose(scores, KERAS_SCORES, atol=1e-5), (
        f"scores differ from Keras's: {np.round(scores, 6).tolist()} vs {KERAS_SCORES}"
    )
    assert np.allclose(output, KERAS_OUTPUT, atol=1e-5), (
        f"output differs from Keras's: {np.round(output, 6).tolist()} vs {KERAS_OUTPUT}"
    )


@pytest.mark.points(1)
def test_positional_encoding_example(student):
    """positional_encoding(3, 4) against the chapter's formula."""
    got = student.attention.positional_encoding(3, 4)
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)],
        [np.sin(2), np.cos(2), np.sin(0.02), np.cos(0.02)],
    ]
    assert got.dtype == np.float32 and got.shape == (3, 4), f"got {got.dtype} {got.shape}"
    assert np.allclose(got, expected, atol=1e-6), f"got {got.tolist()}, expected {expected}"
