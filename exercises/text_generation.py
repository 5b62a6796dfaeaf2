"""Exercise: sampling text from a character model.

A language model gives the next character's probabilities; how you draw from them
decides whether the text is dull, lively or nonsense. You write the three classic
rules (temperature, top-k, nucleus/top-p), a sampler that applies them, a loop that
extends a text one id at a time, and a char-RNN to draw from.

``probabilities`` is a float array ``(vocab,)`` summing to 1; ids index it.

Randomness is always passed in: ``rng`` is a ``numpy.random.Generator``. Never use
``np.random.seed`` or the global ``np.random`` functions: the same ``rng`` state must
give the same text.

Pitfalls:
- temperature **divides** the log-probabilities (a low temperature sharpens);
- top-p keeps the id whose probability **crosses** p; ties go to the lower id
  (``np.argsort(-p, kind="stable")``);
- after filtering, renormalize: ``rng.choice`` wants probabilities summing to 1;
- ``next_probs`` wants the whole text so far, not only its last id.

The char model is graded against a number no model can beat: the tests train it on
500,000 characters of a random Markov source whose entropy rate they know exactly, and
your model's cross-entropy on fresh text must come within 0.1 nats per character of
it. Run this file (``python exercises/text_generation.py``, about a minute) to see
your model write pseudo-English at two temperatures.
"""

from __future__ import annotations

import keras  # noqa: F401  (you will need it)
import numpy as np


def reweight(probabilities, temperature: float) -> np.ndarray:
    """``p ** (1 / temperature)`` renormalized, i.e. ``softmax(log(p) / temperature)``.

    Zero stays zero. ``ValueError`` unless ``temperature > 0``.
    """
    raise NotImplementedError


def top_k_filter(probabilities, k: int) -> np.ndarray:
    """Keep the ``k`` most likely ids (ties: the lower id first), zero the others,
    renormalize. ``ValueError`` unless ``k >= 1``; ``k >= vocab`` keeps all."""
    raise NotImplementedError


def top_p_filter(probabilities, p: float) -> np.ndarray:
    """Nucleus filtering: keep the smallest set of most likely ids (ties: lower id
    first) whose total probability is at least ``p``, zero the others, renormalize.

    ``p = 1`` keeps every id of nonzero probability. ``ValueError`` unless ``0 < p <= 1``.
    """
    raise NotImplementedError


def sample_next(
    probabilities,
    rng,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> int:
    """Apply ``reweight``, then ``top_k_filter``, then ``top_p_filter`` (each only when
    given), then draw one id with ``rng``; return it as an int."""
    raise NotImplementedError


def extend_text(
    next_probs,
    prompt_ids: list[int],
    n: int,
    rng,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> list[int]:
    """``prompt_ids`` followed by ``n`` new ids.

    ``next_probs(ids)`` takes an int32 array ``(1, t)``, the whole text so far (prompt
    included), and returns the next id's probabilities ``(vocab,)``. Call it exactly once
    per new id and draw each id as ``sample_next`` does.
    """
    raise NotImplementedError


def train_char_model(text: str, vocab: str) -> keras.Model:
    """Build and train a stateless character-level model with a recurrent layer on
    ``text`` (every character is in ``vocab``).

    The model maps int ids ``(B, T)`` (``vocab.index(c)``, any ``T``) to next-character
    probabilities ``(B, T, len(vocab))``. Time budget: 120 s on 2 CPU cores.
    """
    raise NotImplementedError


# Provided: a demo. Do not modify.
SONNET_18 = """Shall I compare thee to a summer's day? Thou art more lovely and more
temperate: Rough winds do shake the darling buds of May, And summer's lease hath all too
short a date; Sometime too hot the eye of heaven shines, And often is his gold complexion
dimm'd; And every fair from fair sometime declines, By chance or nature's changing course
untrimm'd; But thy eternal summer shall not fade, Nor lose possession of that fair thou
ow'st; Nor shall death brag thou wander'st in his shade, When in eternal lines to time
thou grow'st: So long as men can breathe or eyes can see, So long lives this, and this
gives life to thee."""


def demo(n_chars: int = 200_000, seed: int = 42) -> None:
    """Train your model on pseudo-English (an order-2 source fitted to a sonnet) and
    print what it writes at a low and a high temperature."""
    rng = np.random.default_rng(seed)
    letters = " ".join(SONNET_18.lower().replace(";", ",").split())
    vocab = "".join(sorted(set(letters)))
    index = {c: i for i, c in enumerate(vocab)}
    counts = np.full((len(vocab),) * 3, 0.001)  # a little of everything, not much
    for a, b, c in zip(letters, letters[1:], letters[2:], strict=False):
        counts[index[a], index[b], index[c]] += 1
    transitions = counts / counts.sum(axis=-1, keepdims=True)
    ids = [index["t"], index["h"]]
    for _ in range(n_chars - 2):
        ids.append(int(rng.choice(len(vocab), p=transitions[ids[-2], ids[-1]])))
    model = train_char_model("".join(vocab[i] for i in ids), vocab)

    def next_probs(so_far):
        return np.asarray(model(so_far))[0, -1].astype(np.float64)

    prompt = [index[c] for c in "shall i "]
    for temperature in (0.5, 1.2):
        text = extend_text(next_probs, prompt, 120, rng, temperature, top_p=0.95)
        print(f"temperature {temperature}: {''.join(vocab[i] for i in text)!r}")


if __name__ == "__main__":
    demo()
