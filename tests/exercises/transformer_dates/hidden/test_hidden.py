"""Hidden tests of the Transformer exercise (15 points).

The contract's three properties (causality, padding, position) are proven on untrained
models straight from ``build_transformer()``: two draws of weights, inputs of this
run's seed, every expected value computed here. Then the model trained once (the
``trained_transformer`` fixture of ``conftest.py``) is scored on dates it never saw.
Tolerances and thresholds: tests/exercises/transformer_dates/calibration.md.
"""

import numpy as np
import pytest

from ..conftest import (
    INPUT_CHARS,
    MONTHS,
    OUTPUT_CHARS,
    SOS_ID,
    encoder_ids,
    exact_match,
    outputs,
    random_dates,
)

N_OUTPUTS = len(OUTPUT_CHARS) + 1
MAX_INPUT, MAX_OUTPUT = 18, 10
TOLERANCE = 1e-4  # the contract's, on probabilities
CONVERT_DEADLINE_S = 60
ACCURACY_THRESHOLD = 0.99  # the contract's, on 2,000 fresh dates
N_SHORT = 1_000
SHORT_ACCURACY_THRESHOLD = 0.97  # on a subset of short dates: some slack
AGREEMENT = 0.99  # the same date must convert the same way in any batch
SHORT_MONTHS = [m for m in MONTHS if len(m) <= 5]  # inputs of at most 14 characters


@pytest.fixture
def untrained_models(student):
    """Two fresh models: the tests' properties hold whatever the weights."""
    build = student.transformer_dates.build_transformer.options(keep=True)
    return [build(), build()]


def random_encoder_ids(rng, batch: int, lengths=(1, MAX_INPUT)) -> np.ndarray:
    """Rows of real ids of random lengths, post-padded with 0 to the longest."""
    row_lengths = rng.integers(lengths[0], lengths[1] + 1, batch)
    ids = np.zeros((batch, row_lengths.max()), np.int32)
    for row, length in enumerate(row_lengths):
        ids[row, :length] = rng.integers(1, len(INPUT_CHARS) + 1, length)
    return ids


def random_decoder_ids(rng, batch: int, length: int = MAX_OUTPUT) -> np.ndarray:
    """``SOS_ID`` then random target ids."""
    ids = rng.integers(1, N_OUTPUTS, (batch, length)).astype(np.int32)
    ids[:, 0] = SOS_ID
    return ids


# -- the untrained model ------------------------------------------------------------------
@pytest.mark.points(1)
def test_structure(student, untrained_models):
    """A MultiHeadAttention layer (nested ones count) and no recurrent layer."""
    model = untrained_models[0]
    attention = student.helper("transformer_dates.attention_layers")(model)
    assert attention >= 1, "the model should use keras.layers.MultiHeadAttention"
    assert not student.helper("has_recurrent_layer")(model), (
        "a Transformer has no recurrent layer (LSTM, GRU, RNN)"
    )


@pytest.mark.points(1)
def test_shapes_and_probabilities(untrained_models, rng):
    """(B, T, 12) probabilities for several batch sizes, S <= 18 and T <= 10."""
    for batch, (low, high), length in [(1, (1, 1), 1), (3, (7, 7), 4), (5, (10, 18), 10)]:
        encoder = random_encoder_ids(rng, batch, (low, high))
        got = outputs(untrained_models[0], encoder, random_decoder_ids(rng, batch, length))
        assert np.allclose(got.sum(axis=-1), 1, atol=1e-3) and (got >= 0).all(), (
            "each output row should be probabilities (a softmax): nonnegative, summing to 1"
        )


@pytest.mark.points(2)
def test_decoder_is_causal(untrained_models, rng):
    """The output at decoder position t depends only on decoder_ids[:, :t + 1]."""
    for model in untrained_models:
        encoder, decoder = random_encoder_ids(rng, 6), random_decoder_ids(rng, 6)
        before = outputs(model, encoder, decoder)
        for t in (0, 3, MAX_OUTPUT - 2):
            changed = decoder.copy()
            changed[:, t + 1 :] = random_decoder_ids(rng, 6)[:, t + 1 :]
            changed[:, t + 1] = decoder[:, t + 1] % (N_OUTPUTS - 1) + 1  # surely different
            after = outputs(model, encoder, changed)
            assert np.abs(before[:, : t + 1] - after[:, : t + 1]).max() <= TOLERANCE, (
                f"changing decoder ids after position {t} changed the outputs at positions "
                f"up to {t}: the decoder's self-attention needs a causal mask"
            )


@pytest.mark.points(2)
def test_encoder_padding_is_ignored(untrained_models, rng):
    """Appending 0s to encoder_ids, up to 18, changes no output."""
    for model in untrained_models:
        encoder = random_encoder_ids(rng, 6, (3, 12))
        decoder = random_decoder_ids(rng, 6)
        before = outputs(model, encoder, decoder)
        for width in (encoder.shape[1] + 1, MAX_INPUT):
            padded = np.pad(encoder, [(0, 0), (0, width - encoder.shape[1])])
            after = outputs(model, padded, decoder)
            assert np.abs(before - after).max() <= TOLERANCE, (
                f"padding encoder_ids from {encoder.shape[1]} to {width} ids with 0s changed "
                "the outputs: mask the padding in every attention over the encoder's "
                "positions (its self-attention and the decoder's cross-attention)"
            )


