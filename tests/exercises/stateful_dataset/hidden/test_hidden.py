"""Hidden tests of the stateful dataset exercise (16 points) on fresh texts and sizes.

Texts, batch sizes and n_steps come from this run's seed; every expected value is
computed here (``support``) and the student's worker gets only the
inputs. The dataset tests mostly send position-coded texts (``encoded[j] == j``): each
id then says where in the text it was read, so each test checks one property of the
contract's layout and its message can say which. The contract leaves the placement of
the parts open (equal parts or ``np.array_split`` as in the book), so no test pins it.
The model tests train on the tests' own batches, so a wrong dataset costs no model
points (and the reverse).
"""

import numpy as np
import pytest

from grader.sandbox.client import StudentError

from .support import (
    as_pairs,
    cross_entropy,
    encode,
    expected_batches,
    expected_count,
    grader_layers,
    layout_cases,
    periodic_ids,
    random_text,
)

# The training task (calibration: tests/exercises/stateful_dataset/calibration.md).
# Windows of 3 steps: a model without state across batches guesses the first step of
# every window from one character, so its loss stays above log(2) / 3 = 0.23.
TRAIN_BATCH, TRAIN_STEPS, TRAIN_BATCHES, TRAIN_EPOCHS = 4, 3, 40, 6
TRAIN_UNITS, TRAIN_LEARNING_RATE = 64, 0.01
LOSS_BOUND = 0.1  # nats per character
FIT_DEADLINE_S = 120


def describe(length: int, batch_size: int, n_steps: int) -> str:
    return f"len(encoded)={length}, batch_size={batch_size}, n_steps={n_steps}"


def read_dataset(student, encoded: np.ndarray, batch_size: int, n_steps: int, dataset=None) -> dict:
    """One pass over the student's dataset (built now unless given), a few elements past
    the expected count at most."""
    if dataset is None:
        dataset = student.stateful_dataset.stateful_dataset.options(keep=True)(
            encoded, batch_size, n_steps
        )
    limit = expected_count(len(encoded), batch_size, n_steps) + 3
    return student.helper("stateful_dataset.batches")(dataset, limit)


@pytest.fixture(scope="module")
def position_coded(student, run_seed) -> dict:
    """``{case: one pass, or the error the student's code raised}`` for fresh cases, on
    texts with ``encoded[j] == j``."""
    rng = np.random.default_rng([run_seed, 101])
    found = {}
    for length, batch_size, n_steps in layout_cases(rng):
        encoded = np.arange(length, dtype=np.int32)
        try:
            found[length, batch_size, n_steps] = read_dataset(
                student, encoded, batch_size, n_steps
            )["elements"]
        except StudentError as error:
            found[length, batch_size, n_steps] = error
    return found


def passes(position_coded: dict):
    """``(case, where, elements)`` for each position-coded case; an AssertionError (with a
    message) for a case where the student's code raised."""
    for case, elements in position_coded.items():
        where = describe(*case)
        assert not isinstance(elements, StudentError), (
            f"{where}: stateful_dataset raised {elements}"
        )
        yield case, where, elements


# -- encoding ------------------------------------------------------------------------------
@pytest.mark.points(1)
def test_encode_and_decode_fresh_texts(student, rng):
    for length in (1, 40, 500):
        text = random_text(rng, length)
        ids, vocab = student.stateful_dataset.encode_text(text)
        expected_ids, expected_vocab = encode(text)
        assert isinstance(vocab, str) and vocab == expected_vocab, (
            "vocab should be the sorted string of the distinct characters of text.lower()"
        )
        assert isinstance(ids, np.ndarray) and ids.dtype == np.int32, (
            "ids should be an int32 NumPy array"
        )
        assert ids.shape == (len(text),) and np.array_equal(ids, expected_ids), (
            "ids should satisfy vocab[ids[i]] == text.lower()[i] for every i"
        )
        decoded = student.stateful_dataset.decode_ids(ids, vocab)
        assert decoded == text.lower(), "decode_ids(encode_text(text)) should give text.lower()"
    some = rng.integers(0, len(vocab), 30)
    for ids in (some.tolist(), some.astype(np.int64), some[:1].astype(np.int32)):
        assert student.stateful_dataset.decode_ids(ids, vocab) == "".join(vocab[i] for i in ids), (
            "decode_ids should decode any sequence of ids (a list or an array)"
        )


