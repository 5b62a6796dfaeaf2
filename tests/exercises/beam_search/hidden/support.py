"""The beam_search tests' own toy language models, searches and checks (trusted process).

A toy model maps a prefix (the generated tokens, without ``sos_id``) to the
log-probabilities of the next token over ``vocab_size`` tokens. ``sos_id`` lies
outside the vocabulary, as in the book's date converter, so a model never emits it.
The student's code reaches a model only through a ``RecordingStepFn``: a callback
into this process that validates, counts and records every query.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

Tokens = tuple[int, ...]
MIN_GAP = 1e-4  # log-probabilities within a row differ at least this much (no near-ties)
LOG_PROB_TOL = 1e-6


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


class ToyModel:
    """Next-token log-probabilities; subclasses define ``_row(prefix)``."""

    def __init__(self, name: str, vocab_size: int, eos_id: int, sos_id: int):
        self.name = name
        self.vocab_size = vocab_size
        self.eos_id = eos_id
        self.sos_id = sos_id
        self._cache: dict[Tokens, np.ndarray] = {}

    def log_probs(self, prefix: Tokens) -> np.ndarray:
        if prefix not in self._cache:
            self._cache[prefix] = self._row(prefix)
        return self._cache[prefix]

    def _row(self, prefix: Tokens) -> np.ndarray:
        raise NotImplementedError

    def describe(
        self, beam_width: int | None, max_length: int, length_penalty: float | None = None
    ) -> str:
        """The case in words, for messages (inputs only, never an expected value)."""
        width = "" if beam_width is None else f", beam_width={beam_width}"
        penalty = "" if length_penalty is None else f", length_penalty={length_penalty}"
        return (
            f"{self.name} over {self.vocab_size} tokens (eos_id={self.eos_id}, "
            f"sos_id={self.sos_id}){width}, max_length={max_length}{penalty}"
        )


class RandomModel(ToyModel):
    """Random distributions that depend on the last ``order`` tokens (None: the whole prefix).

    Order 1 is a bigram table, order 2 a second-order Markov chain. Each context's row
    is drawn from a generator seeded by the model's seed and the context, so that the
    model is a fixed function however it is queried.
    """

    KINDS = {1: "a bigram model", 2: "an order-2 Markov model", None: "a whole-prefix model"}

    def __init__(self, rng: np.random.Generator, vocab_size: int, order: int | None, ties: int = 1):
        super().__init__(
            self.KINDS[order] + (" with ties" if ties > 1 else ""),
            vocab_size,
            eos_id=int(rng.integers(vocab_size)),
            sos_id=vocab_size + int(rng.integers(3)),
        )
        self.order = order
        self.ties = ties
        self.seed = int(rng.integers(2**32))
        self.scale = float(rng.uniform(0.5, 2.5))
        self.eos_bias = float(rng.uniform(-1.5, 1.0))

    def _row(self, prefix: Tokens) -> np.ndarray:
        context = prefix if self.order is None else prefix[-self.order :]
        rng = np.random.default_rng([self.seed, len(context), *context])
        while True:
            logits = rng.normal(0.0, self.scale, self.vocab_size)
            logits[self.eos_id] += self.eos_bias
            if self.ties > 1:  # the best logit shared by `ties` tokens, exactly
                logits[rng.choice(self.vocab_size, self.ties, replace=False)] = logits.max() + 0.5
            row = log_softmax(logits)
            gaps = np.diff(np.unique(row))
            if len(gaps) == 0 or gaps.min() >= MIN_GAP:
                return row


class TableModel(ToyModel):
    """Hand-built rows for some prefixes (probabilities), a fallback model elsewhere."""

    def __init__(self, name: str, fallback: ToyModel, table: dict[Tokens, np.ndarray]):
        super().__init__(name, fallback.vocab_size, fallback.eos_id, fallback.sos_id)
        self.fallback = fallback
        for probs in table.values():  # the grader's own mistakes, not the student's
            if not (np.all(probs > 0) and abs(np.sum(probs) - 1) < 1e-9):
                raise RuntimeError(f"grader bug: not a distribution: {probs}")
        self.table = {prefix: np.log(probs) for prefix, probs in table.items()}

    def _row(self, prefix: Tokens) -> np.ndarray:
        return self.table[prefix] if prefix in self.table else self.fallback.log_probs(prefix)


# -- the callback the student's code receives ---------------------------------------------
class RecordingStepFn:
    """``step_fn`` for the student's search: answers with the model's log-probabilities.

    It runs here, in the trusted process: it counts every call (before anything else)
    and records the shape of each of the first ``max_length`` calls. A query the contract
    forbids (too many calls, more than ``beam_width`` rows, a prefix past ``max_length``
    tokens, a row not starting with ``sos_id``) raises ValueError/TypeError/IndexError,
    which the student's call sees as an exception; the count is kept either way.
    Finished rows within those bounds are answered (a fixed block of padded rows is
    allowed).
    """

    def __init__(self, model: ToyModel, beam_width: int, max_length: int):
        self.model = model
        self.beam_width = beam_width
        self.max_length = max_length
        self.shapes: list[tuple[int, ...]] = []

    @property
    def calls(self) -> int:
        return len(self.shapes)

    def __call__(self, prefixes) -> np.ndarray:
        try:
            array = np.asarray(prefixes)
        except ValueError:
            self.shapes.append(())
            raise ValueError("step_fn takes one rectangular int array of prefixes (k, t)") from None
        self.shapes.append(array.shape)
        if array.dtype.kind not in "iu":
            raise TypeError(f"step_fn takes an int array of prefixes, got dtype {array.dtype}")
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(
                f"step_fn takes a (k, t) array with k, t >= 1, got shape {array.shape}"
            )
        k, t = array.shape
        if self.calls > self.max_length:  # refused unrecorded: an endless loop stays small
            raise ValueError(f"step_fn was called more than max_length={self.max_length} times")
        if k > self.beam_width:
            raise ValueError(f"step_fn got {k} prefixes, more than beam_width={self.beam_width}")
        if t > self.max_length:
            raise ValueError(
                f"a prefix of {t - 1} tokens after sos_id was queried: a hypothesis "
                f"of max_length={self.max_length} tokens is finished"
            )
        if (array[:, 0] != self.model.sos_id).any():
            raise ValueError(f"every prefix must start with sos_id={self.model.sos_id}")
        body = array[:, 1:]
        if ((body < 0) | (body >= self.model.vocab_size)).any():
            raise IndexError(f"token ids after sos_id must be in [0, {self.model.vocab_size})")
        return np.stack([self.model.log_probs(tuple(int(x) for x in row)) for row in body])


# -- searches done here ---------------------------------------------------------------------
def sequence_log_prob(model: ToyModel, tokens: Tokens) -> float:
    """The sum of the step log-probabilities of ``tokens``, left to right."""
    total = 0.0
    for i, token in enumerate(tokens):
        total += float(model.log_probs(tokens[:i])[token])
    return total


def score(tokens: Tokens, log_prob: float, length_penalty: float) -> float:
    """The contract's ranking key."""
    return log_prob / len(tokens) ** length_penalty


