"""Public tests of the beam_search exercise (5 points): a tiny hand-made language model.

The model lives in the test: the ``step_fn`` your code receives calls back into the
grader, which answers with the model's log-probabilities and counts the calls.
"""

import math

import numpy as np
import pytest

pytestmark = pytest.mark.numpy_only  # no TF preload when run alone

SOS, EOS, VOCAB = 4, 0, 4  # tokens 0..3 (0 is eos); sos_id lies outside the vocabulary
# Next-token probabilities after each prefix (tokens after sos); any other prefix: OTHER.
TINY = {
    (): [0.05, 0.5, 0.4, 0.05],
    (1,): [0.3, 0.25, 0.24, 0.21],
    (2,): [1 / 30, 1 / 30, 1 / 30, 0.9],
    (2, 3): [0.9, 1 / 30, 1 / 30, 1 / 30],
}
OTHER = [0.4, 0.3, 0.2, 0.1]


def probability(tokens) -> float:
    return math.prod(TINY.get(tuple(tokens[:i]), OTHER)[t] for i, t in enumerate(tokens))


class TinyStepFn:
    """The tiny model as a ``step_fn``, counting its calls."""

    def __init__(self):
        self.shapes = []

    def __call__(self, prefixes):
        prefixes = np.asarray(prefixes)
        self.shapes.append(prefixes.shape)
        if prefixes.ndim != 2 or not (prefixes[:, 0] == SOS).all():
            raise ValueError("step_fn takes an int array (k, t) of prefixes starting with sos_id")
        return np.log([TINY.get(tuple(int(t) for t in row[1:]), OTHER) for row in prefixes])


@pytest.mark.points(2)
def test_greedy_on_a_tiny_model(student):
    """Greedy decoding of a tiny model whose log-probabilities you can read."""
    tokens, log_prob = student.beam_search.greedy_search(TinyStepFn(), SOS, EOS, 3)
    assert list(tokens) == [1, 0], (
        f"greedy_search should pick 1 (p=0.5), then eos 0 (p=0.3): [1, 0], got {list(tokens)}"
    )
    assert math.isclose(log_prob, math.log(0.5 * 0.3), abs_tol=1e-6), (
        f"log_prob should be log(0.5 * 0.3) = {math.log(0.15):.6f}, got {log_prob}"
    )


@pytest.mark.points(2)
def test_beam_output_shape(student):
    """beam_search returns (tokens, log_prob) pairs, best first, without sos_id."""
    step_fn = TinyStepFn()
    hypotheses = student.beam_search.beam_search(step_fn, SOS, EOS, 3, 3)
    assert isinstance(hypotheses, list) and 1 <= len(hypotheses) <= 3, (
        f"beam_search(..., beam_width=3, ...) should return a list of 1 to 3 hypotheses, "
        f"got {hypotheses!r}"
    )
    scores = []
    for hypothesis in hypotheses:
        assert isinstance(hypothesis, (tuple, list)) and len(hypothesis) == 2, (
            f"each hypothesis should be a pair (tokens, log_prob), got {hypothesis!r}"
        )
        tokens, log_prob = list(hypothesis[0]), float(hypothesis[1])
        assert tokens and all(0 <= t < VOCAB for t in tokens), (
            f"tokens should be ids in [0, 4) without sos_id, got {tokens}"
        )
        assert len(tokens) <= 3 and (tokens[-1] == EOS or len(tokens) == 3), (
            f"{tokens}: a hypothesis ends with eos_id or holds max_length tokens"
        )
        assert EOS not in tokens[:-1], f"{tokens} goes on after eos_id"
        assert math.isclose(log_prob, math.log(probability(tokens)), abs_tol=1e-6), (
            f"{tokens}: log_prob should be {math.log(probability(tokens)):.6f}, got {log_prob}"
        )
        scores.append(log_prob)
    assert scores == sorted(scores, reverse=True), f"hypotheses should be best first: {scores}"
    assert len({tuple(h[0]) for h in hypotheses}) == len(hypotheses), "hypotheses must be distinct"
    assert len(step_fn.shapes) <= 3 and all(k <= 3 for k, _ in step_fn.shapes), (
        f"step_fn should be called at most max_length=3 times with at most beam_width=3 "
        f"prefixes each time; the (k, t) shapes it got: {step_fn.shapes}"
    )


@pytest.mark.points(1)
def test_beam_finds_what_greedy_misses(student):
    """A beam of two finds the sequence greedy decoding misses."""
    hypotheses = student.beam_search.beam_search(TinyStepFn(), SOS, EOS, 2, 3)
    best = list(hypotheses[0][0]) if hypotheses else None
    assert best == [2, 3, 0], (
        "greedy decoding gives [1, 0] (p=0.5*0.3=0.15), but [2, 3, 0] is more likely "
        f"(p=0.4*0.9*0.9=0.324): a beam of width 2 keeps [2] and finds it; got {best}"
    )
