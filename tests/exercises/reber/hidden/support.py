"""The tests' own embedded Reber grammar: a recognizer and a generator, independent of
any submission (a table-driven automaton, not the book's list of transitions)."""

from __future__ import annotations

import numpy as np

CHARS = "BEPSTVX"
# The inner Reber grammar as an automaton: state -> {char: next state}; "end" accepts.
REBER_DFA = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": "end"},
}
REBER = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [("S", 2), ("X", 4)],
    [("T", 3), ("V", 5)],
    [("X", 3), ("S", 6)],
    [("P", 4), ("V", 6)],
    [("E", None)],
]
EMBEDDED = [
    [("B", 1)],
    [("T", 2), ("P", 3)],
    [(REBER, 4)],
    [(REBER, 5)],
    [("T", 6)],
    [("P", 6)],
    [("E", None)],
]


def reber_path(s: str) -> list[tuple[int, str]] | None:
    """The (state, char) steps of the inner automaton over ``s``, or None if it rejects."""
    state, path = 0, []
    for char in s:
        if state == "end" or char not in REBER_DFA[state]:
            return None
        path.append((state, char))
        state = REBER_DFA[state][char]
    return path if state == "end" else None


def accepts_reber(s: str) -> bool:
    return reber_path(s) is not None


def accepts_embedded(s: str) -> bool:
    return (
        len(s) >= 4
        and s[0] == "B"
        and s[1] in "TP"
        and s[-2] == s[1]
        and s[-1] == "E"
        and accepts_reber(s[2:-2])
    )


def random_reber(rng: np.random.Generator) -> str:
    state, out = 0, []
    while state != "end":
        options = sorted(REBER_DFA[state].items())
        char, state = options[rng.integers(len(options))]
        out.append(char)
    return "".join(out)


def random_embedded(rng: np.random.Generator) -> str:
    wrap = "TP"[rng.integers(2)]
    return f"B{wrap}{random_reber(rng)}{wrap}E"


def corrupt(s: str, rng: np.random.Generator) -> str:
    """Replace one character by another, keeping only results the grammar rejects."""
    while True:
        i = rng.integers(len(s))
        out = s[:i] + rng.choice([c for c in CHARS if c != s[i]]) + s[i + 1 :]
        if not accepts_embedded(out):
            return out


def ids(strings: list[str], width: int | None = None) -> np.ndarray:
    """Post-padded ``1 + CHARS.index`` ids, as the contract defines them."""
    width = width or max(map(len, strings))
    out = np.zeros((len(strings), width), np.int32)
    for row, s in enumerate(strings):
        out[row, : len(s)] = [1 + CHARS.index(c) for c in s]
    return out


def labelled_set(n: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    good = [random_embedded(rng) for _ in range(n // 2)]
    bad = [corrupt(random_embedded(rng), rng) for _ in range(n - n // 2)]
    y = np.array([1.0] * len(good) + [0.0] * len(bad), np.float32)
    order = rng.permutation(n)
    strings = good + bad
    return [strings[i] for i in order], y[order]


def long_range_pairs(rng: np.random.Generator, n: int, min_length: int = 20):
    """Valid long strings and the same strings with the 2nd character flipped (invalid)."""
    pairs = []
    while len(pairs) < n:
        s = random_embedded(rng)
        if len(s) >= min_length:
            flipped = s[0] + ("P" if s[1] == "T" else "T") + s[2:]
            pairs.append((s, flipped))
    return pairs


# -- other grammars: the contract's functions take any grammar ---------------------------
# One substitution can stay valid here: "AXC" and "BXC" differ in one place only.
TWIN = [[("A", 1), ("B", 1)], [("X", 2)], [("C", None)]]
# Multi-character productions, a nested grammar, a loop, and two branches that start with
# the same character (a walk cannot tell them apart by their first letter).
RICH = [
    [("ab", 1), ("a", 2)],
    [(TWIN, 3), ("c", 1)],
    [("bb", 3)],
    [("d", None), ("e", None)],
]
# Characters a corruption may use: the grammars' own and some they never produce.
OTHER_CHARS = "ABCXabcdeQZ"


def accepts(string: str, grammar) -> bool:
    """Whether ``grammar`` can produce ``string`` (any grammar of the contract's form),
    by the positions a walk can reach: a set of (position) per state, no backtracking."""

    def ends(grammar, start: int, state) -> set[int]:
        if state is None:
            return {start}
        found: set[int] = set()
        for production, next_state in grammar[state]:
            if isinstance(production, list):
                middles = ends(production, start, 0)
            else:
                middles = (
                    {start + len(production)} if string.startswith(production, start) else set()
                )
            for middle in middles:
                found |= ends(grammar, middle, next_state)
        return found

    return len(string) in ends(grammar, 0, 0)


def one_substitution_from_valid(string: str, grammar, chars: str) -> bool:
    """Whether replacing one character of ``string`` by one of ``chars`` makes it valid."""
    return any(
        accepts(string[:i] + c + string[i + 1 :], grammar)
        for i in range(len(string))
        for c in chars
        if c != string[i]
    )