def walk(model: ToyModel, max_length: int) -> Iterator[tuple[Tokens, float, bool]]:
    """Every sequence the model can produce up to ``max_length``: (tokens, log_prob, finished)."""
    stack: list[tuple[Tokens, float]] = [((), 0.0)]
    while stack:
        prefix, log_prob = stack.pop()
        row = model.log_probs(prefix)
        for token in range(model.vocab_size):
            tokens = (*prefix, token)
            total = log_prob + float(row[token])
            finished = token == model.eos_id or len(tokens) == max_length
            yield tokens, total, finished
            if not finished:
                stack.append((tokens, total))


def all_finished(model: ToyModel, max_length: int) -> dict[Tokens, float]:
    """Every finished hypothesis and its log-probability: the exhaustive search."""
    return {tokens: lp for tokens, lp, finished in walk(model, max_length) if finished}


def ranked(hypotheses: dict[Tokens, float], length_penalty: float) -> list[Tokens]:
    return sorted(hypotheses, key=lambda t: score(t, hypotheses[t], length_penalty), reverse=True)


def greedy(model: ToyModel, max_length: int) -> tuple[Tokens, float]:
    """The greedy decode, lowest id on ties (``np.argmax`` takes the first maximum)."""
    tokens: Tokens = ()
    while len(tokens) < max_length and (not tokens or tokens[-1] != model.eos_id):
        tokens = (*tokens, int(np.argmax(model.log_probs(tokens))))
    return tokens, sequence_log_prob(model, tokens)


