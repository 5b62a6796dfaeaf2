"""Hidden tests of the attention exercise (15 points): exact, no training.

Every expected value is computed on the trusted side (``support``, float64 NumPy) or by
Keras's own ``MultiHeadAttention`` in the reference worker; the student's worker never
receives one. Rows with no allowed key are never compared (Keras itself answers them
differently depending on ``return_attention_scores``).
"""

import numpy as np
import pytest

from .support import (
    allowed_rows,
    attention_numpy,
    banned_uses,
    mha_case,
    ragged_ids,
    sinusoidal,
)

TOLERANCE = 1e-5  # the contract's "equal to 1e-5"
GRADIENT_TOLERANCE = 1e-4  # float32 gradients through a softmax, against the reference's
ENCODING_TOLERANCE = 1e-4  # float32 sin/cos of positions up to 512
N_MHA_CASES = 10
MASKS = ("none", "padding", "causal", "both")


@pytest.fixture(scope="module")
def banned(student_source):
    return banned_uses(student_source("attention"))


def assert_no_ready_made(banned: dict, function: str) -> None:
    uses = banned.get(function, []) + banned.get("", [])
    assert not uses, (
        f"{function} must be written from basic operations; it reaches ready-made "
        f"attention: {'; '.join(uses[:3])}"
    )


@pytest.mark.points(1)
def test_padding_mask_any_pad_id(student, rng, banned):
    """padding_mask on ragged batches, with pad_id 0 and another."""
    assert_no_ready_made(banned, "padding_mask")
    for pad_id in (0, int(rng.integers(1, 50))):
        ids = ragged_ids(rng, int(rng.integers(2, 6)), int(rng.integers(2, 10)), pad_id)
        args = (ids,) if pad_id == 0 else (ids, pad_id)
        got = student.attention.padding_mask(*args)
        assert got.dtype == bool and got.shape == (ids.shape[0], 1, ids.shape[1]), (
            f"padding_mask should be bool (batch, 1, S); got {got.dtype} {got.shape}"
        )
        assert np.array_equal(got, (ids != pad_id)[:, None, :]), (
            f"padding_mask is wrong with pad_id={pad_id}: True where ids != pad_id"
        )


@pytest.mark.points(1)
def test_causal_mask_any_lengths(student, rng, banned):
    """causal_mask for T = S, T < S and T > S, key_length given or not."""
    assert_no_ready_made(banned, "causal_mask")
    sizes = [(1, None), (5, None), (3, 7), (6, 2)] + [
        tuple(int(x) for x in rng.integers(1, 12, 2)) for _ in range(3)
    ]
    for t, s in sizes:
        got = student.attention.causal_mask(t) if s is None else student.attention.causal_mask(t, s)
        s = t if s is None else s
        expected = np.arange(s)[None, :] <= np.arange(t)[:, None]
        assert got.dtype == bool and got.shape == (t, s), (
            f"causal_mask({t}, {s}) should be bool ({t}, {s}); got {got.dtype} {got.shape}"
        )
        assert np.array_equal(got, expected), f"causal_mask({t}, {s}) is wrong: True where j <= i"


def sdpa_cases(rng):
    """(query, key, value, mask) with leading axes, broadcast masks, float32 and float64."""
    cases = []
    for lead, mask_shape, dtype in [
        ((), None, np.float32),
        ((3,), "TS", np.float64),
        ((2, 3), "1TS", np.float32),
        ((2, 3), "B11S", np.float64),
        ((4,), "B1S", np.float32),
    ]:
        t, s, d, dv = (int(x) for x in rng.integers(1, 9, 4))
        query = rng.normal(size=(*lead, t, d)).astype(dtype)
        key = rng.normal(size=(*lead, s, d)).astype(dtype)
        value = rng.normal(size=(*lead, s, dv)).astype(dtype)
        full = rng.random((*lead, t, s)) < 0.7
        mask = {
            None: None,
            "TS": full.reshape(-1, t, s)[0],
            "1TS": full.reshape(-1, t, s)[:1],
            "B11S": full[..., :1, :1, :] if len(lead) == 2 else None,
            "B1S": full[..., :1, :],
        }[mask_shape]
        cases.append((query, key, value, mask))
    return cases


