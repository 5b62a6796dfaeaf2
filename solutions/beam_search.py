"""Reference solution: beam search and greedy decoding over a step function.

Finished hypotheses leave the beam and wait aside until the end; the live ones are
expanded together, one ``step_fn`` call per step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

StepFn = Callable[[np.ndarray], np.ndarray]


def beam_search(
    step_fn: StepFn,
    sos_id: int,
    eos_id: int,
    beam_width: int,
    max_length: int,
    length_penalty: float = 0.0,
) -> list[tuple[list[int], float]]:
    """Up to ``beam_width`` distinct finished hypotheses ``(tokens, log_prob)``, best first."""
    prefixes = np.full((1, 1), sos_id, dtype=np.int32)  # the live hypotheses, sos first
    scores = np.zeros(1)  # their log-probabilities
    finished: list[tuple[list[int], float]] = []
    for length in range(1, max_length + 1):
        log_probs = np.asarray(step_fn(prefixes), dtype=np.float64)
        vocab_size = log_probs.shape[1]
        candidates = (scores[:, None] + log_probs).ravel()
        # Live candidates all hold `length` tokens: ranking them by log-probability is
        # ranking them by score. A stable sort keeps the lowest ids first on ties.
        best = np.argsort(-candidates, kind="stable")[:beam_width]
        rows, tokens = np.divmod(best, vocab_size)
        prefixes = np.concatenate([prefixes[rows], tokens[:, None].astype(np.int32)], axis=1)
        scores = candidates[best]
        done = (tokens == eos_id) | (length == max_length)
        finished += [
            (p[1:].tolist(), float(s)) for p, s in zip(prefixes[done], scores[done], strict=True)
        ]
        prefixes, scores = prefixes[~done], scores[~done]
        if len(prefixes) == 0:
            break
    finished.sort(key=lambda h: h[1] / len(h[0]) ** length_penalty, reverse=True)
    return finished[:beam_width]


def greedy_search(
    step_fn: StepFn, sos_id: int, eos_id: int, max_length: int
) -> tuple[list[int], float]:
    """The most likely token at each step (the lowest id on ties) until eos or max_length."""
    tokens: list[int] = []
    log_prob = 0.0
    while len(tokens) < max_length:
        log_probs = np.asarray(step_fn(np.array([[sos_id, *tokens]], dtype=np.int32)))[0]
        token = int(np.argmax(log_probs))  # the first maximum
        tokens.append(token)
        log_prob += float(log_probs[token])
        if token == eos_id:
            break
    return tokens, log_prob