# -- the dataset's layout ----------------------------------------------------------------------
@pytest.mark.points(2)
def test_rows_are_contiguous_slices_and_y_is_x_shifted(position_coded):
    # Longest rows first: a row of one token is always contiguous.
    for _, where, elements in sorted(passes(position_coded), key=lambda item: -item[0][2]):
        for k, (X, Y) in enumerate(as_pairs(elements, where)):
            assert X.shape == Y.shape, f"{where}: X and Y of batch {k} differ in shape"
            for i, row in enumerate(X):
                assert (np.diff(row) == 1).all(), (
                    f"{where}: row {i} of batch {k} is not a contiguous slice of the text"
                )
            assert np.array_equal(Y, X + 1), (
                f"{where}: Y of batch {k} is not X shifted by one character (Y = window[1:])"
            )


@pytest.mark.points(2)
def test_rows_continue_across_batches_from_parts_in_order(position_coded):
    for _, where, elements in passes(position_coded):
        pairs = as_pairs(elements, where)
        assert pairs, f"{where}: the dataset is empty"
        for k in range(1, len(pairs)):
            previous, current = pairs[k - 1][0], pairs[k][0]
            assert previous.shape == current.shape, f"{where}: batches differ in shape"
            for i in range(len(current)):
                assert current[i, 0] == previous[i, -1] + 1, (
                    f"{where}: row {i} of batch {k} does not start where row {i} of batch "
                    f"{k - 1} stopped (windows of n_steps + 1 with shift n_steps)"
                )
        starts = pairs[0][0][:, 0]
        assert (np.diff(starts) > 0).all(), (
            f"{where}: the rows of a batch should come from parts in text order"
        )
        last_read = [max(int(Y[i].max()) for _, Y in pairs) for i in range(len(starts))]
        assert all(last_read[i] < starts[i + 1] for i in range(len(starts) - 1)), (
            f"{where}: the parts overlap: row i reads text that row i + 1 reads too"
        )


@pytest.mark.points(2)
def test_number_of_batches_and_every_batch_full(position_coded):
    for (length, batch_size, n_steps), where, elements in passes(position_coded):
        count = expected_count(length, batch_size, n_steps)
        assert len(elements) == count, (
            f"{where}: the dataset should give (len(encoded) // batch_size - 1) // n_steps "
            f"batches, it gave {len(elements)}{' or more' if len(elements) > count else ''}"
        )
        for k, (X, Y) in enumerate(as_pairs(elements, where)):
            assert X.shape == Y.shape == (batch_size, n_steps), (
                f"{where}: batch {k} is {X.shape}, every batch should be full (batch_size, n_steps)"
            )
            assert X.dtype == Y.dtype == np.int32, f"{where}: X and Y should be int32"


@pytest.mark.points(1)
def test_batches_hold_the_text_itself(student, rng, position_coded):
    # The position-coded pass of the same sizes says where each id was read: on a real
    # text the batches must hold the text's ids read at those places.
    for (length, batch_size, n_steps), where, positions in passes(position_coded):
        encoded, _ = encode(random_text(rng, length, "abcdefghij \n"))
        read = read_dataset(student, encoded, batch_size, n_steps)["elements"]
        pairs, places = as_pairs(read, where), as_pairs(positions, where)
        assert len(pairs) == len(places), (
            f"{where}: a real text gave another number of batches than a text of the same length"
        )
        for k, ((x, y), (px, py)) in enumerate(zip(pairs, places, strict=True)):
            inside = all(
                np.issubdtype(p.dtype, np.integer) and p.size and 0 <= p.min() <= p.max() < length
                for p in (px, py)
            )
            assert inside and np.array_equal(x, encoded[px]) and np.array_equal(y, encoded[py]), (
                f"{where}: batch {k} of a real text does not hold the text's own ids: X and "
                "Y should be slices of encoded itself (Y = window[1:], not X + 1)"
            )


