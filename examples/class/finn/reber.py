"""Exercise: the embedded Reber grammar, and a recurrent classifier that learns it.

A grammar is a list of states; each state is a list of ``(production, next_state)``
transitions; a production is a string or a whole grammar (expanded recursively);
``next_state is None`` ends the walk. The embedded grammar wraps a Reber string as
``B T <reber> T E`` or ``B P <reber> P E``: the second character must equal the
second to last one, a dependency across the whole string.

Randomness is always passed in: ``rng`` is a ``numpy.random.Generator``
(``rng.integers``, ``rng.choice``...). Never use ``np.random.seed`` or the global
``np.random`` functions: the same ``rng`` state must give the same result.

Keras 3 pitfalls:
- ragged tensors no longer work with recurrent layers: pad the id sequences
  (``keras.utils.pad_sequences(..., padding="post")``) and let an
  ``Embedding(..., mask_zero=True)`` skip the padding — that is why id 0 is reserved;
- ``keras.Input(shape=(None,), dtype="int32")`` accepts sequences of any length.
"""

from __future__ import annotations

import keras  # noqa: F401  (you will need it)
import numpy as np  # noqa: F401

# Provided, unchanged from the book. Do not modify.
DEFAULT_REBER_GRAMMAR = [
    [("B", 1)],  # (state 0) =B=>(state 1)
    [("T", 2), ("P", 3)],  # (state 1) =T=>(state 2) or =P=>(state 3)
    [("S", 2), ("X", 4)],  # (state 2) =S=>(state 2) or =X=>(state 4)
    [("T", 3), ("V", 5)],  # and so on...
    [("X", 3), ("S", 6)],
    [("P", 4), ("V", 6)],
    [("E", None)],
]  # (state 6) =E=>(terminal state)

EMBEDDED_REBER_GRAMMAR = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [(DEFAULT_REBER_GRAMMAR, 4)],
    [(DEFAULT_REBER_GRAMMAR, 5)],
    [("T", 6)],
    [("P", 6)],
    [("E", None)],
]

POSSIBLE_CHARS = "BEPSTVX"


def generate_string(grammar, rng) -> str:
    """A random walk from state 0, choosing uniformly among the current state's transitions.

    A production that is itself a grammar is expanded by a walk of that grammar.
    """
    raise NotImplementedError("generate_string")


def generate_corrupted_string(grammar, rng, chars: str = POSSIBLE_CHARS) -> str:
    """A string of the grammar with exactly one character replaced by another of ``chars``.

    The result must be a string the grammar does not accept.
    """
    raise NotImplementedError("generate_corrupted_string")


def is_valid(string: str, grammar) -> bool:
    """True exactly when ``grammar`` can produce ``string``."""
    raise NotImplementedError("is_valid")


def string_to_ids(s: str, chars: str = POSSIBLE_CHARS) -> list[int]:
    """``1 + chars.index(c)`` for each character: id 0 is reserved for padding."""
    raise NotImplementedError("string_to_ids")


def generate_dataset(size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` for the embedded grammar.

    ``X``: int32 ``(size, L)``, each row ``string_to_ids`` of one string, post-padded
    with 0 to the longest row ``L``. ``y``: float32 ``(size, 1)``. Exactly
    ``size // 2`` rows are valid strings (``y = 1``); the others are corrupted
    strings (``y = 0``). Row order is up to you.
    """
    raise NotImplementedError("generate_dataset")


def train_classifier(X_train, y_train, X_valid, y_valid) -> keras.Model:
    """Build and train a recurrent classifier; return the trained model.

    The model must contain a recurrent layer, map post-padded id sequences ``(n, L)``
    of any ``L`` to ``(n, 1)`` probabilities that each string is valid, train within
    120 s on 2 CPU cores, and reach at least 0.98 accuracy on fresh strings —
    including long-range pairs such as ``BPBTSSSSSSSXXTTVPXVPXTTTTTVVETE`` (invalid)
    and ``BPBTSSSSSSSXXTTVPXVPXTTTTTVVEPE`` (valid).
    """
    raise NotImplementedError("train_classifier")
