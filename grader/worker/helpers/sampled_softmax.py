"""Worker-side helpers of the sampled softmax exercise.

Two kinds, by the worker they run in:
- TensorFlow's own answers (``sample_candidates``, ``tf_sampled_softmax_loss``), run in the
  ``reference`` worker, which holds no student code: the trusted process stays TF-free;
- harnesses around the student's code (a gradient tape, a counter on TensorFlow's sampled
  logits, a short ``fit``, one SGD step), run in the student's worker. They return data;
  every check is made by the tests.
"""

from __future__ import annotations

import numpy as np


def sample_candidates(
    sampler: str, labels, num_sampled: int, num_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(candidates, true_expected_count, sampled_expected_count)`` triple of one of
    TensorFlow's candidate samplers (``uniform``, ``log_uniform``, ``all``), called with
    ``unique=True`` and an op seed."""
    import tensorflow as tf

    true_classes = tf.constant(np.asarray(labels, np.int64).reshape(-1, 1))
    common = dict(true_classes=true_classes, num_true=1, num_sampled=num_sampled, unique=True)
    if sampler == "uniform":
        values = tf.random.uniform_candidate_sampler(**common, range_max=num_classes, seed=seed)
    elif sampler == "log_uniform":
        values = tf.random.log_uniform_candidate_sampler(**common, range_max=num_classes, seed=seed)
    elif sampler == "all":
        values = tf.random.all_candidate_sampler(true_classes, 1, num_classes, True, seed=seed)
    else:
        raise ValueError(f"unknown sampler {sampler!r}")
    candidates, true_count, sampled_count = (v.numpy() for v in values)
    return (
        candidates.astype(np.int64),
        true_count.astype(np.float32),
        sampled_count.astype(np.float32),
    )


def tf_sampled_softmax_loss(
    weights, biases, labels, inputs, sampled_values, remove_accidental_hits: bool
) -> np.ndarray:
    """``tf.nn.sampled_softmax_loss`` on the given triple: the expected value."""
    import tensorflow as tf

    candidates = np.asarray(sampled_values[0])
    loss = tf.nn.sampled_softmax_loss(
        weights=tf.constant(weights),
        biases=tf.constant(biases),
        labels=tf.constant(np.asarray(labels, np.int64)),
        inputs=tf.constant(inputs),
        num_sampled=len(candidates),
        num_classes=len(weights),
        sampled_values=tuple(tf.constant(v) for v in sampled_values),
        remove_accidental_hits=remove_accidental_hits,
    )
    return loss.numpy()


def weights_gradient(
    loss_fn, weights, biases, labels, inputs, sampled_values, remove_accidental_hits: bool = True
) -> dict:
    """The gradient of ``sum(loss_fn(...))`` with respect to ``weights`` (a ``tf.Variable``).

    Returns ``{"kind": type of the gradient ("IndexedSlices", "EagerTensor", "None"),
    "gradient": the gradient densified to (num_classes, dim), or None}``.
    """
    import tensorflow as tf

    variable = tf.Variable(np.asarray(weights, np.float32))
    with tf.GradientTape() as tape:
        loss = loss_fn(
            variable,
            biases,
            labels,
            inputs,
            sampled_values,
            remove_accidental_hits=remove_accidental_hits,
        )
        total = tf.reduce_sum(loss)
    gradient = tape.gradient(total, variable)
    kind = type(gradient).__name__
    dense = None if gradient is None else tf.convert_to_tensor(gradient).numpy()
    return {"kind": kind, "gradient": dense}


def tf_sampled_logits_calls(loss_fn, *args, **kwargs) -> int:
    """How often TensorFlow's own sampled-logits code runs while ``loss_fn`` runs.

    ``tf.nn.sampled_softmax_loss`` (v1, v2, compat) ends in a module-level lookup of
    ``nn_impl._compute_sampled_logits``: counting calls there catches any route to it
    that static analysis of the source cannot see.
    """
    from tensorflow.python.ops import nn_impl

    original = nn_impl._compute_sampled_logits
    calls = 0

    def counting(*a, **k):
        nonlocal calls
        calls += 1
        return original(*a, **k)

    nn_impl._compute_sampled_logits = counting
    try:
        loss_fn(*args, **kwargs)
    finally:
        nn_impl._compute_sampled_logits = original
    return calls


def fit(model, X, y, epochs: int, batch_size: int) -> dict:
    """``model.fit`` without output; returns the history (plain data)."""
    history = model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def _output_variables(model, num_classes: int):
    """The output layer's kernel (and bias, if any): the trainable variables with an axis
    of ``num_classes``."""
    kernels = [
        v for v in model.trainable_variables if len(v.shape) == 2 and num_classes in tuple(v.shape)
    ]
    biases = [v for v in model.trainable_variables if tuple(v.shape) == (num_classes,)]
    return kernels, biases


def _rows(variable, num_classes: int) -> np.ndarray:
    """A kernel as (num_classes, dim), whichever way the model stores it."""
    value = np.array(variable.numpy(), copy=True)
    return value if value.shape[0] == num_classes else value.T


def sgd_step_output_layer(model, X, y, num_classes: int, learning_rate: float = 0.1) -> dict:
    """Recompile ``model`` with plain SGD (keeping its loss), train on one batch, and return
    the output layer's weights before and after, as (num_classes, dim) rows.

    Returns ``{"error": message}`` when the output layer cannot be told apart.
    """
    import keras

    kernels, biases = _output_variables(model, num_classes)
    if not kernels:
        model.predict(np.asarray(X)[:2], verbose=0)  # a lazily built model builds now
        kernels, biases = _output_variables(model, num_classes)
    if len(kernels) != 1:
        return {
            "error": f"found {len(kernels)} trainable 2-D weights with an axis of "
            f"num_classes={num_classes}; the model should have exactly one output layer"
        }
    kernel = kernels[0]
    bias = biases[0] if len(biases) == 1 else None
    before = _rows(kernel, num_classes)
    bias_before = None if bias is None else np.array(bias.numpy(), copy=True)

    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=getattr(model, "loss", None))
    model.train_on_batch(X, y)
    return {
        "before": before,
        "after": _rows(kernel, num_classes),
        "bias_before": bias_before,
        "bias_after": None if bias is None else np.array(bias.numpy(), copy=True),
    }
