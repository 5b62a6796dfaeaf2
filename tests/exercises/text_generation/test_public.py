"""Public tests of the text-generation exercise (5 points): small cases by hand, and a
first look at your char model (trained once, on 500,000 characters of a random order-2
Markov source, within the 120 s budget, as the hidden tests do)."""

import numpy as np
import pytest

from .conftest import cross_entropy, score_windows


def close(got, expected) -> bool:
    got = np.asarray(got, np.float64)
    return got.shape == np.shape(expected) and np.allclose(got, expected, atol=1e-6)


@pytest.mark.points(1)
def test_reweight_example(student):
    """T = 0.5 squares the probabilities, then renormalizes; zero stays zero."""
    got = student.text_generation.reweight([0.5, 0.25, 0.25, 0.0], 0.5)
    expected = [2 / 3, 1 / 6, 1 / 6, 0.0]
    assert close(got, expected), (
        f"reweight([0.5, 0.25, 0.25, 0], 0.5): expected {expected}, got {got}"
    )


@pytest.mark.points(1)
def test_top_k_example(student):
    """k = 3 of [0.1, 0.4, 0.1, 0.4]: the tie between ids 0 and 2 keeps id 0."""
    got = student.text_generation.top_k_filter([0.1, 0.4, 0.1, 0.4], 3)
    expected = [1 / 9, 4 / 9, 0.0, 4 / 9]
    assert close(got, expected), f"top_k_filter(..., 3): expected {expected}, got {got}"


@pytest.mark.points(1)
def test_top_p_example(student):
    """p = 0.6 of [0.5, 0.3, 0.2]: 0.5 is not enough, so id 1 (crossing 0.6) stays."""
    got = student.text_generation.top_p_filter([0.5, 0.3, 0.2], 0.6)
    expected = [0.625, 0.375, 0.0]
    assert close(got, expected), f"top_p_filter(..., 0.6): expected {expected}, got {got}"


@pytest.mark.points(1)
def test_extend_text_example(student, student_rng):
    """A next_probs that always says "the id after the last one" is followed exactly."""
    calls = []

    def next_probs(ids):
        calls.append(np.asarray(ids).shape)
        probabilities = np.zeros(5)
        probabilities[(int(np.asarray(ids)[0, -1]) + 1) % 5] = 1.0
        return probabilities

    got = student.text_generation.extend_text(next_probs, [3], 4, student_rng)
    assert list(got) == [3, 4, 0, 1, 2], f"extend_text(next_probs, [3], 4, rng) gave {got}"
    assert calls == [(1, 1), (1, 2), (1, 3), (1, 4)], (
        f"next_probs should get the whole text so far as (1, t), once per new id; got {calls}"
    )


@pytest.mark.points(1)
def test_char_model_uses_history(student, trained_char_model, char_source, rng):
    """Your model predicts fresh text better than any model of the current character alone."""
    windows = char_source.text(50 * 101, rng).reshape(50, 101)
    loss = cross_entropy(score_windows(student, trained_char_model, windows), windows)
    assert loss < char_source.order1_entropy, (
        f"cross-entropy {loss:.3f} nats/char: no better than a model that sees only the "
        f"current character ({char_source.order1_entropy:.3f}); the hidden test asks for "
        f"at most {char_source.entropy_rate + 0.1:.3f}"
    )