def wide_enough(model: ToyModel, max_length: int) -> int:
    """A beam width at which nothing is ever pruned."""
    return model.vocab_size**max_length


# -- models with a known answer -------------------------------------------------------------
def _peaked(rng: np.random.Generator, vocab_size: int, token: int, p: float) -> np.ndarray:
    probs = np.empty(vocab_size)
    probs[token] = p
    rest = [t for t in range(vocab_size) if t != token]
    probs[rest] = (1 - p) * (0.2 + rng.dirichlet(np.ones(len(rest)))) / (0.2 * len(rest) + 1)
    return probs


def greedy_trap(rng: np.random.Generator) -> tuple[ToyModel, int, Tokens]:
    """A model on which greedy decoding misses the best sequence and a beam of 2 finds it.

    After an optional likely first token (the stem), token ``a`` is the most likely and
    ``b`` the second; everything after ``a`` is nearly flat, while after ``b`` a chain of
    likely tokens gives the best sequence overall. ``trap_is_sound`` then checks that
    the best sequence's prefix is always among the two best candidates of its step —
    counting finished hypotheses too, so that it holds whether they leave the beam or
    keep competing for a slot.
    """
    while True:
        vocab_size = int(rng.integers(3, 7))
        max_length = int(rng.integers(3, 6))
        if vocab_size**max_length > 1300:
            continue
        fallback = RandomModel(rng, vocab_size, order=None)
        eos = fallback.eos_id
        words = [t for t in range(vocab_size) if t != eos]
        stem = tuple(int(t) for t in rng.choice(words, int(rng.integers(0, 2))))
        a, b = (int(t) for t in rng.choice(words, 2, replace=False))
        table = {stem[:i]: _peaked(rng, vocab_size, stem[i], 0.9) for i in range(len(stem))}
        pa = rng.uniform(0.45, 0.55)
        pb = rng.uniform(0.3, min(pa - 0.05, 0.95 - pa))
        first = _peaked(rng, vocab_size, a, pa)
        others = [t for t in range(vocab_size) if t not in (a, b)]
        first[others] *= (1 - pa - pb) / first[others].sum()
        first[b] = pb
        table[stem] = first
        flat = 1 + rng.uniform(-0.1, 0.1, vocab_size)
        table[(*stem, a)] = flat / flat.sum()
        length = int(rng.integers(len(stem) + 2, max_length + 1))
        best: Tokens = (*stem, b)
        while len(best) < length:
            last = len(best) == length - 1
            token = eos if last and length < max_length else int(rng.choice(words))
            table[best] = _peaked(rng, vocab_size, token, rng.uniform(0.8, 0.92))
            best = (*best, token)
        model = TableModel("a greedy-trap model", fallback, table)
        if trap_is_sound(model, max_length, best):
            return model, max_length, best


def trap_is_sound(model: ToyModel, max_length: int, best: Tokens, margin: float = 1e-3) -> bool:
    """Greedy misses ``best``, ``best`` is the top hypothesis, and a beam of 2 keeps it."""
    nodes = list(walk(model, max_length))
    finished = {tokens: lp for tokens, lp, done in nodes if done}
    if best not in finished or greedy(model, max_length)[0] == best:
        return False
    if any(lp > finished[best] - margin for tokens, lp in finished.items() if tokens != best):
        return False
    for t in range(1, len(best) + 1):
        # Step t's candidates: the prefixes of t tokens, and finished hypotheses kept
        # from earlier steps (if they compete). At most one may beat best[:t].
        target = sequence_log_prob(model, best[:t])
        rivals = sum(
            1
            for tokens, lp, done in nodes
            if tokens != best[:t]
            and (len(tokens) == t or (done and len(tokens) < t))
            and lp > target - margin
        )
        if rivals > 1:
            return False
    return True


def length_penalty_model(rng: np.random.Generator, length_penalty: float) -> tuple[ToyModel, int]:
    """A random model whose best hypothesis changes when ranked with ``length_penalty``."""
    while True:
        vocab_size = int(rng.integers(3, 6))
        max_length = int(rng.integers(3, 5))
        if vocab_size**max_length > 300:
            continue
        model = RandomModel(rng, vocab_size, order=[1, 2, None][int(rng.integers(3))])
        finished = all_finished(model, max_length)
        plain, penalised = ranked(finished, 0.0), ranked(finished, length_penalty)
        top = [score(t, finished[t], length_penalty) for t in penalised[:2]]
        if plain[0] != penalised[0] and top[0] - top[1] > 1e-3:
            return model, max_length


