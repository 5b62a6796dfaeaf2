"""Public tests of the Transformer exercise (5 points).

The first four check your untrained model; the last trains it once (10,000 training and
2,000 validation dates, within the 180 s budget), as the hidden tests do.
"""

import numpy as np
import pytest

from .conftest import SOS_ID, encoder_ids, exact_match, outputs, random_dates

EXAMPLES = ["May 02, 2020", "September 20, 7075", "July 04, 1000"]
DECODER_IDS = np.array([[SOS_ID, 3, 1, 3, 1, 11, 1, 6, 11, 1]] * 3, np.int32)  # "2020-05-0"
N_CHECKED = 200  # fresh dates converted by the trained model
PUBLIC_ACCURACY = 0.9  # a first look: the hidden tests ask for 0.99 on 2,000 dates


@pytest.fixture
def untrained(student):
    return student.transformer_dates.build_transformer.options(keep=True)()


@pytest.mark.points(1)
def test_output_is_probabilities(untrained):
    """build_transformer(): (B, T, 12) probabilities for the examples."""
    got = outputs(untrained, encoder_ids(EXAMPLES), DECODER_IDS)
    assert np.allclose(got.sum(axis=-1), 1, atol=1e-3) and (got >= 0).all(), (
        "each output row should be probabilities (a softmax): nonnegative, summing to 1"
    )


@pytest.mark.points(1)
def test_built_with_attention_only(student, untrained):
    """The model holds a MultiHeadAttention layer and no recurrent layer."""
    attention = student.helper("transformer_dates.attention_layers")(untrained)
    assert attention >= 1, "the model should use keras.layers.MultiHeadAttention"
    assert not student.helper("has_recurrent_layer")(untrained), (
        "a Transformer has no recurrent layer (LSTM, GRU, RNN)"
    )


@pytest.mark.points(1)
def test_decoder_is_causal_example(untrained):
    """Changing the last decoder id changes no earlier output."""
    encoder = encoder_ids(EXAMPLES)
    changed = DECODER_IDS.copy()
    changed[:, -1] = 5
    before, after = outputs(untrained, encoder, DECODER_IDS), outputs(untrained, encoder, changed)
    assert np.abs(before[:, :-1] - after[:, :-1]).max() <= 1e-4, (
        "changing the last decoder id changed earlier outputs: the decoder's "
        "self-attention needs a causal mask (use_causal_mask=True)"
    )


@pytest.mark.points(1)
def test_convert_untrained_format(student, untrained):
    """convert_date_strs gives one 10-character string per input, even untrained."""
    convert = student.transformer_dates.convert_date_strs
    for date_strs in (EXAMPLES, EXAMPLES[:1]):
        got = convert(untrained, date_strs)
        assert len(got) == len(date_strs) and all(len(s) == 10 for s in got), (
            f"convert_date_strs on {len(date_strs)} strings should return {len(date_strs)} "
            f"strings of 10 characters (greedy decoding, 10 steps); got {got!r}"
        )


@pytest.mark.points(1)
def test_trained_model_converts(student, trained_transformer, run_seed):
    """The trained model converts fresh dates (a first look at the hidden test's bar)."""
    x, y = random_dates(N_CHECKED, np.random.default_rng(run_seed + 6))
    got = student.transformer_dates.convert_date_strs.options(timeout=60)(trained_transformer, x)
    accuracy = exact_match(got, y)
    assert accuracy >= PUBLIC_ACCURACY, (
        f"exact match on {N_CHECKED} fresh dates is {accuracy:.3f}; the hidden tests ask "
        "for at least 0.99 on 2,000"
    )
