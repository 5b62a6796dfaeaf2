"""Exercise: sampled softmax from basic ops, and a Keras model that trains with it.

With tens of thousands of classes, the full softmax dominates training: every step
computes a logit for every class. Sampled softmax scores only the true class and a
shared sample of other classes (the *candidates*, drawn by one of TensorFlow's
candidate samplers such as ``tf.random.log_uniform_candidate_sampler(...,
unique=True)``), and corrects for how often the sampler proposes each class. At
inference the model uses the full softmax again.

``sampled_values`` is the triple a sampler returns:
``(sampled_candidates (num_sampled,), true_expected_count (batch, 1),
sampled_expected_count (num_sampled,))``. With it, ``tf.nn.sampled_softmax_loss``:
1. gathers the rows of ``weights`` and ``biases`` for the labels and the candidates
   and computes the true logits ``(batch, 1)`` and the sampled logits
   ``(batch, num_sampled)``;
2. if ``remove_accidental_hits``, removes every candidate that equals that row's own
   label (adds a huge negative number to its logit) — it is no negative for that row;
3. subtracts ``log(true_expected_count)`` from the true logits and
   ``log(sampled_expected_count)`` from the sampled logits;
4. returns the softmax cross-entropy over ``[true, sampled]`` with the true class
   first: one loss per example, not their mean.

Write it yourself: calling ``tf.nn.sampled_softmax_loss`` (any alias of it) or its
private helpers (``tensorflow.python.ops.nn_impl``) scores zero on that check.
``tf.nn.compute_accidental_hits``, a public basic op, is allowed, and so is
``tf.equal``. Never compute the logits of all classes here: ``tf.gather`` (or
``tf.nn.embedding_lookup``) the rows you need, so that TensorFlow returns the gradient
with respect to ``weights`` as a ``tf.IndexedSlices`` over those rows only.

Keras 3 notes (TensorFlow backend):
- a ``keras.Model`` subclass can override
  ``compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True)``:
  during training ``call`` can return the hidden features, and ``compute_loss`` scores
  them with your sampled loss against the output layer's weights;
- a ``Dense`` kernel is ``(units, classes)``: pass ``tf.transpose(dense.kernel)``, or
  keep the output weights as rows ``(num_classes, units)`` in a small layer of your own
  (no transpose of the whole matrix at every step, and the gradient stays sparse);
- a layer that is never called is never built: build the output layer yourself
  (``layer.build((None, units))``) if ``compute_loss`` needs its weights first.
"""

from __future__ import annotations

import keras  # noqa: F401  (you will need it)
import tensorflow as tf


def sampled_softmax_loss(
    weights, biases, labels, inputs, sampled_values, remove_accidental_hits: bool = True
) -> tf.Tensor:
    """Per-example sampled softmax loss, float32 ``(batch,)``, equal (to 1e-4) to
    ``tf.nn.sampled_softmax_loss`` with the same arguments.

    ``weights`` float32 ``(num_classes, dim)``, ``biases`` ``(num_classes,)``, ``labels``
    int64 ``(batch, 1)``, ``inputs`` ``(batch, dim)``, ``sampled_values`` the triple of a
    candidate sampler called with ``unique=True`` (the candidates are distinct).
    """
    raise NotImplementedError("sampled_softmax_loss")


def full_softmax_loss(weights, biases, labels, inputs) -> tf.Tensor:
    """The exact per-example cross-entropy over all classes, float32 ``(batch,)``.

    Must stay finite for large logits.
    """
    raise NotImplementedError("full_softmax_loss")


def build_sampled_softmax_model(input_dim: int, num_classes: int, num_sampled: int) -> keras.Model:
    """A compiled model.

    ``fit(X, y)`` (``X`` float32 ``(n, input_dim)``, ``y`` int class ids ``(n,)``) trains
    its output layer with the sampled softmax loss over ``num_sampled`` candidates per
    batch; ``predict(X)`` returns full-softmax probabilities ``(n, num_classes)``.

    The tests fit it for a few epochs only: pick an optimizer that learns fast (Adam with
    a learning rate around 1e-3 does).
    """
    raise NotImplementedError("build_sampled_softmax_model")
