"""Reference solution: dates as "April 22, 2019" -> "2019-04-22" with a small Transformer.

One encoder block and one decoder block (the chapter's architecture, narrower): token
embeddings plus the sinusoidal positional encoding, a padding mask on every attention
over the encoder's positions, a causal mask on the decoder's self-attention. Training
uses teacher forcing; decoding is greedy, one whole-batch model call per output step.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"
SOS_ID = len(OUTPUT_CHARS) + 1  # ids 1..11 are characters, 0 is padding

OUTPUT_LENGTH = len("9999-12-30")

# The model: small, because 10,000 dates teach little more than a copy with a lookup.
DEPTH = 64  # every token's vector, in every block
NUM_HEADS = 4  # each head is DEPTH / NUM_HEADS = 16 wide
FEED_FORWARD_UNITS = 128  # the hidden layer of each block's position-wise network

# Training: large steps, cosine-decayed over EPOCHS, and a stop once decoding is right
# (after 2 or 3 epochs: a longer decay or larger batches took twice as many).
EPOCHS = 8  # a ceiling, and the decay's horizon
BATCH_SIZE = 64
LEARNING_RATE = 3e-3  # decayed to 5% of itself by the last epoch
N_STOP_CHECK = 500  # validation dates decoded after each epoch (a quarter of a second)
STOP_ACCURACY = 0.998  # their exact match that ends training: at most one wrong


def positional_encoding(max_length: int, depth: int) -> np.ndarray:
    """The chapter's sinusoidal encoding: sin on even dimensions, cos on odd ones."""
    positions = np.arange(max_length)[:, np.newaxis]
    frequencies = 1 / 10000 ** (np.arange(0, depth, 2) / depth)
    encoding = np.zeros((max_length, depth))
    encoding[:, 0::2] = np.sin(positions * frequencies)
    encoding[:, 1::2] = np.cos(positions * frequencies)
    return encoding.astype(np.float32)


class PositionalEmbedding(keras.layers.Layer):
    """Token embedding (scaled by sqrt(depth)) plus the position's encoding."""

    def __init__(self, vocabulary_size: int, max_length: int, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth
        self.embedding = keras.layers.Embedding(vocabulary_size, depth)
        self.encoding = positional_encoding(max_length, depth)

    def call(self, ids):
        encoding = tf.constant(self.encoding)[: tf.shape(ids)[1]]
        return self.embedding(ids) * self.depth**0.5 + encoding


def _feed_forward(x):
    hidden = keras.layers.Dense(FEED_FORWARD_UNITS, activation="relu")(x)
    return keras.layers.Dense(DEPTH)(hidden)


def _add_and_normalize(x, update):
    return keras.layers.LayerNormalization()(keras.layers.Add()([x, update]))


def _attention(query, value, **masks):
    layer = keras.layers.MultiHeadAttention(NUM_HEADS, key_dim=DEPTH // NUM_HEADS)
    return layer(query, value, **masks)


def build_transformer(max_input_length: int = 18, max_output_length: int = 10) -> keras.Model:
    """``[encoder_ids (B, S), decoder_ids (B, T)]`` -> next-id probabilities ``(B, T, 12)``."""
    encoder_ids = keras.Input((None,), dtype="int32", name="encoder_ids")
    decoder_ids = keras.Input((None,), dtype="int32", name="decoder_ids")
    # True where a key is a real character: (B, 1, S) broadcasts over every query.
    keys_allowed = keras.ops.expand_dims(keras.ops.not_equal(encoder_ids, 0), axis=1)

    x = PositionalEmbedding(len(INPUT_CHARS) + 1, max_input_length, DEPTH)(encoder_ids)
    x = _add_and_normalize(x, _attention(x, x, attention_mask=keys_allowed))
    encoded = _add_and_normalize(x, _feed_forward(x))

    y = PositionalEmbedding(SOS_ID + 1, max_output_length, DEPTH)(decoder_ids)
    y = _add_and_normalize(y, _attention(y, y, use_causal_mask=True))
    y = _add_and_normalize(y, _attention(y, encoded, attention_mask=keys_allowed))
    y = _add_and_normalize(y, _feed_forward(y))
    probabilities = keras.layers.Dense(len(OUTPUT_CHARS) + 1, activation="softmax")(y)
    return keras.Model([encoder_ids, decoder_ids], probabilities)


def _ids(date_strs: list[str], chars: str) -> np.ndarray:
    """``chars.index(c) + 1`` per character, post-padded with 0 to the longest string."""
    ids = np.zeros((len(date_strs), max(map(len, date_strs))), np.int32)
    for row, date_str in enumerate(date_strs):
        ids[row, : len(date_str)] = [chars.index(c) + 1 for c in date_str]
    return ids


def _greedy_decode(model, encoder_ids: np.ndarray) -> np.ndarray:
    """The most likely id at each step, fed back; all rows in one traced call per step."""
    decoder_ids = np.full((len(encoder_ids), 1), SOS_ID, np.int32)
    for _ in range(OUTPUT_LENGTH):
        probabilities = model.predict_on_batch([encoder_ids, decoder_ids])
        next_ids = np.argmax(probabilities[:, -1], axis=-1).astype(np.int32)
        decoder_ids = np.concatenate([decoder_ids, next_ids[:, np.newaxis]], axis=1)
    return decoder_ids[:, 1:]


class _StopWhenAccurate(keras.callbacks.Callback):
    """Stop once greedy decoding converts nearly every validation date: the rest is wasted."""

    def __init__(self, encoder_ids: np.ndarray, targets: np.ndarray):
        super().__init__()
        self.encoder_ids, self.targets = encoder_ids, targets

    def on_epoch_end(self, epoch, logs=None):
        exact = (_greedy_decode(self.model, self.encoder_ids) == self.targets).all(axis=1)
        if exact.mean() >= STOP_ACCURACY:
            self.model.stop_training = True


def train_date_transformer(
    x_train: list[str], y_train: list[str], x_valid: list[str], y_valid: list[str]
) -> keras.Model:
    """Teacher forcing: the decoder reads ``SOS_ID`` and the target shifted right by one."""
    encoder_ids = _ids(x_train, INPUT_CHARS)
    targets = _ids(y_train, OUTPUT_CHARS)
    decoder_ids = np.concatenate([np.full((len(targets), 1), SOS_ID, np.int32), targets[:, :-1]], 1)
    train_set = (
        tf.data.Dataset.from_tensor_slices(((encoder_ids, decoder_ids), targets))
        .shuffle(len(targets))
        .batch(BATCH_SIZE)
        .prefetch(2)
    )
    steps = EPOCHS * len(train_set)
    learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps, alpha=0.05)
    model = build_transformer()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=len(train_set),
    )
    checked = slice(N_STOP_CHECK)
    stop = _StopWhenAccurate(
        _ids(x_valid[checked], INPUT_CHARS), _ids(y_valid[checked], OUTPUT_CHARS)
    )
    model.fit(train_set, epochs=EPOCHS, callbacks=[stop], verbose=0)
    return model


def convert_date_strs(model, date_strs: list[str]) -> list[str]:
    """Greedy decoding of the whole batch; id 0 (padding) reads as "?"."""
    decoded = _greedy_decode(model, _ids(date_strs, INPUT_CHARS))
    return ["".join(("?" + OUTPUT_CHARS)[i] for i in row) for row in decoded]
