"""Exercise: beam search from scratch, over any model's next-token log-probabilities.

TensorFlow Addons' ``BeamSearchDecoder`` no longer imports on TensorFlow 2.16+, so
write the search yourself. It only sees the model through ``step_fn``, so it works
with any model (your date converter included)::

    def step_fn(prefixes):           # int32 array (k, t), every row starting with sos_id
        ...                          # run the model on the k prefixes
        return log_probs             # float array (k, vocab_size): log P(next token | prefix)

A *hypothesis* is a pair ``(tokens, log_prob)``:
- ``tokens`` is a list of ints, the generated tokens, **without** ``sos_id``;
- it is *finished* when its last token is ``eos_id`` (kept in ``tokens``) or when it
  holds ``max_length`` tokens; a finished hypothesis is never extended;
- ``log_prob`` is the sum of the step log-probabilities of its tokens.

Hypotheses are ranked by ``log_prob / len(tokens) ** length_penalty`` (with the
default ``length_penalty=0.0``, by ``log_prob`` itself), best first.

Each step expands every live hypothesis by every token of the vocabulary and keeps
the best ``beam_width`` candidates. Call ``step_fn`` once per step with **all** the
live hypotheses in one batch (one array of at most ``beam_width`` rows): at most
``max_length`` calls in all. Work on the whole ``(k, vocab_size)`` array with NumPy
(``scores[:, None] + log_probs``, ``np.argsort``, ``np.divmod``) rather than looping
over hypotheses and tokens in Python.

Two facts to check your search against: with ``beam_width >= vocab_size **
max_length`` nothing is ever pruned, so the result is the exact top list of all
finished hypotheses; with ``beam_width == 1`` it is the greedy decode.

What happens to a hypothesis once it is finished is up to you: it may leave the beam
(kept aside until the end) or keep competing with the live ones for a slot.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np  # noqa: F401  (you will need it)

StepFn = Callable[[np.ndarray], np.ndarray]


def beam_search(
    step_fn: StepFn,
    sos_id: int,
    eos_id: int,
    beam_width: int,
    max_length: int,
    length_penalty: float = 0.0,
) -> list[tuple[list[int], float]]:
    """Up to ``beam_width`` distinct finished hypotheses ``(tokens, log_prob)``, best first.

    ``step_fn`` is called at most ``max_length`` times, each time with the live
    hypotheses' prefixes (``sos_id`` first) as one int32 array of at most
    ``beam_width`` rows.
    """
    raise NotImplementedError("beam_search")


def greedy_search(
    step_fn: StepFn, sos_id: int, eos_id: int, max_length: int
) -> tuple[list[int], float]:
    """The greedy decode ``(tokens, log_prob)``: the most likely token at each step.

    On ties, the lowest token id wins. Stops after ``eos_id`` (kept in ``tokens``) or
    after ``max_length`` tokens.
    """
    raise NotImplementedError("greedy_search")