@pytest.mark.points(1)
def test_two_passes_give_the_same_batches(student, rng):
    cases = layout_cases(rng)
    for length, batch_size, n_steps in (cases[3], cases[5]):
        where = describe(length, batch_size, n_steps)
        encoded, _ = encode(random_text(rng, length))
        dataset = student.stateful_dataset.stateful_dataset.options(keep=True)(
            encoded, batch_size, n_steps
        )
        first, second = (
            read_dataset(student, encoded, batch_size, n_steps, dataset) for _ in range(2)
        )
        assert first["is_dataset"], f"{where}: stateful_dataset should return a tf.data.Dataset"
        first, second = as_pairs(first["elements"], where), as_pairs(second["elements"], where)
        assert len(second) == len(first), (
            f"{where}: the second pass over the dataset gave {len(second)} batches, the "
            f"first {len(first)}: one pass is one epoch, every pass must give the same batches"
        )
        assert all(
            np.array_equal(a, c) and np.array_equal(b, d)
            for (a, b), (c, d) in zip(first, second, strict=True)
        ), f"{where}: the second pass gave different batches from the first"


@pytest.mark.points(1)
def test_bad_arguments_raise_value_error(student, rng):
    batch_size, n_steps = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    short = batch_size * (n_steps + 1) - 1  # one token short of one batch
    bad = [
        (50, 0, 3, "batch_size=0"),
        (50, -int(rng.integers(1, 4)), 3, "a negative batch_size"),
        (50, 2, 0, "n_steps=0"),
        (50, 2, -int(rng.integers(1, 4)), "a negative n_steps"),
        (short, batch_size, n_steps, "a text too short for one batch"),
        (n_steps, 1, n_steps, "a text too short for one batch"),
        (0, 1, 1, "an empty text"),
    ]
    make = student.stateful_dataset.stateful_dataset.options(keep=True)
    for length, b, t, what in bad:
        encoded = rng.integers(0, 10, length).astype(np.int32)
        with pytest.raises(StudentError) as raised:
            make(encoded, b, t)
            raise AssertionError(f"stateful_dataset should raise ValueError for {what}")
        assert raised.value.type_name == "ValueError", (
            f"stateful_dataset raised {raised.value.type_name} for {what}, not ValueError"
        )
    fits = batch_size * (n_steps + 1)
    elements = read_dataset(student, np.arange(fits, dtype=np.int32), batch_size, n_steps)
    assert len(elements["elements"]) == 1, (
        f"{describe(fits, batch_size, n_steps)}: a text of batch_size * (n_steps + 1) tokens "
        "fills exactly one batch"
    )


# -- the model --------------------------------------------------------------------------------
@pytest.mark.points(1)
def test_model_fixed_batch_size_shapes_and_probabilities(student, rng):
    batch_size, vocab_size = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    model = student.stateful_dataset.build_stateful_model.options(keep=True)(
        batch_size, vocab_size, units=32
    )
    for steps in (1, int(rng.integers(2, 9)), int(rng.integers(20, 40))):
        X = rng.integers(0, vocab_size, (batch_size, steps)).astype(np.int32)
        probs = model(X)
        assert isinstance(probs, np.ndarray) and probs.shape == (batch_size, steps, vocab_size), (
            f"for input ids of shape {X.shape} the model should output "
            f"{(batch_size, steps, vocab_size)}, got {getattr(probs, 'shape', type(probs))}"
        )
        assert (probs >= 0).all() and np.allclose(probs.sum(-1), 1, atol=1e-4), (
            "the outputs should be next-character probabilities: each row sums to 1"
        )
    facts = student.helper("stateful_dataset.model_facts")(model)
    fixed = facts["input_batch"] == batch_size or (
        facts["input_batch"] is None
        and facts["state_batches"]
        and set(facts["state_batches"]) == {batch_size}
    )
    assert fixed, (
        "the model's batch size should be fixed to batch_size: start it with "
        "keras.Input(batch_shape=(batch_size, None), dtype='int32')"
    )


@pytest.mark.points(1)
def test_model_state_carries_over_until_reset(student, rng):
    batch_size, vocab_size = int(rng.integers(2, 6)), int(rng.integers(5, 40))
    model = student.stateful_dataset.build_stateful_model.options(keep=True)(
        batch_size, vocab_size, units=32
    )
    X = rng.integers(0, vocab_size, (batch_size, 20)).astype(np.int32)
    first, second = model(X), model(X)
    assert all(
        isinstance(a, np.ndarray) and a.shape == (*X.shape, vocab_size) for a in (first, second)
    ), f"the model should map ids {X.shape} to probabilities {(*X.shape, vocab_size)}"
    assert np.abs(first - second).max() > 1e-5, (
        "called twice on the same input, the model gave the same output: its state does "
        "not carry over from one call to the next (stateful=True)"
    )
    student.stateful_dataset.reset_states(model)
    again = model(X)
    assert np.allclose(again, first, atol=1e-5), (
        "after reset_states(model) the model does not answer as it did at first"
    )


