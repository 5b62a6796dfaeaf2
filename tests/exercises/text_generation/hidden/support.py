"""The tests' own sampling rules, a chi-square bound, and a recording ``next_probs``.

Expected distributions are computed here, in float64, from the contract's definitions
(never by the submission); ``RecordingNextProbs`` answers the student's ``extend_text``
from this process and keeps every query it got.
"""

from __future__ import annotations

import numpy as np

# Upper quantile of the standard normal at 1e-7: with the Wilson-Hilferty approximation
# of the chi-square quantile, a correct sampler fails a frequency check with odds below
# 1e-6 (the approximation's error in the far tail is well inside that factor of 10).
Z_FAR_TAIL = 5.199


def reweighted(p, temperature: float) -> np.ndarray:
    p = np.asarray(p, np.float64)
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def _kept(p: np.ndarray, ids) -> np.ndarray:
    out = np.zeros_like(p)
    out[ids] = p[ids]
    return out / out.sum()


def ranked(p: np.ndarray) -> list[int]:
    """Ids from most to least likely, ties by the lower id first."""
    return sorted(range(len(p)), key=lambda i: (-p[i], i))


def top_k(p, k: int) -> np.ndarray:
    p = np.asarray(p, np.float64)
    return _kept(p, ranked(p)[:k])


def top_p(p, threshold: float) -> np.ndarray:
    p = np.asarray(p, np.float64)
    if threshold == 1:
        return _kept(p, np.flatnonzero(p))
    order = ranked(p)
    total, kept = 0.0, []
    for i in order:
        kept.append(i)
        total += p[i]
        if total >= threshold:
            break
    return _kept(p, kept)


def filtered(p, temperature=1.0, k=None, threshold=None) -> np.ndarray:
    """The distribution ``sample_next`` draws from."""
    q = reweighted(p, temperature)
    if k is not None:
        q = top_k(q, k)
    if threshold is not None:
        q = top_p(q, threshold)
    return q


def chi_square_bound(degrees: int) -> float:
    """The chi-square value a correct sampler exceeds with odds below 1e-6."""
    c = 2 / (9 * degrees)
    return degrees * (1 - c + Z_FAR_TAIL * np.sqrt(c)) ** 3


def frequency_problem(draws, expected: np.ndarray) -> str | None:
    """Why ``draws`` are not a sample of ``expected``, or None."""
    draws = np.asarray(draws)
    if draws.ndim != 1 or not np.issubdtype(draws.dtype, np.integer):
        return "sample_next should return one int id per call"
    if draws.min() < 0 or draws.max() >= len(expected):
        return f"sample_next returned id {draws.max()}, outside 0..{len(expected) - 1}"
    counts = np.bincount(draws, minlength=len(expected))
    impossible = np.flatnonzero((counts > 0) & (expected == 0))
    if len(impossible):
        return f"id {impossible[0]} was drawn though its filtered probability is 0"
    possible = expected > 0
    n = len(draws)
    statistic = (((counts - n * expected)[possible]) ** 2 / (n * expected[possible])).sum()
    degrees = int(possible.sum()) - 1
    if degrees >= 1 and statistic > chi_square_bound(degrees):
        return (
            f"the frequencies of {n} draws do not follow the filtered distribution "
            f"(chi-square {statistic:.0f} with {degrees} degrees of freedom)"
        )
    return None


def random_distribution(rng, size: int, zeros: int = 0, ties: int = 0) -> np.ndarray:
    """Float64 probabilities with ``zeros`` ids at 0 and ``ties`` ids sharing one value."""
    p = rng.gamma(0.7, size=size)
    if ties:
        tied = rng.choice(size, ties, replace=False)
        p[tied] = p[tied[0]]
    if zeros:
        p[rng.choice(size, zeros, replace=False)] = 0
    return p / p.sum()


def clear_of_threshold(p: np.ndarray, threshold: float, margin: float = 1e-6) -> bool:
    """No cumulative sum of the ranked probabilities lies within ``margin`` of ``threshold``."""
    cumulative = np.cumsum(p[ranked(p)])
    return bool(np.abs(cumulative - threshold).min() > margin)


class RecordingNextProbs:
    """``next_probs`` for the student's ``extend_text``: an order-2 model held here.

    Counts every call and keeps each query; a query that is not an int ``(1, t)`` array
    raises ValueError, which the student's call sees as an exception.
    """

    def __init__(self, rng, vocab_size: int):
        self.table = rng.dirichlet(np.full(vocab_size, 0.5), size=(vocab_size, vocab_size))
        self.queries: list[np.ndarray] = []

    def distribution(self, ids) -> np.ndarray:
        a, b = (ids[-2], ids[-1]) if len(ids) > 1 else (0, ids[-1])
        return self.table[a, b]

    def __call__(self, ids) -> np.ndarray:
        array = np.asarray(ids)
        self.queries.append(array)
        if array.ndim != 2 or array.shape[0] != 1 or array.dtype.kind not in "iu":
            raise ValueError(
                f"next_probs takes an int array (1, t), got {array.dtype} {array.shape}"
            )
        return self.distribution(array[0].tolist())

    def problem(self, prompt: list[int], n: int, result) -> str | None:
        """Why the calls and the returned text do not follow the contract, or None."""
        if not isinstance(result, list) or len(result) != len(prompt) + n:
            return (
                f"extend_text should return a list of len(prompt_ids) + n = {len(prompt) + n} ids"
            )
        if result[: len(prompt)] != prompt:
            return "extend_text should return prompt_ids followed by the new ids"
        if len(self.queries) != n:
            return f"next_probs was called {len(self.queries)} times for n = {n}: once per new id"
        for i, query in enumerate(self.queries):
            so_far = result[: len(prompt) + i]
            if query.shape != (1, len(so_far)) or query[0].tolist() != so_far:
                return (
                    f"call {i + 1} of next_probs got ids of shape {query.shape}: it should get "
                    f"the whole text so far, prompt included, as (1, {len(so_far)})"
                )
        return None
