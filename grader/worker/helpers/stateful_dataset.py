"""Worker-side helpers of the stateful dataset exercise.

They read the student's dataset, look at the states of a model's stateful layers, and
run short ``fit``s under a probe. Every result is plain data (arrays, bools, lists)
that the tests judge; nothing here decides a verdict. The tests send everything else:
the batches a ``fit`` trains on (built from their own text, so the model is judged apart
from the student's dataset) and, as a plain list of layers, the grader's own model.
"""

from __future__ import annotations

import itertools

import numpy as np


def batches(dataset, limit: int) -> dict:
    """The first ``limit`` elements of one pass over ``dataset`` (converted to arrays by
    the worker), and whether it is a ``tf.data.Dataset``. ``limit`` guards against an
    endless dataset."""
    import tensorflow as tf

    return {
        "is_dataset": isinstance(dataset, tf.data.Dataset),
        "elements": list(itertools.islice(iter(dataset), limit)),
    }


def sequential(batch_size: int, layers: list):
    """A ``keras.Sequential`` on int ids of ``batch_size`` rows, from the plain-data list
    ``[(name of a keras.layers class, its keyword arguments), ...]`` the tests send."""
    import keras

    stack = [keras.Input(batch_shape=(int(batch_size), None), dtype="int32")]
    stack += [getattr(keras.layers, name)(**kw) for name, kw in layers]
    model = keras.Sequential(stack)
    return model


# -- states -------------------------------------------------------------------------------
def _stateful(model) -> list:
    """The model's stateful recurrent layers, each once, through Keras's own layer walk."""
    import keras

    unique = {id(x): x for x in model._flatten_layers() if isinstance(x, keras.layers.RNN)}
    return [x for x in unique.values() if getattr(x, "stateful", False)]


def _state_arrays(rnn) -> list[np.ndarray]:
    import tensorflow as tf

    return [np.asarray(s) for s in tf.nest.flatten(rnn.states or [])]


def _all_zero(rnn) -> bool:
    """Whether the states of a built stateful layer are all zeros."""
    arrays = _state_arrays(rnn)
    return bool(arrays) and not any(a.any() for a in arrays)


def _zero_states(model) -> None:
    for rnn in _stateful(model):
        rnn.reset_state()


def model_facts(model) -> dict:
    """The declared input batch size (None when not fixed or unknown), and the batch
    size of each stateful layer's states (empty when the model holds none)."""
    try:
        declared = model.inputs[0].shape[0]
    except (AttributeError, IndexError, TypeError, ValueError):
        declared = None
    sizes = []
    for rnn in _stateful(model):
        arrays = _state_arrays(rnn)
        sizes.append(int(arrays[0].shape[0]) if arrays and arrays[0].ndim else None)
    return {"input_batch": None if declared is None else int(declared), "state_batches": sizes}


def reset_probe(reset_fn, model, X) -> dict:
    """Run ``model`` on ``X`` (so its states are not zero), call the student's
    ``reset_fn(model)``, and report which stateful layers are back to zero."""
    model(np.asarray(X, np.int32))
    watched = _stateful(model)
    before = [_all_zero(rnn) for rnn in watched]
    reset_fn(model)
    return {
        "layers": [type(rnn).__name__ for rnn in watched],
        "zero_before": before,
        "zero_after": [_all_zero(rnn) for rnn in watched],
    }


# -- fits under a probe -------------------------------------------------------------------
def _usable(build_fn, batch_size: int, vocab_size: int, units: int, X):
    """The student's model, when it builds, holds a stateful layer and maps ``X`` to
    ``(batch_size, T, vocab_size)``; else None."""
    try:
        candidate = build_fn(batch_size, vocab_size, units=units)
        out = np.asarray(candidate(np.asarray(X, np.int32), training=False))
    except Exception:  # noqa: BLE001 - any failure of the student's model
        return None
    fits = out.shape == (*np.shape(X), vocab_size)
    return candidate if fits and _stateful(candidate) else None


def _state_probe(watched: list):
    import keras

    class StateProbe(keras.callbacks.Callback):
        """Records, at every epoch and batch begin, which stateful layers are all zero."""

        def __init__(self):
            super().__init__()
            self.records = []

        def _record(self, event: str, index: int) -> None:
            zero = [_all_zero(rnn) for rnn in watched]
            self.records.append({"event": event, "index": int(index), "zero": zero})

        def on_epoch_begin(self, epoch, logs=None):
            self._record("epoch", epoch)

        def on_train_batch_begin(self, batch, logs=None):
            self._record("batch", batch)

    return StateProbe()


def _fit(model, X, Y, epochs: int, learning_rate: float, callbacks: list) -> None:
    """Adam and sparse categorical cross-entropy on the model's probabilities, over the
    batches ``(X[k], Y[k])`` in order."""
    import keras
    import tensorflow as tf

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy"
    )
    pairs = tf.data.Dataset.from_tensor_slices((np.asarray(X, np.int32), np.asarray(Y, np.int32)))
    model.fit(pairs, epochs=epochs, verbose=0, shuffle=False, callbacks=callbacks)


def callback_probe(
    build_fn,
    callback_class,
    fallback: list,
    vocab_size: int,
    X,
    Y,
    epochs: int = 2,
    units: int = 16,
) -> dict:
    """A real ``fit`` of ``epochs`` epochs over the batches ``(X[k], Y[k])`` with the
    student's callback, then a probe of the states.

    The student's model is used when usable, else ``sequential(batch size, fallback)``
    (so that a wrong model does not hide a right callback). The model is called once
    first so that its states are not zero when ``fit`` starts. Returns which model was
    used, its number of stateful layers, and the probe's records in order.
    """
    batch_size = int(np.shape(X)[1])
    model, used = _usable(build_fn, batch_size, vocab_size, units, X[0]), "yours"
    if model is None:
        model, used = sequential(batch_size, fallback), "grader's"
    watched = _stateful(model)
    model(np.asarray(X[-1], np.int32), training=False)
    probe = _state_probe(watched)
    _fit(model, X, Y, epochs, 1e-3, [callback_class(), probe])
    return {"model": used, "stateful_layers": len(watched), "records": probe.records}


def _outputs(model, X) -> np.ndarray:
    """The model's outputs over the batches ``X[k]`` in order, from zero states."""
    _zero_states(model)
    return np.stack([np.asarray(model(np.asarray(x, np.int32), training=False)) for x in X])


def train_and_predict(
    build_fn, callback_class, vocab_size: int, X, Y, epochs: int, units: int, learning_rate: float
) -> dict:
    """Build the student's model and fit it on the batches ``(X[k], Y[k])`` with the
    student's callback (Adam, sparse categorical cross-entropy). Returns its outputs
    over the same batches before and after training, each from zero states: the tests
    compute the loss themselves."""
    model = build_fn(int(np.shape(X)[1]), vocab_size, units=units)
    before = _outputs(model, X)
    _zero_states(model)
    _fit(model, X, Y, epochs, learning_rate, [callback_class()])
    return {"before": before, "after": _outputs(model, X)}
