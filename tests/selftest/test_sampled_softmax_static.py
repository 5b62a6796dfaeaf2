"""The sampled softmax exercise's static check (``forbidden_uses``) on many sources: every
route to TensorFlow's sampled softmax that it claims to catch, and the honest code it
must leave alone. Pure Python: no worker, no TensorFlow."""

import importlib.util

import pytest
from conftest import ROOT

SUPPORT = ROOT / "tests" / "exercises" / "sampled_softmax" / "hidden" / "support.py"


@pytest.fixture(scope="module")
def forbidden_uses():
    spec = importlib.util.spec_from_file_location("sampled_softmax_support", SUPPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.forbidden_uses


CAUGHT = {
    "attribute": "import tensorflow as tf\nf = tf.nn.sampled_softmax_loss",
    "compat v1": "import tensorflow as tf\nf = tf.compat.v1.nn.sampled_softmax_loss",
    "module alias": "import tensorflow as tf\nn = tf.nn\nf = n.sampled_softmax_loss",
    "from-import alias": "from tensorflow.nn import sampled_softmax_loss as f",
    "private helper": "from tensorflow.python.ops.nn_impl import _compute_sampled_logits",
    "private module": "import tensorflow.python.ops.nn_impl as impl",
    "private module from": "from tensorflow.python.ops import nn_impl",
    "star import": "from tensorflow.nn import *",
    "getattr literal": "import tensorflow as tf\nf = getattr(tf.nn, 'sampled_softmax_loss')",
    "getattr concat": "import tensorflow as tf\nf = getattr(tf.nn, 'sampled_' + 'softmax_loss')",
    "getattr f-string": "import tensorflow as tf\nf = getattr(tf.nn, f'sampled_softmax_loss')",
    "getattr reversed": "import tensorflow as tf\nf = getattr(tf.nn, 'ssol_xamtfos_delpmas'[::-1])",
    "getattr join": "import tensorflow as tf\n"
    "f = getattr(tf.nn, '_'.join(['sampled', 'softmax', 'loss']))",
    "name in a variable": "import tensorflow as tf\nname = 'sampled_softmax_loss'\n"
    "f = getattr(tf.nn, name)",
    "getattr computed": "import codecs\nimport tensorflow as tf\n"
    "f = getattr(tf.nn, codecs.decode('fnzcyrq_fbsgznk_ybff', 'rot13'))",
    "import_module": "import importlib\n"
    "m = importlib.import_module('tensorflow.python.ops.' + 'nn_impl')",
    "__import__": "m = __import__('tensorflow.python.ops.nn_impl')",
    "eval": "import tensorflow as tf\nf = eval('tf.nn.sampled_softmax_loss')",
}

HONEST = '''
"""Sampled softmax, like tf.nn.sampled_softmax_loss but by hand."""
import tensorflow as tf
from tensorflow import nn

__all__ = ["sampled_softmax_loss", "full_softmax_loss"]


def sampled_softmax_loss(weights, biases, labels, inputs, sampled_values,
                         remove_accidental_hits=True):
    """Equal to tf.nn.sampled_softmax_loss."""
    if len(sampled_values) != 3:
        raise ValueError("sampled_softmax_loss: sampled_values is a triple")
    hits = nn.compute_accidental_hits(labels, sampled_values[0], num_true=1)
    return hits


class Model:
    def sampled_softmax_loss(self, *args):
        return sampled_softmax_loss(*args)

    def compute_loss(self, *args):
        return self.sampled_softmax_loss(*args), getattr(self, "loss_" + "name", None)
'''


@pytest.mark.parametrize("source", CAUGHT.values(), ids=CAUGHT.keys())
def test_caught(forbidden_uses, source):
    assert forbidden_uses(source), f"not caught:\n{source}"


def test_honest_code_passes(forbidden_uses):
    assert forbidden_uses(HONEST) == []


def test_reference_and_stub_pass(forbidden_uses):
    for folder in ("solutions", "exercises"):
        assert forbidden_uses((ROOT / folder / "sampled_softmax.py").read_text()) == []


def test_unparsable_source_is_left_to_the_other_tests(forbidden_uses):
    assert forbidden_uses("def broken(:\n") == []
