"""Reference solution: sampled softmax from basic ops, and a Keras model that trains with it."""

from __future__ import annotations

import keras
import tensorflow as tf


def sampled_softmax_loss(
    weights, biases, labels, inputs, sampled_values, remove_accidental_hits: bool = True
) -> tf.Tensor:
    candidates, true_expected_count, sampled_expected_count = (
        tf.stop_gradient(v) for v in sampled_values
    )
    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    candidates = tf.cast(candidates, tf.int64)
    inputs = tf.convert_to_tensor(inputs, tf.float32)

    # Only the rows of the labels and the candidates: the gradient stays sparse.
    true_w = tf.gather(weights, labels)
    sampled_w = tf.gather(weights, candidates)
    true_logits = tf.reduce_sum(inputs * true_w, axis=1) + tf.gather(biases, labels)
    sampled_logits = tf.matmul(inputs, sampled_w, transpose_b=True) + tf.gather(biases, candidates)

    # log Q correction: a class the sampler proposes often must not win just for that.
    true_logits -= tf.math.log(tf.reshape(true_expected_count, [-1]))
    sampled_logits -= tf.math.log(sampled_expected_count)

    if remove_accidental_hits:  # a candidate equal to the row's own label is no negative
        hits = tf.equal(labels[:, None], candidates[None, :])
        sampled_logits = tf.where(hits, tf.float32.min, sampled_logits)

    logits = tf.concat([true_logits[:, None], sampled_logits], axis=1)
    return -tf.nn.log_softmax(logits)[:, 0]  # the true class sits in column 0


def full_softmax_loss(weights, biases, labels, inputs) -> tf.Tensor:
    logits = tf.matmul(tf.convert_to_tensor(inputs, tf.float32), weights, transpose_b=True)
    logits += biases
    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


class ClassScores(keras.layers.Layer):
    """The output layer: one row of ``kernel`` per class, ``(num_classes, units)``.

    Unlike a ``Dense`` kernel ``(units, classes)``, the rows are what the sampled loss
    gathers: no transpose of the whole matrix per step, and its gradient stays a
    ``tf.IndexedSlices`` over the gathered rows.
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(self.num_classes, input_shape[-1]), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.num_classes,), initializer="zeros", name="bias")

    def call(self, features):
        return tf.matmul(features, self.kernel, transpose_b=True) + self.bias


class SampledSoftmaxClassifier(keras.Model):
    """A hidden layer and an output layer over ``num_classes``.

    Training calls return the hidden features, which ``compute_loss`` scores with the
    sampled softmax over the output layer's rows; every other call returns the full
    softmax probabilities.
    """

    def __init__(
        self, input_dim: int, num_classes: int, num_sampled: int, units: int = 128, **kwargs
    ):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.num_sampled = num_sampled
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = ClassScores(num_classes)
        self.hidden.build((None, input_dim))
        self.out.build((None, units))  # used by compute_loss before any inference call

    def call(self, inputs, training=False):
        features = self.hidden(inputs)
        if training:
            return features
        return keras.ops.softmax(self.out(features))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels = tf.reshape(tf.cast(y, tf.int64), [-1, 1])
        if training:
            sampled_values = tf.random.log_uniform_candidate_sampler(
                true_classes=labels,
                num_true=1,
                num_sampled=self.num_sampled,
                unique=True,
                range_max=self.num_classes,
            )
            losses = sampled_softmax_loss(
                self.out.kernel, self.out.bias, labels, y_pred, sampled_values
            )
        else:
            losses = keras.losses.sparse_categorical_crossentropy(y, y_pred)
        return tf.reduce_mean(losses)


def build_sampled_softmax_model(input_dim: int, num_classes: int, num_sampled: int) -> keras.Model:
    model = SampledSoftmaxClassifier(input_dim, num_classes, num_sampled)
    model.compile(optimizer=keras.optimizers.Adam(0.003))
    return model
