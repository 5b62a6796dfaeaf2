"""Beam search with one ``step_fn`` call per step (a submission's, by default the reference)
against a naive beam search that calls ``step_fn`` once per hypothesis, on the same toy
model in the same run, printed as a ratio with the number of ``step_fn`` calls of each.

    python bench/beam_search.py                      # NumPy toy RNN decoder
    python bench/beam_search.py --model keras        # a small Keras GRU decoder
    python bench/beam_search.py --submission DIR     # a submission's beam_search

The decoder reruns the whole prefix at every call (no cache), as a model called on
prefixes does. Decodes alternate between the two searches so that a busy machine slows
both alike; the median time per decode of each is reported (and whether their hypotheses
differ). Exits 1 if the speed-up is below ``--min-ratio``. Threads pinned to 2.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]

import numpy as np  # noqa: E402

StepFn = Callable[[np.ndarray], np.ndarray]


def numpy_decoder(vocab_size: int, units: int, seed: int) -> StepFn:
    """A random Elman RNN over the prefix, then a log-softmax over the vocabulary."""
    rng = np.random.default_rng(seed)
    embed = rng.normal(0, 1, (vocab_size + 1, units))
    recur = rng.normal(0, 1 / np.sqrt(units), (units, units))
    out = rng.normal(0, 3 / np.sqrt(units), (units, vocab_size))

    def step_fn(prefixes: np.ndarray) -> np.ndarray:
        h = np.zeros((len(prefixes), units))
        for column in prefixes.T:
            h = np.tanh(h @ recur + embed[column])
        logits = h @ out
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    return step_fn


def keras_decoder(vocab_size: int, units: int, seed: int) -> StepFn:
    """A small untrained GRU decoder (embedding, GRU, log-softmax), called on prefixes."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(vocab_size + 1, units),
            keras.layers.GRU(units),
            keras.layers.Dense(
                vocab_size, kernel_initializer=keras.initializers.RandomNormal(0, 1)
            ),
        ]
    )

    @tf.function(reduce_retracing=True)
    def log_probs(prefixes):
        return tf.nn.log_softmax(model(prefixes, training=False))

    return lambda prefixes: log_probs(tf.constant(prefixes, tf.int32)).numpy()


class Counted:
    """``step_fn`` that counts its calls."""

    def __init__(self, step_fn: StepFn):
        self.step_fn = step_fn
        self.calls = 0

    def __call__(self, prefixes: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.step_fn(prefixes)


def naive_beam_search(step_fn, sos_id, eos_id, beam_width, max_length, length_penalty=0.0):
    """The baseline: one ``step_fn`` call per live hypothesis, candidates in Python lists."""
    beam: list[tuple[list[int], float]] = [([], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for length in range(1, max_length + 1):
        candidates = []
        for tokens, log_prob in beam:
            row = step_fn(np.array([[sos_id, *tokens]], np.int32))[0]
            candidates += [(tokens + [t], log_prob + float(lp)) for t, lp in enumerate(row)]
        candidates.sort(key=lambda h: h[1], reverse=True)  # stable: lowest ids first on ties
        beam = []
        for tokens, log_prob in candidates[:beam_width]:
            done = tokens[-1] == eos_id or length == max_length
            (finished if done else beam).append((tokens, log_prob))
        if not beam:
            break
    finished.sort(key=lambda h: h[1] / len(h[0]) ** length_penalty, reverse=True)
    return finished[:beam_width]


def load_beam_search(folder: Path):
    spec = importlib.util.spec_from_file_location("beam_search", folder / "beam_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.beam_search


def same(a: list, b: list) -> bool:
    return [list(t) for t, _ in a] == [list(t) for t, _ in b] and np.allclose(
        [lp for _, lp in a], [lp for _, lp in b]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--submission",
        default=str(ROOT / "solutions"),
        help="folder holding beam_search.py (default: the reference)",
    )
    parser.add_argument("--model", choices=["numpy", "keras"], default="numpy")
    parser.add_argument("--vocab-size", type=int, default=40)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--beam-width", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=20)
    parser.add_argument("--decodes", type=int, default=20)
    parser.add_argument("--min-ratio", type=float, default=1.0)
    args = parser.parse_args()

    beam_search = load_beam_search(Path(args.submission).resolve())
    make = numpy_decoder if args.model == "numpy" else keras_decoder
    step_fn = make(args.vocab_size, args.units, seed=0)
    sos, eos = args.vocab_size, 0  # sos outside the vocabulary, as in the date converter
    searches = {"one call per step": beam_search, "one call per hypothesis": naive_beam_search}
    times: dict[str, list[float]] = {name: [] for name in searches}
    calls: dict[str, list[int]] = {name: [] for name in searches}
    differ = False
    for _ in range(args.decodes + 1):  # the first round warms up (tracing, caches)
        results = {}
        for name, search in searches.items():
            counted = Counted(step_fn)
            started = time.perf_counter()
            results[name] = search(counted, sos, eos, args.beam_width, args.max_length)
            times[name].append(time.perf_counter() - started)
            calls[name].append(counted.calls)
        differ = differ or not same(*results.values())
    medians = {name: statistics.median(t[1:]) for name, t in times.items()}
    print(
        f"{args.model} decoder, vocab {args.vocab_size}, beam_width {args.beam_width}, "
        f"max_length {args.max_length}, {args.decodes} decodes each"
    )
    for name in searches:
        print(
            f"  {name:24s} {medians[name] * 1e3:8.2f} ms/decode  "
            f"{statistics.mean(calls[name][1:]):6.1f} step_fn calls/decode"
        )
    if differ:  # allowed when finished hypotheses keep competing for a slot
        print(
            "  note: the searches returned different hypotheses (the baseline's finished "
            "hypotheses leave the beam)"
        )
    ratio = medians["one call per hypothesis"] / medians["one call per step"]
    print(f"  speed-up {ratio:.1f}x")
    return 0 if ratio >= args.min_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
