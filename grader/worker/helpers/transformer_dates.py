"""Worker-side code of the Transformer exercise: what a model is built of."""

from __future__ import annotations


def attention_layers(model) -> int:
    """How many ``MultiHeadAttention`` layers a Keras model holds, nested ones included
    (inside custom layers and inner models: Keras's own layer walk). Recurrent layers
    are the generic ``has_recurrent_layer``'s job."""
    import keras

    return sum(
        isinstance(layer, keras.layers.MultiHeadAttention) for layer in model._flatten_layers()
    )