@pytest.mark.points(3)
def test_scaled_dot_product_attention_matches_the_formula(student, rng, banned):
    """Attention against float64 NumPy: leading axes, broadcast masks, float64 inputs."""
    assert_no_ready_made(banned, "scaled_dot_product_attention")
    for query, key, value, mask in sdpa_cases(rng):
        where = f"query {query.shape}, key {key.shape}, mask {None if mask is None else mask.shape}"
        output, weights = student.attention.scaled_dot_product_attention(query, key, value, mask)
        expected_output, expected_weights = attention_numpy(query, key, value, mask)
        assert output.dtype == np.float32 and weights.dtype == np.float32, (
            f"results must be float32 (inputs {query.dtype}): got {output.dtype}, {weights.dtype}"
        )
        assert weights.shape == expected_weights.shape, f"weights have the wrong shape ({where})"
        assert output.shape == expected_output.shape, f"output has the wrong shape ({where})"
        rows = ~np.isnan(expected_weights).any(axis=-1)  # rows with an allowed key
        assert np.allclose(weights[rows], expected_weights[rows], atol=TOLERANCE), (
            f"the weights are not softmax(query @ keyᵀ / sqrt(d)) over the keys ({where})"
        )
        assert np.allclose(weights[rows].sum(axis=-1), 1, atol=TOLERANCE), (
            f"rows of weights must sum to 1 ({where})"
        )
        if mask is not None:
            masked = ~np.broadcast_to(mask, expected_weights.shape) & rows[..., None]
            assert np.all(weights[masked] == 0), f"masked keys must get weight exactly 0 ({where})"
        assert np.allclose(output[rows], expected_output[rows], atol=TOLERANCE), (
            f"the output is not weights @ value ({where})"
        )


def assert_same_gradients(got: list, expected: list, names: tuple, function: str) -> None:
    for name, mine, theirs in zip(names, got, expected, strict=True):
        assert mine is not None, (
            f"no gradient flows from {function} to its {name}: use TensorFlow or keras.ops "
            "all the way"
        )
        assert np.allclose(mine, theirs, atol=GRADIENT_TOLERANCE), (
            f"the gradient of {function} with respect to its {name} is wrong"
        )


@pytest.mark.points(2)
def test_attention_functions_are_differentiable(student, reference, rng, banned):
    """Gradients of both attention functions, against the reference's."""
    assert_no_ready_made(banned, "scaled_dot_product_attention")
    t, s, d, dv = 4, 6, 5, 3
    query, key = rng.normal(size=(2, t, d)), rng.normal(size=(2, s, d))
    value, cotangent = rng.normal(size=(2, s, dv)), rng.normal(size=(2, t, dv))
    mask = ragged_ids(rng, 2, s)[:, None, :] != 0  # every row keeps at least one key
    args = (query, key, value, mask, cotangent.astype(np.float32))
    function = "scaled_dot_product_attention"
    got = student.helper("attention.gradients")(student.attention.ref(function), *args)
    expected = reference.helper("attention.gradients")(reference.attention.ref(function), *args)
    assert_same_gradients(got, expected, ("query", "key", "value"), function)

    assert_no_ready_made(banned, "multi_head_attention")
    case = mha_case(rng)
    value = case["value"]
    weights = case["weights"]
    weights[2] = (rng.normal(size=(value.shape[-1], *weights[2].shape[1:])) * 0.5).astype(
        np.float32
    )  # key = value
    mask = case["ids"][:, None, :] != 0
    cotangent = rng.normal(size=case["query"].shape).astype(np.float32)
    args = (case["query"], value, weights, case["num_heads"], mask, cotangent)
    function = "multi_head_attention"
    got = student.helper("attention.mha_gradients")(student.attention.ref(function), *args)
    expected = reference.helper("attention.mha_gradients")(reference.attention.ref(function), *args)
    assert_same_gradients(got, expected, ("query", "value"), function)


