"""The hidden tests' own text tools: encoding, the contract's batch layout, fresh sizes,
periodic texts and the cross-entropy. Independent of any submission."""

from __future__ import annotations

import numpy as np

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;:!?'-\néèàç"


def random_text(rng: np.random.Generator, length: int, alphabet: str = ALPHABET) -> str:
    chars = rng.choice(list(alphabet), size=length)
    return "".join(chars)


def encode(text: str) -> tuple[np.ndarray, str]:
    """The contract's encoding of ``text.lower()``: ids into the sorted distinct chars."""
    lower = text.lower()
    vocab = "".join(sorted(set(lower)))
    return np.array([vocab.index(c) for c in lower], np.int32), vocab


def expected_count(length: int, batch_size: int, n_steps: int) -> int:
    return (length // batch_size - 1) // n_steps


def expected_batches(encoded: np.ndarray, batch_size: int, n_steps: int):
    """``(X, Y)``, each ``(n_batches, batch_size, n_steps)``: part ``i`` is
    ``encoded[i * L:(i + 1) * L]`` with ``L = len // batch_size``, read as windows of
    ``n_steps + 1`` with shift ``n_steps``."""
    part = len(encoded) // batch_size
    count = expected_count(len(encoded), batch_size, n_steps)
    starts = np.arange(batch_size)[None, :] * part + np.arange(count)[:, None] * n_steps
    index = starts[..., None] + np.arange(n_steps + 1)
    windows = np.asarray(encoded)[index]
    return windows[..., :-1], windows[..., 1:]


def layout_cases(rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """Fresh ``(length, batch_size, n_steps)`` cases. Together they hold batch size 1 and
    n_steps 1, lengths that do and do not divide by the batch size, parts that end
    exactly at a window's last token and parts that end one token short of a window."""

    def case(batch_size: int, n_steps: int, part: int, remainder: int):
        return batch_size * part + remainder, batch_size, n_steps

    def b(low: int = 2, high: int = 9) -> int:  # a batch size > 1
        return int(rng.integers(low, high))

    def t() -> int:  # n_steps > 1
        return int(rng.integers(2, 13))

    def steps() -> int:  # windows per part
        return int(rng.integers(2, 6))

    cases = [case(1, 1, int(rng.integers(3, 13)), 0)]
    n_steps = t()
    cases.append(case(1, n_steps, n_steps * steps() + int(rng.integers(1, n_steps + 1)), 0))
    batch_size = b()
    cases.append(case(batch_size, 1, int(rng.integers(2, 11)), int(rng.integers(1, batch_size))))
    batch_size, n_steps = b(), t()  # the last window ends exactly at the part's end
    cases.append(case(batch_size, n_steps, n_steps * steps() + 1, int(rng.integers(1, batch_size))))
    batch_size, n_steps = b(), t()  # one token short of another window; divides evenly
    cases.append(case(batch_size, n_steps, n_steps * steps(), 0))
    batch_size, n_steps = b(), t()  # a partial window at the part's end
    cases.append(
        case(
            batch_size,
            n_steps,
            n_steps * steps() + int(rng.integers(2, n_steps + 1)),
            int(rng.integers(0, batch_size)),
        )
    )
    batch_size, n_steps = b(2, 7), t()  # exactly one batch
    cases.append(case(batch_size, n_steps, n_steps + 1, int(rng.integers(0, batch_size))))
    batch_size, n_steps = b(9, 17), int(rng.integers(2, 7))
    cases.append(
        case(
            batch_size,
            n_steps,
            n_steps * steps() + int(rng.integers(1, n_steps + 1)),
            int(rng.integers(0, batch_size)),
        )
    )
    return cases


def as_pairs(elements: list, what: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The dataset's elements as ``(X, Y)`` pairs of 2-D arrays; raises AssertionError
    (with a student-readable message) when an element is not one."""
    pairs = []
    for k, element in enumerate(elements):
        ok = (
            isinstance(element, (tuple, list))
            and len(element) == 2
            and all(isinstance(a, np.ndarray) and a.ndim == 2 for a in element)
        )
        assert ok, f"{what}: element {k} of the dataset is not an (X, Y) pair of 2-D tensors"
        pairs.append((element[0], element[1]))
    return pairs


def grader_layers(vocab_size: int, units: int = 16) -> list:
    """The grader's own stateful model, as the plain data the worker's
    ``stateful_dataset.sequential`` helper builds: two stateful layers of different kinds."""
    recurrent = {"units": units, "return_sequences": True, "stateful": True}
    return [
        ("Embedding", {"input_dim": vocab_size, "output_dim": 8}),
        ("GRU", recurrent),
        ("LSTM", recurrent),
        ("Dense", {"units": vocab_size, "activation": "softmax"}),
    ]


# -- the training task -------------------------------------------------------------------
def periodic_ids(rng: np.random.Generator, vocab_size: int, length: int) -> np.ndarray:
    """A text repeating a period of ``2 * vocab_size`` ids: two shuffles of the vocabulary,
    drawn so that every id has a different successor in each. The current character alone
    then leaves the next one a coin toss (a loss of log 2 at best); the context before it
    decides."""
    while True:
        period = np.concatenate([rng.permutation(vocab_size), rng.permutation(vocab_size)])
        if _successors_differ(period):
            break
    return np.resize(period, length).astype(np.int32)


def _successors_differ(period: np.ndarray) -> bool:
    successors: dict[int, set[int]] = {}
    for a, b in zip(period, np.roll(period, -1), strict=True):
        successors.setdefault(int(a), set()).add(int(b))
    return all(len(s) == 2 for s in successors.values())


def cross_entropy(probs: np.ndarray, targets: np.ndarray) -> float:
    """Mean ``-log p(target)`` of probabilities ``(..., vocab)`` against ids ``(...)``."""
    picked = np.take_along_axis(probs, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return float(-np.log(np.clip(picked, 1e-7, 1.0)).mean())
