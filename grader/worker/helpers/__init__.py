"""Grader code that runs inside the worker, on the student's behalf.

Tests reach these through ``submission.helper("name")``: they build objects that
cannot cross the protocol (a NumPy Generator, a dataset) from plain parameters, or
run a student's function under a harness (a gradient tape). Their results are data
like any other reply: the trusted side checks them. Exercise-specific helpers live
in a module per exercise (``submission.helper("reber.name")``).
"""

from __future__ import annotations

import numpy as np


def make_rng(seed: int) -> np.random.Generator:
    """A NumPy Generator for the student's ``rng`` arguments."""
    return np.random.default_rng(seed)


def call_many(function, times: int, *args) -> list:
    """``[function(*args) for _ in range(times)]``: one round trip for many calls."""
    return [function(*args) for _ in range(times)]


def has_recurrent_layer(model) -> bool:
    """Whether a Keras model holds a recurrent layer anywhere (Keras's own layer walk)."""
    import keras

    return any(isinstance(layer, keras.layers.RNN) for layer in model._flatten_layers())


def map_calls(function, arg_lists: list) -> list:
    """``[function(*args) for args in arg_lists]``: one round trip for many calls."""
    return [function(*args) for args in arg_lists]
