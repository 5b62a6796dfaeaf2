"""Hidden tests of the text-generation exercise (15 points).

The sampling rules are checked exactly where the contract is exact (values of the
filters on distributions with ties, zeros and thresholds clear of every cumulative sum)
and by frequencies where it is random (a chi-square bound that a correct sampler fails
with odds below 1e-6). ``extend_text`` talks to a ``next_probs`` that runs here. The
char model is scored against the exact entropy rate of this run's Markov source
(``conftest.py``). Figures: tests/exercises/text_generation/calibration.md.
"""

import numpy as np
import pytest

from grader.sandbox.client import StudentError

from ..conftest import VOCAB, cross_entropy, score_windows
from .support import (
    RecordingNextProbs,
    clear_of_threshold,
    filtered,
    frequency_problem,
    random_distribution,
    reweighted,
    top_k,
    top_p,
)

TOLERANCE = 1e-6  # on probabilities: float32 arithmetic passes, a wrong rule does not
N_DRAWS = 20_000  # per frequency check
N_SCORED_WINDOWS, SCORED_WINDOW = 200, 201  # 39,600 scored predictions
EXCESS_BAR = 0.1  # nats per character above the entropy rate: the contract's


def check_distribution(got, expected, call: str) -> None:
    got = np.asarray(got, np.float64)
    assert got.shape == expected.shape, f"{call} should return {expected.shape}, got {got.shape}"
    assert np.abs(got - expected).max() <= TOLERANCE, (
        f"{call} gave {np.round(got, 4).tolist()}, expected {np.round(expected, 4).tolist()}"
    )
    assert (got[expected == 0] == 0).all(), f"{call}: a zeroed id must be exactly 0"


def cases(rng, n: int, size: int = 12):
    """Distributions with zeros and ties, in the shapes the tests use."""
    for i in range(n):
        yield random_distribution(rng, size, zeros=i % 3, ties=(i % 4) and 3)


# -- the filters ------------------------------------------------------------------------------
@pytest.mark.points(2)
def test_reweight_values(student, rng):
    """reweight(p, T) is softmax(log p / T): T from 0.05 to 20, zeros stay zero."""
    calls, expected = [], []
    for p in cases(rng, 8):
        for temperature in (0.05, 0.3, 0.7, 1.0, 1.6, 20.0):
            calls.append([p, temperature])
            expected.append(reweighted(p, temperature))
    calls.append([[0.5, 0.25, 0.25, 0.0], 0.5])
    expected.append(np.array([2, 0.5, 0.5, 0]) / 3)
    got = student.helper("map_calls")(student.text_generation.ref("reweight"), calls)
    for (_, temperature), value, want in zip(calls, got, expected, strict=True):
        check_distribution(value, want, f"reweight(p, {temperature})")


@pytest.mark.points(2)
def test_top_k_values(student, rng):
    """top_k_filter keeps the k most likely (ties: lower id), renormalized."""
    calls = [[[0.1, 0.4, 0.1, 0.4], 3], [[0.25, 0.25, 0.25, 0.25], 2], [[0.2, 0.0, 0.8], 5]]
    for p in cases(rng, 8):
        calls += [[p, k] for k in (1, 2, 5, 11, 12, 40)]
    got = student.helper("map_calls")(student.text_generation.ref("top_k_filter"), calls)
    for (p, k), value in zip(calls, got, strict=True):
        check_distribution(value, top_k(p, k), f"top_k_filter(p, k={k})")


@pytest.mark.points(2)
def test_top_p_values(student, rng):
    """top_p_filter keeps the smallest most-likely set reaching p, the crossing id included."""
    calls = [[[0.5, 0.3, 0.2], 0.6], [[0.3, 0.3, 0.4], 0.5], [[0.1, 0.0, 0.9], 1.0]]
    for p in cases(rng, 10):
        calls += [[p, t] for t in (0.05, 0.5, 0.8, 0.95, 1.0) if t == 1 or clear_of_threshold(p, t)]
    got = student.helper("map_calls")(student.text_generation.ref("top_p_filter"), calls)
    for (p, t), value in zip(calls, got, strict=True):
        check_distribution(value, top_p(p, t), f"top_p_filter(p, p={t})")


@pytest.mark.points(1)
def test_bad_arguments_raise_value_error(student):
    """ValueError for temperature <= 0, k < 1, p outside (0, 1]."""
    p = [0.5, 0.3, 0.2]
    module = student.text_generation
    for function, argument in [
        ("reweight", 0.0),
        ("reweight", -1.0),
        ("top_k_filter", 0),
        ("top_k_filter", -2),
        ("top_p_filter", 0.0),
        ("top_p_filter", 1.5),
        ("top_p_filter", -0.1),
    ]:
        try:
            getattr(module, function)(p, argument)
        except StudentError as error:
            assert error.type_name == "ValueError", (
                f"{function}(p, {argument}) should raise ValueError, not {error.type_name}"
            )
        else:
            pytest.fail(f"{function}(p, {argument}) returned: it should raise ValueError")


