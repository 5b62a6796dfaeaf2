"""One training step with sampled softmax against one with the full softmax, at 50 000
classes, measured side by side in one run and printed as a ratio.

    python bench/sampled_softmax.py                  # the reference's loss functions
    python bench/sampled_softmax.py --submission DIR # a submission's

Both models are the reference's model (a hidden Dense layer of 128 units, output weights
stored as rows ``(num_classes, 128)``, plain SGD by default); only ``compute_loss`` differs:
``sampled_softmax_loss`` over ``--num-sampled`` log-uniform candidates, or
``full_softmax_loss`` over all classes.
Steps alternate between the two so that a busy machine slows both alike; the median
step time of each is reported. Exits 1 if the speed-up is below ``--min-ratio``.
Threads pinned to 2 like a worker.

Why SGD: the sampled loss's gradient touches only the label and candidate rows, and SGD
updates just those. Adam (``--optimizer adam``) updates its moments over all 50 000 rows
on every step, the same dense work in both models, which is the optimizer's cost, not the
loss's: it shrinks the ratio (3.5-4.4x with Adam on 2 quiet cores, 11.6x with SGD).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "2")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "2")
ROOT = Path(__file__).resolve().parents[1]

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class ClassScores(keras.layers.Layer):
    """Output weights stored as rows, ``(num_classes, units)``, as the reference does."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.num_classes, input_shape[-1]))
        self.bias = self.add_weight(shape=(self.num_classes,), initializer="zeros")


class Classifier(keras.Model):
    """Hidden layer + output rows; the loss is the submission's sampled or full loss."""

    def __init__(self, module, input_dim: int, num_classes: int, num_sampled: int | None):
        super().__init__()
        self.module, self.num_classes, self.num_sampled = module, num_classes, num_sampled
        self.hidden = keras.layers.Dense(128, activation="relu")
        self.out = ClassScores(num_classes)
        self.hidden.build((None, input_dim))
        self.out.build((None, 128))

    def call(self, inputs, training=False):
        return self.hidden(inputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels = tf.reshape(tf.cast(y, tf.int64), [-1, 1])
        weights, biases = self.out.kernel, self.out.bias
        if self.num_sampled is None:
            losses = self.module.full_softmax_loss(weights, biases, labels, y_pred)
        else:
            sampled_values = tf.random.log_uniform_candidate_sampler(
                labels, 1, self.num_sampled, True, self.num_classes
            )
            losses = self.module.sampled_softmax_loss(
                weights, biases, labels, y_pred, sampled_values
            )
        return tf.reduce_mean(losses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--submission",
        default=str(ROOT / "solutions"),
        help="folder holding sampled_softmax.py (default: the reference)",
    )
    parser.add_argument("--classes", type=int, default=50_000)
    parser.add_argument("--num-sampled", type=int, default=64)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--input-dim", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each model")
    parser.add_argument("--min-ratio", type=float, default=5.0)
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.submission).resolve()))
    import sampled_softmax

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    batches = [
        (
            rng.normal(size=(args.batch, args.input_dim)).astype(np.float32),
            rng.integers(0, args.classes, args.batch),
        )
        for _ in range(4)
    ]
    models = {}
    for name, num_sampled in [("sampled", args.num_sampled), ("full", None)]:
        model = Classifier(sampled_softmax, args.input_dim, args.classes, num_sampled)
        optimizer = {"sgd": keras.optimizers.SGD(0.1), "adam": keras.optimizers.Adam(1e-3)}
        model.compile(optimizer=optimizer[args.optimizer])
        for X, y in batches[:3]:  # trace and warm up
            model.train_on_batch(X, y)
        models[name] = model

    times = {name: [] for name in models}
    for step in range(args.steps):
        X, y = batches[step % len(batches)]
        for name, model in models.items():
            started = time.perf_counter()
            model.train_on_batch(X, y)
            times[name].append(time.perf_counter() - started)

    sampled, full = (statistics.median(times[name]) * 1e3 for name in ("sampled", "full"))
    ratio = full / sampled
    print(
        f"{args.classes} classes, batch {args.batch}, input {args.input_dim}, hidden 128, "
        f"{args.num_sampled} sampled, {args.optimizer}, {args.steps} steps each, "
        f"{os.environ['TF_NUM_INTRAOP_THREADS']} threads, tensorflow {tf.__version__}"
    )
    print(f"sampled softmax  {sampled:8.1f} ms/step (median)")
    print(f"full softmax     {full:8.1f} ms/step (median)")
    print(f"ratio full/sampled = {ratio:.1f}x  (required >= {args.min_ratio:g}x)")
    return 0 if ratio >= args.min_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