# -- what comes back from the worker --------------------------------------------------------
def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def parse_hypothesis(value, where: str) -> tuple[Tokens, float]:
    """``(tokens, log_prob)`` as plain Python values, or an AssertionError saying what is off."""
    assert isinstance(value, (list, tuple)) and len(value) == 2, (
        f"{where}: a hypothesis should be a pair (tokens, log_prob), got {type(value).__name__}"
    )
    tokens, log_prob = value
    if isinstance(tokens, np.ndarray):
        assert tokens.ndim == 1 and tokens.dtype.kind in "iu", (
            f"{where}: tokens should be a list of ints, got an array of {tokens.dtype} "
            f"with shape {tokens.shape}"
        )
        tokens = tokens.tolist()
    assert isinstance(tokens, (list, tuple)) and all(_is_int(t) for t in tokens), (
        f"{where}: tokens should be a list of ints"
    )
    if isinstance(log_prob, np.ndarray) and log_prob.shape == ():
        log_prob = log_prob.item()
    assert isinstance(log_prob, (float, int, np.floating, np.integer)) and not isinstance(
        log_prob, (bool, np.bool_)
    ), f"{where}: log_prob should be a float, got {type(log_prob).__name__}"
    return tuple(int(t) for t in tokens), float(log_prob)


def parse_hypotheses(value, where: str) -> list[tuple[Tokens, float]]:
    assert isinstance(value, (list, tuple)), (
        f"{where}: beam_search should return a list of (tokens, log_prob), "
        f"got {type(value).__name__}"
    )
    return [parse_hypothesis(item, where) for item in value]


def check_hypothesis(
    model: ToyModel, tokens: Tokens, log_prob: float, max_length: int, case: str
) -> None:
    """One hypothesis: no sos_id, finished, never extended after eos, the right log_prob."""
    shown = list(tokens)
    assert tokens, f"{case}: a hypothesis has no tokens"
    assert model.sos_id not in tokens, (
        f"{case}: hypothesis {shown} holds sos_id: tokens must exclude sos_id"
    )
    assert all(0 <= t < model.vocab_size for t in tokens), (
        f"{case}: hypothesis {shown} holds ids outside the vocabulary"
    )
    assert len(tokens) <= max_length, f"{case}: hypothesis {shown} is longer than max_length"
    assert model.eos_id not in tokens[:-1], (
        f"{case}: hypothesis {shown} goes on after eos_id: finished hypotheses are never extended"
    )
    assert tokens[-1] == model.eos_id or len(tokens) == max_length, (
        f"{case}: hypothesis {shown} is not finished (it neither ends with eos_id nor holds "
        "max_length tokens)"
    )
    assert math.isclose(
        log_prob, sequence_log_prob(model, tokens), rel_tol=LOG_PROB_TOL, abs_tol=LOG_PROB_TOL
    ), (
        f"{case}: hypothesis {shown} has log_prob {log_prob:.6f}, which is not the sum of "
        "the step log-probabilities of its tokens"
    )


def check_beam(
    model: ToyModel,
    hypotheses: list[tuple[Tokens, float]],
    beam_width: int,
    max_length: int,
    length_penalty: float,
    case: str,
) -> None:
    """What the contract fixes for any beam: count, distinct, well formed, best first."""
    assert 1 <= len(hypotheses) <= beam_width, (
        f"{case}: beam_search returned {len(hypotheses)} hypotheses; it should return "
        "between 1 and beam_width"
    )
    for tokens, log_prob in hypotheses:
        check_hypothesis(model, tokens, log_prob, max_length, case)
    assert len({tokens for tokens, _ in hypotheses}) == len(hypotheses), (
        f"{case}: the hypotheses are not distinct"
    )
    scores = [score(tokens, lp, length_penalty) for tokens, lp in hypotheses]
    assert all(s >= t - 1e-9 * (1 + abs(t)) for s, t in zip(scores, scores[1:], strict=False)), (
        f"{case}: the hypotheses are not sorted best first by "
        "log_prob / len(tokens) ** length_penalty"
    )