# -- sampling ----------------------------------------------------------------------------------
@pytest.mark.points(2)
def test_sample_next_frequencies(student, student_rng, rng):
    """sample_next draws from the reweighted, top-k then top-p filtered distribution."""
    p = random_distribution(rng, 10, zeros=1, ties=2)
    settings = [(p, 1.0, None, None), (p, 0.6, None, None), (p, 2.5, 6, None)]
    settings += [(p, 1.0, None, 0.7), (p, 1.4, 5, 0.6)]
    # Top-k first: it renormalizes what top-p then measures (here 0.4 / 0.7 > 0.5, so
    # one id remains; top-p first would keep two).
    settings.append(([0.4, 0.3, 0.2, 0.1], 1.0, 2, 0.5))
    for probabilities, temperature, k, threshold in settings:
        if threshold is not None and not clear_of_threshold(
            top_k(reweighted(probabilities, temperature), k or len(probabilities)), threshold
        ):
            continue
        draws = student.helper("call_many").options(timeout=60)(
            student.text_generation.ref("sample_next"),
            N_DRAWS,
            probabilities,
            student_rng,
            temperature,
            k,
            threshold,
        )
        why = frequency_problem(draws, filtered(probabilities, temperature, k, threshold))
        assert why is None, f"temperature={temperature}, top_k={k}, top_p={threshold}: {why}"


@pytest.mark.points(1)
def test_sample_next_uses_rng(student, seed):
    """The same rng state gives the same draws; nothing else is random."""
    make_rng = student.helper("make_rng").options(keep=True)
    draw = student.helper("call_many")
    sample = student.text_generation.ref("sample_next")
    p = [0.1] * 10
    first = draw(sample, 50, p, make_rng(seed))
    second = draw(sample, 50, p, make_rng(seed))
    assert first == second, (
        "two generators with the same seed gave different draws: draw with rng only"
    )
    assert first != draw(sample, 50, p, make_rng(seed + 1)), (
        "generators with different seeds gave the same draws: draw with rng"
    )


# -- extend_text -------------------------------------------------------------------------------
@pytest.mark.points(1)
def test_extend_text_calls_next_probs_with_the_whole_text(student, student_rng, rng):
    """next_probs is called once per new id with every id so far, as (1, t)."""
    for prompt, n in [([3], 12), ([1, 4, 1, 5, 9], 30), ([2, 7], 0)]:
        next_probs = RecordingNextProbs(rng, 10)
        result = student.text_generation.extend_text(next_probs, prompt, n, student_rng)
        result = [int(i) for i in result] if isinstance(result, (list, tuple)) else result
        why = next_probs.problem(prompt, n, result)
        assert why is None, f"extend_text(next_probs, {prompt}, {n}, rng): {why}"


@pytest.mark.points(1)
def test_extend_text_draws_like_sample_next(student, seed, rng):
    """Each new id comes from the filtered next_probs; the same rng state, the same text."""
    make_rng = student.helper("make_rng").options(keep=True)
    next_probs = RecordingNextProbs(rng, 10)
    greedy = student.text_generation.extend_text(next_probs, [4, 2], 20, make_rng(seed), 1.0, 1)
    expected = [4, 2]
    for _ in range(20):
        expected.append(int(np.argmax(next_probs.distribution(expected))))
    assert [int(i) for i in greedy] == expected, (
        "with top_k=1, extend_text should pick the most likely id at every step"
    )
    fixed = RecordingNextProbs(rng, 10)
    fixed.table[:] = random_distribution(rng, 10, zeros=1)
    settings = (
        (0.8, None, 0.9)
        if clear_of_threshold(reweighted(fixed.table[0, 0], 0.8), 0.9)
        else (0.8, 7, None)
    )
    text = student.text_generation.extend_text.options(timeout=120)(
        fixed, [0], 4_000, make_rng(seed + 1), *settings
    )
    why = frequency_problem(np.asarray(text[1:]), filtered(fixed.table[0, 0], *settings))
    assert why is None, f"extend_text's new ids, temperature and filters {settings}: {why}"
    again = student.text_generation.extend_text(next_probs, [4, 2], 30, make_rng(seed + 2), 1.3)
    twice = student.text_generation.extend_text(next_probs, [4, 2], 30, make_rng(seed + 2), 1.3)
    assert list(again) == list(twice), "the same rng state gave two different texts"


# -- the char model ----------------------------------------------------------------------------
@pytest.mark.points(1)
def test_char_model_is_recurrent_and_takes_any_length(student, trained_char_model, rng):
    """A recurrent layer; probabilities (B, T, vocab) for T = 1 and T = 300."""
    assert student.helper("has_recurrent_layer")(trained_char_model), (
        "the char model should contain a recurrent layer (GRU, LSTM, SimpleRNN)"
    )
    for shape in [(3, 1), (2, 300)]:
        got = score_windows(student, trained_char_model, rng.integers(0, len(VOCAB), shape))
        assert np.allclose(got.sum(axis=-1), 1, atol=1e-3) and (got >= 0).all(), (
            "each output row should be next-character probabilities (a softmax)"
        )


@pytest.mark.points(2)
def test_char_model_near_entropy_rate(student, trained_char_model, char_source, rng):
    """Cross-entropy on fresh text within 0.1 nats/char of the source's entropy rate."""
    text = char_source.text(N_SCORED_WINDOWS * SCORED_WINDOW, rng)
    windows = text.reshape(N_SCORED_WINDOWS, SCORED_WINDOW)
    excess = (
        cross_entropy(score_windows(student, trained_char_model, windows), windows)
        - char_source.entropy_rate
    )
    assert excess <= EXCESS_BAR, (
        f"the model's cross-entropy on fresh text is {excess:.3f} nats per character above "
        f"the source's entropy rate (at most {EXCESS_BAR} allowed)"
    )
