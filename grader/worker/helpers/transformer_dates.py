"""Worker-side code of the Transformer exercise: what a model is built of."""

from __future__ import annotations


def layer_kinds(model) -> dict[str, int]:
    """How many attention and recurrent layers a Keras model holds, nested ones included
    (layers inside custom layers and inner models, found by Keras's own layer walk)."""
    import keras

    layers = list(model._flatten_layers())
    return {
        "attention": sum(isinstance(layer, keras.layers.MultiHeadAttention) for layer in layers),
        "recurrent": sum(isinstance(layer, keras.layers.RNN) for layer in layers),
    }