@pytest.mark.points(5)
def test_multi_head_attention_matches_keras(student, reference, rng, banned):
    """multi_head_attention against Keras's own layer: many shapes, every kind of mask."""
    assert_no_ready_made(banned, "multi_head_attention")
    keras_layer = reference.helper("attention.keras_multi_head_attention")
    for number in range(N_MHA_CASES):
        case = mha_case(rng)
        query, value, weights = case["query"], case["value"], case["weights"]
        key = None if number % 4 == 3 else case["key"]
        if key is None:  # key = value: its projection takes the value's width
            weights[2] = (rng.normal(size=(value.shape[-1], *weights[2].shape[1:])) * 0.5).astype(
                np.float32
            )
        for kind in MASKS:
            mask = case["ids"][:, None, :] != 0 if kind in ("padding", "both") else None
            causal = kind in ("causal", "both")
            expected_output, expected_scores = keras_layer(
                query, value, key, weights, case["num_heads"], case["key_dim"],
                case["value_dim"], mask, causal,
            )  # fmt: skip
            output, scores = student.attention.multi_head_attention(
                query, value, key, weights, case["num_heads"],
                attention_mask=mask, use_causal_mask=causal,
            )  # fmt: skip
            where = (
                f"{case['num_heads']} heads, key_dim {case['key_dim']}, value_dim "
                f"{case['value_dim']}, query {query.shape}, value {value.shape}, "
                f"key {'None' if key is None else key.shape}, mask: {kind}"
            )
            assert output.shape == expected_output.shape, f"output has the wrong shape ({where})"
            assert scores.shape == expected_scores.shape, f"scores have the wrong shape ({where})"
            rows = allowed_rows(mask, (query.shape[0], query.shape[1], value.shape[1]), causal)
            assert np.allclose(
                np.moveaxis(scores, 1, 2)[rows], np.moveaxis(expected_scores, 1, 2)[rows],
                atol=TOLERANCE,
            ), f"the attention scores differ from Keras's ({where})"  # fmt: skip
            assert np.allclose(output[rows], expected_output[rows], atol=TOLERANCE), (
                f"the output differs from Keras's ({where})"
            )


@pytest.mark.points(2)
def test_positional_encoding_matches_the_formula(student, rng, banned):
    """positional_encoding against the formula, up to 512 positions and 512 dimensions."""
    assert_no_ready_made(banned, "positional_encoding")
    sizes = [(1, 2), (64, 8), (512, 16), (int(rng.integers(2, 300)), 2 * int(rng.integers(1, 256)))]
    for max_length, depth in sizes:
        got = student.attention.positional_encoding(max_length, depth)
        assert got.dtype == np.float32 and got.shape == (max_length, depth), (
            f"positional_encoding({max_length}, {depth}) should be float32 "
            f"({max_length}, {depth}); got {got.dtype} {got.shape}"
        )
        expected = sinusoidal(max_length, depth)
        for parity, name in ((0, "even (sin)"), (1, "odd (cos)")):
            assert np.allclose(
                got[:, parity::2], expected[:, parity::2], atol=ENCODING_TOLERANCE
            ), f"positional_encoding({max_length}, {depth}) is wrong on the {name} dimensions"


@pytest.mark.points(1)
def test_no_ready_made_attention(student, rng, banned):
    """No Keras or TensorFlow attention is used, and the module computes attention."""
    uses = [use for found in banned.values() for use in found]
    assert not uses, (
        "write attention from basic operations; your module reaches ready-made "
        "attention: " + "; ".join(uses[:3])
    )
    query, key, value = (rng.normal(size=(3, 4)) for _ in range(3))  # and it works
    output, _ = student.attention.scaled_dot_product_attention(query, key, value)
    assert np.allclose(output, attention_numpy(query, key, value)[0], atol=TOLERANCE), (
        "scaled_dot_product_attention does not compute attention"
    )
