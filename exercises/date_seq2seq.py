"""Exercise: an encoder–decoder that converts "April 22, 2019" to "2019-04-22".

You build the data yourself (random dates in both formats), the id helpers that turn
strings into padded id arrays and back, and a model trained on strings the grader
gives you. The model must then convert dates it never saw.

Ids: ``date_str_to_ids`` is 0-based (``chars.index(c)``); ``prepare_date_strs`` adds
1 so that id 0 is free for padding; ``ids_to_date_strs`` reads id 0 as ``"?"``.

Randomness is always passed in: ``rng`` is a ``numpy.random.Generator``
(``rng.integers``, ``rng.choice``...). Never use ``np.random.seed`` or the global
``np.random`` functions: the same ``rng`` state must give the same dates.

Pitfalls:
- ``strftime("%B")`` depends on the locale: use ``MONTHS``;
- every training input is padded to 18 characters (the length of
  ``"September 20, 7075"``); a model that never saw a shorter input may convert
  ``"May 02, 2020"`` wrongly unless you pad it to 18 as well;
- ``model.predict`` once per output character is slow: a decoder can run one step for
  the whole batch at a time.
"""

from __future__ import annotations

import keras  # noqa: F401  (you will need it)
import numpy as np  # noqa: F401

# Provided. Do not modify.
# fmt: off
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# fmt: on
INPUT_CHARS = " ,0123456789ADFJMNOSabceghilmnoprstuvy"
OUTPUT_CHARS = "0123456789-"


def random_dates(n_dates: int, rng) -> tuple[list[str], list[str]]:
    """``n_dates`` dates drawn uniformly from 1000-01-01 to 9999-12-31, as ``(x, y)``.

    ``x`` holds inputs like ``"September 20, 7075"`` (full month name, two-digit day),
    ``y`` the same dates as ISO targets like ``"7075-09-20"``.
    """
    raise NotImplementedError("random_dates")


def date_str_to_ids(date_str: str, chars: str = INPUT_CHARS) -> list[int]:
    """``chars.index(c)`` for each character (0-based); ``ValueError`` for a character
    that is not in ``chars``."""
    raise NotImplementedError("date_str_to_ids")


def prepare_date_strs(date_strs: list[str], chars: str = INPUT_CHARS) -> np.ndarray:
    """int32 array ``(n, longest)``: ``date_str_to_ids + 1`` per string, post-padded with 0
    to the longest string of the list."""
    raise NotImplementedError("prepare_date_strs")


def ids_to_date_strs(ids, chars: str = OUTPUT_CHARS) -> list[str]:
    """For each row of ids, ``("?" + chars)[id]`` joined into a string: the inverse of
    ``prepare_date_strs`` up to padding, which reads as ``"?"``."""
    raise NotImplementedError("ids_to_date_strs")


def train_date_model(
    x_train: list[str], y_train: list[str], x_valid: list[str], y_valid: list[str]
) -> keras.Model:
    """Build and train an encoder–decoder model on these strings; return the trained model.

    Inputs look like ``x`` and targets like ``y`` of ``random_dates``. Training must
    take at most 180 s on 2 CPU cores.
    """
    raise NotImplementedError("train_date_model")


def convert_date_strs(model, date_strs: list[str]) -> list[str]:
    """Convert input-format strings to ISO strings with the model of ``train_date_model``.

    Any number of strings (one included), any input length up to 18 characters, results
    in the order of the inputs. It must reach at least 0.99 exact-match accuracy on
    fresh dates, short ones such as ``"May 02, 2020"`` included.
    """
    raise NotImplementedError("convert_date_strs")
