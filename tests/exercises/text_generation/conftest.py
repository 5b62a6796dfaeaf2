"""What the public and hidden tests of `text_generation` share: a random order-2 Markov
source whose entropy rate is known exactly, and the student's char model trained on it
once per grading (this file ships with the public tests).

The entropy rate is the floor of any model's cross-entropy on the source's text: no
model can predict it better, and a model that sees enough history gets close.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import pytest

VOCAB = " aehinorst"  # ten characters: the source's text looks a little like text
CONCENTRATION = 0.3  # Dirichlet parameter of each context's next-character distribution
N_TRAIN_CHARS = 500_000  # the contract's minimum
TRAIN_BUDGET_S = 120  # the contract's
TRAIN_DEADLINE_S = TRAIN_BUDGET_S * 5 // 4  # plus 25% for a noisy machine
PREDICT_DEADLINE_S = 60


@dataclass(frozen=True)
class MarkovSource:
    """``transitions[a, b, c]``: the probability of ``c`` after ``a, b``."""

    transitions: np.ndarray  # (V, V, V), each [a, b] row sums to 1
    pairs: np.ndarray  # (V, V): the stationary probability of each pair (a, b)

    @property
    def entropy_rate(self) -> float:
        """Nats per character: the mean entropy of the next character given the two before."""
        return float((self.pairs * _entropy(self.transitions)).sum())

    @property
    def order1_entropy(self) -> float:
        """Nats per character for the best model that sees only the current character."""
        joint = self.pairs[:, :, np.newaxis] * self.transitions  # p(a, b, c)
        after_b = joint.sum(axis=0)  # p(b, c)
        return float(
            (after_b.sum(axis=1) * _entropy(after_b / after_b.sum(1, keepdims=True))).sum()
        )

    def text(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` ids of the source, its first pair drawn from the stationary distribution."""
        size = len(self.pairs)
        first = int(rng.choice(size * size, p=self.pairs.ravel()))
        ids = [first // size, first % size]
        cumulative = [[list(accumulate(row)) for row in rows] for rows in self.transitions]
        for u in rng.random(n - 2).tolist():
            row = cumulative[ids[-2]][ids[-1]]
            ids.append(min(bisect_right(row, u * row[-1]), size - 1))
        return np.array(ids[:n], np.int32)


def _entropy(p: np.ndarray) -> np.ndarray:
    """Entropy in nats along the last axis (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)


def markov_source(rng: np.random.Generator, size: int = len(VOCAB)) -> MarkovSource:
    """A random order-2 source and its stationary pair distribution (power iteration on
    the chain of pairs, which every draw makes irreducible and aperiodic)."""
    transitions = rng.dirichlet(np.full(size, CONCENTRATION), size=(size, size))
    pairs = np.full((size, size), 1 / size**2)
    for _ in range(10_000):
        following = (pairs[:, :, np.newaxis] * transitions).sum(axis=0)  # p(b, c)
        done = np.abs(following - pairs).max() < 1e-15
        pairs = following
        if done:
            break
    return MarkovSource(transitions, pairs)


def as_text(ids: np.ndarray) -> str:
    return "".join(VOCAB[i] for i in ids)


def cross_entropy(probabilities: np.ndarray, windows: np.ndarray, skip: int = 2) -> float:
    """Mean ``-log q(next character)`` over every window's positions from ``skip`` on
    (the first positions lack the two characters of context the source uses)."""
    predicted = probabilities[:, skip:-1]  # position t predicts the character t + 1
    actual = windows[:, skip + 1 :]
    chosen = np.take_along_axis(predicted, actual[..., np.newaxis], axis=-1)[..., 0]
    return float(-np.log(np.clip(chosen, 1e-12, None)).mean())


def score_windows(student, model, windows: np.ndarray) -> np.ndarray:
    """The model's probabilities on the windows, shape-checked."""
    got = np.asarray(model.predict.options(timeout=PREDICT_DEADLINE_S)(windows, verbose=0))
    expected = (*windows.shape, len(VOCAB))
    assert got.shape == expected, (
        f"on ids {windows.shape} the model should return probabilities {expected}, got {got.shape}"
    )
    return got


@pytest.fixture(scope="session")
def char_source(run_seed) -> MarkovSource:
    """This run's source."""
    return markov_source(np.random.default_rng(run_seed + 21))


@pytest.fixture(scope="session")
def trained_char_model(student, char_source, run_seed):
    """The student's ``train_char_model`` on the source's text, within the deadline."""
    text = as_text(char_source.text(N_TRAIN_CHARS, np.random.default_rng(run_seed + 22)))
    train = student.text_generation.train_char_model.options(timeout=TRAIN_DEADLINE_S, keep=True)
    return train(text, VOCAB)