@pytest.mark.points(1)
def test_reset_states_resets_every_stateful_layer(student, rng):
    batch_size, vocab_size = int(rng.integers(2, 6)), int(rng.integers(5, 20))
    X = rng.integers(0, vocab_size, (batch_size, 10)).astype(np.int32)
    model = student.helper("stateful_dataset.sequential").options(keep=True)(
        batch_size, grader_layers(vocab_size)
    )
    report = student.helper("stateful_dataset.reset_probe")(
        student.stateful_dataset.ref("reset_states"), model, X
    )
    assert not any(report["zero_before"]), "grader error: the probe model's states are zero"
    missed = [
        name for name, zero in zip(report["layers"], report["zero_after"], strict=True) if not zero
    ]
    assert not missed, (
        f"on a model with stateful {' and '.join(report['layers'])} layers, reset_states "
        f"left the state of the {' and '.join(missed)} layer(s) as it was: reset every one"
    )


@pytest.mark.points(2)
def test_callback_resets_at_every_epoch_begin(student, rng):
    batch_size, n_steps, vocab_size = int(rng.integers(2, 5)), int(rng.integers(4, 9)), 8
    encoded = rng.integers(0, vocab_size, batch_size * (3 * n_steps + 1)).astype(np.int32)
    X, Y = expected_batches(encoded, batch_size, n_steps)
    module = student.stateful_dataset
    report = student.helper("stateful_dataset.callback_probe").options(timeout=FIT_DEADLINE_S)(
        module.ref("build_stateful_model"),
        module.ref("ResetStatesCallback"),
        grader_layers(vocab_size),
        vocab_size,
        X,
        Y,
        2,
    )
    records = report["records"]
    assert report["stateful_layers"] >= 1 and records, "grader error: nothing was observed"
    later = [r for r in records if r["event"] == "batch" and r["index"] > 0]
    assert later and not any(any(r["zero"]) for r in later), (
        "ResetStatesCallback resets the states within an epoch: the state must carry "
        "over from batch to batch, and be reset only at the beginning of every epoch"
    )
    for epoch, which in ((0, "first"), (1, "second")):
        begin = [r for r in records if r["event"] == "epoch" and r["index"] == epoch]
        assert begin and all(begin[0]["zero"]), (
            f"during a real fit of 2 epochs, ResetStatesCallback had not reset the states "
            f"at the beginning of the {which} epoch (the model had been called before "
            "fit, so its states were not zero)"
        )


@pytest.mark.points(1)
def test_short_training_lowers_the_loss(student, rng):
    vocab_size = int(rng.integers(5, 9))
    length = TRAIN_BATCH * (TRAIN_STEPS * TRAIN_BATCHES + 1)
    encoded = periodic_ids(rng, vocab_size, length)
    X, Y = expected_batches(encoded, TRAIN_BATCH, TRAIN_STEPS)
    module = student.stateful_dataset
    result = student.helper("stateful_dataset.train_and_predict").options(timeout=FIT_DEADLINE_S)(
        module.ref("build_stateful_model"),
        module.ref("ResetStatesCallback"),
        vocab_size,
        X,
        Y,
        TRAIN_EPOCHS,
        TRAIN_UNITS,
        TRAIN_LEARNING_RATE,
    )
    shape = (*X.shape, vocab_size)
    for key in ("before", "after"):
        assert np.shape(result[key]) == shape, (
            f"the model's outputs over the batches should have shape {shape}"
        )
    loss = cross_entropy(result["after"], Y)
    assert loss < LOSS_BOUND, (
        f"after {TRAIN_EPOCHS} epochs on a short periodic text in batches of "
        f"{TRAIN_STEPS} steps (compiled with Adam, learning rate {TRAIN_LEARNING_RATE}, "
        f"sparse categorical cross-entropy, with your callback), the loss is {loss:.3f}, "
        f"above {LOSS_BOUND} (it was {cross_entropy(result['before'], Y):.3f} before "
        "training): the next character depends on characters of the previous batch, "
        "which only a state carried over from batch to batch remembers"
    )
