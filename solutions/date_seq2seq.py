"""Reference solution: dates as "April 22, 2019" -> "2019-04-22" with an encoder–decoder LSTM.

Training uses teacher forcing (the decoder reads the target shifted by a start token)
with large batches and a decaying learning rate; inference runs the decoder cell once
per output step for the whole batch, inside one traced function.
"""

from __future__ import annotations

from datetime import date

import keras
import numpy as np
import tensorflow as tf

# fmt: off
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# fmt: on
INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"

INPUT_LENGTH = len("September 30, 9999")  # the longest input: every input is padded to it
OUTPUT_LENGTH = len("9999-12-30")
SOS_ID = len(OUTPUT_CHARS) + 1  # ids 1..11 are characters, 0 is padding

FIRST_DAY = date(1000, 1, 1).toordinal()
LAST_DAY = date(9999, 12, 31).toordinal()


def random_dates(n_dates: int, rng) -> tuple[list[str], list[str]]:
    """Days drawn uniformly by ordinal (not year, then month, then day)."""
    ordinals = rng.integers(FIRST_DAY, LAST_DAY + 1, size=n_dates)
    dates = [date.fromordinal(int(ordinal)) for ordinal in ordinals]
    x = [f"{MONTHS[d.month - 1]} {d.day:02d}, {d.year}" for d in dates]
    y = [d.isoformat() for d in dates]
    return x, y


def date_str_to_ids(date_str: str, chars: str = INPUT_CHARS) -> list[int]:
    return [chars.index(c) for c in date_str]  # str.index raises ValueError for unknown chars


def prepare_date_strs(date_strs: list[str], chars: str = INPUT_CHARS) -> np.ndarray:
    X = np.zeros((len(date_strs), max(map(len, date_strs), default=0)), np.int32)
    for row, date_str in enumerate(date_strs):
        X[row, : len(date_str)] = np.add(date_str_to_ids(date_str, chars), 1)
    return X


def ids_to_date_strs(ids, chars: str = OUTPUT_CHARS) -> list[str]:
    return ["".join(("?" + chars)[int(i)] for i in row) for row in ids]


def _encoder_inputs(date_strs: list[str]) -> np.ndarray:
    """Ids padded to the training length: a shorter input would end the encoder early."""
    X = prepare_date_strs(date_strs)
    return np.pad(X, [(0, 0), (0, INPUT_LENGTH - X.shape[1])])


class DateTranslator(keras.Model):
    """An LSTM encoder whose final state starts an LSTM decoder (teacher forcing)."""

    def __init__(self, units: int = 64, embedding_size: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.encoder_embedding = keras.layers.Embedding(len(INPUT_CHARS) + 1, embedding_size)
        self.encoder = keras.layers.LSTM(units, return_state=True)
        self.decoder_embedding = keras.layers.Embedding(SOS_ID + 1, embedding_size)
        self.decoder = keras.layers.LSTM(units, return_sequences=True)
        self.output_layer = keras.layers.Dense(len(OUTPUT_CHARS) + 1)  # logits

    def call(self, inputs):
        encoder_ids, decoder_ids = inputs
        _, *state = self.encoder(self.encoder_embedding(encoder_ids))
        outputs = self.decoder(self.decoder_embedding(decoder_ids), initial_state=state)
        return self.output_layer(outputs)

    @tf.function(input_signature=[tf.TensorSpec([None, INPUT_LENGTH], tf.int32)])
    def translate(self, encoder_ids):
        """Greedy decoding: one decoder step per output character, for the whole batch."""
        _, *state = self.encoder(self.encoder_embedding(encoder_ids))
        token = tf.fill(tf.shape(encoder_ids)[:1], SOS_ID)
        tokens = []
        for _ in range(OUTPUT_LENGTH):
            output, state = self.decoder.cell(self.decoder_embedding(token), state)
            token = tf.argmax(self.output_layer(output), axis=-1, output_type=tf.int32)
            tokens.append(token)
        return tf.stack(tokens, axis=1)


class _StopWhenAccurate(keras.callbacks.Callback):
    """Stop once greedy decoding converts 99.8% of the validation dates: the rest is wasted."""

    def __init__(self, X_valid: np.ndarray, Y_valid: np.ndarray, target: float = 0.998):
        super().__init__()
        self.X_valid, self.Y_valid, self.target = X_valid, Y_valid, target

    def on_epoch_end(self, epoch, logs=None):
        exact = (self.model.translate(self.X_valid).numpy() == self.Y_valid).all(axis=1)
        if exact.mean() >= self.target:
            self.model.stop_training = True


def train_date_model(
    x_train: list[str],
    y_train: list[str],
    x_valid: list[str],
    y_valid: list[str],
    epochs: int = 20,
    batch_size: int = 256,
) -> keras.Model:
    """Few but cheap steps: a small LSTM (64 units), batches of 256, a whole epoch per
    traced call, Adam cosine-decayed over at most 20 epochs (10 cut an unlucky start
    short at 0.94), a stop once greedy decoding gets 99.8% of validation dates right."""
    X = _encoder_inputs(x_train)
    Y = prepare_date_strs(y_train, OUTPUT_CHARS)
    decoder_inputs = np.concatenate([np.full((len(Y), 1), SOS_ID, np.int32), Y[:, :-1]], axis=1)
    train_set = (
        tf.data.Dataset.from_tensor_slices(((X, decoder_inputs), Y))
        .shuffle(len(X))
        .batch(batch_size, drop_remainder=True)
        .prefetch(2)
    )
    steps_per_epoch = len(X) // batch_size
    learning_rate = keras.optimizers.schedules.CosineDecay(
        0.02, epochs * steps_per_epoch, alpha=0.02
    )
    model = DateTranslator()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=steps_per_epoch,
    )
    stop = _StopWhenAccurate(_encoder_inputs(x_valid), prepare_date_strs(y_valid, OUTPUT_CHARS))
    model.fit(train_set, epochs=epochs, callbacks=[stop], shuffle=False, verbose=0)
    return model


def convert_date_strs(model, date_strs: list[str]) -> list[str]:
    """One traced greedy decode of the whole batch, inputs padded to 18 as in training."""
    return ids_to_date_strs(model.translate(_encoder_inputs(date_strs)).numpy())