@pytest.mark.points(1)
def test_positions_matter(untrained_models, rng):
    """Swapping two different input characters changes the outputs."""
    for model in untrained_models:
        encoder = random_encoder_ids(rng, 4, (6, MAX_INPUT))
        encoder[:, :2] = [3, 17]  # two different ids at the two swapped places
        swapped = encoder.copy()
        swapped[:, [0, 1]] = encoder[:, [1, 0]]
        decoder = random_decoder_ids(rng, 4)
        change = np.abs(outputs(model, encoder, decoder) - outputs(model, swapped, decoder))
        assert (change.max(axis=(1, 2)) > TOLERANCE).all(), (
            "swapping two input characters left the outputs unchanged: attention alone "
            "ignores order, add the positional encoding to the embeddings"
        )


def greedy_decode(model, date_strs: list[str]) -> list[str]:
    """The tests' own greedy decoding: argmax over every id, fed back, 10 steps."""
    encoder = encoder_ids(date_strs)
    decoder = np.full((len(date_strs), 1), SOS_ID, np.int32)
    for _ in range(MAX_OUTPUT):
        next_ids = outputs(model, encoder, decoder)[:, -1].argmax(axis=-1).astype(np.int32)
        decoder = np.concatenate([decoder, next_ids[:, np.newaxis]], axis=1)
    return ["".join(("?" + OUTPUT_CHARS)[i] for i in row[1:]) for row in decoder]


def as_output_chars(s: str) -> str:
    """Any character that is not an output character reads as padding, "?"."""
    return "".join(c if c in OUTPUT_CHARS else "?" for c in s)


@pytest.mark.points(2)
def test_greedy_decoding_of_untrained_models(student, untrained_models, rng):
    """convert_date_strs decodes an untrained model as greedy decoding does."""
    x, _ = random_dates(40, rng)
    for model in untrained_models:
        got = student.transformer_dates.convert_date_strs(model, x)
        assert len(got) == len(x) and all(isinstance(s, str) for s in got), (
            f"convert_date_strs on {len(x)} strings should return {len(x)} strings"
        )
        agreement = exact_match([as_output_chars(s) for s in got], greedy_decode(model, x))
        assert agreement >= 0.95, (
            "on an untrained model, convert_date_strs does not give greedy decoding's "
            f"strings ({agreement:.0%} agree): start from SOS_ID, take the argmax at the "
            "last position, append it to the decoder's ids, and repeat"
        )


# -- the trained model ----------------------------------------------------------------------
def convert(student, model, date_strs):
    out = student.transformer_dates.convert_date_strs.options(timeout=CONVERT_DEADLINE_S)(
        model, date_strs
    )
    assert len(out) == len(date_strs), (
        f"convert_date_strs on {len(date_strs)} strings should return {len(date_strs)} strings"
    )
    return list(out)


@pytest.mark.points(3)
def test_accuracy_on_fresh_dates(student, trained_transformer, rng):
    """At least 0.99 exact match on 2,000 dates the model never saw."""
    x, y = random_dates(2_000, rng)
    accuracy = exact_match(convert(student, trained_transformer, x), y)
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"exact-match accuracy on 2000 fresh dates is {accuracy:.3f}, below {ACCURACY_THRESHOLD}"
    )


@pytest.mark.points(2)
def test_short_dates(student, trained_transformer, rng):
    """Short dates convert right, alone and in a batch with long ones."""
    x, y = random_dates(N_SHORT, rng, SHORT_MONTHS)
    x, y = ["May 02, 2020", "July 04, 1000", *x], ["2020-05-02", "1000-07-04", *y]
    alone = convert(student, trained_transformer, x)
    long_x, _ = random_dates(5, rng, ["September"])
    with_long = convert(student, trained_transformer, x + long_x)[: len(x)]
    assert exact_match(alone, with_long) >= AGREEMENT, (
        "short dates convert differently in a batch that also holds 18-character dates"
    )
    accuracy = exact_match(alone, y)
    assert accuracy >= SHORT_ACCURACY_THRESHOLD, (
        f"exact-match accuracy on {len(x)} short dates (such as 'May 02, 2020') is "
        f"{accuracy:.3f}, below {SHORT_ACCURACY_THRESHOLD}"
    )


@pytest.mark.points(1)
def test_one_date_at_a_time(student, trained_transformer, rng):
    """A date converted alone gives what it gives in a batch, and is right."""
    short_x, short_y = random_dates(3, rng, SHORT_MONTHS)
    long_x, long_y = random_dates(3, rng, ["September"])
    x, y = short_x + long_x, short_y + long_y
    alone = [convert(student, trained_transformer, [s])[0] for s in x]
    assert exact_match(alone, convert(student, trained_transformer, x)) >= 5 / 6, (
        "a date converted alone (a list of one string) gives another result than in a batch"
    )
    assert exact_match(alone, y) >= 5 / 6, (
        f"dates converted one at a time are mostly wrong: {alone} for {y}"
    )
