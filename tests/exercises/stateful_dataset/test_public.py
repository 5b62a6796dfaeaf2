"""Public tests of the stateful dataset exercise: quick shape and behaviour checks (4 points)."""

import numpy as np
import pytest

TEXT = "To be, or not to be: that is the question.\nWhether 'tis nobler in the mind to suffer"


def first_pass(student, encoded, batch_size, n_steps) -> list:
    dataset = student.stateful_dataset.stateful_dataset.options(keep=True)(
        np.asarray(encoded, np.int32), batch_size, n_steps
    )
    return student.helper("stateful_dataset.batches")(dataset, 100)["elements"]


@pytest.mark.points(1)
def test_encode_decode_round_trip(student):
    ids, vocab = student.stateful_dataset.encode_text("Hello, World")
    assert vocab == " ,dehlorw", f"vocab should be ' ,dehlorw' (sorted, lower case), got {vocab!r}"
    assert isinstance(ids, np.ndarray) and ids.dtype == np.int32, (
        f"ids should be an int32 array, got {type(ids).__name__} {getattr(ids, 'dtype', '')}"
    )
    assert ids.tolist() == [4, 3, 5, 5, 6, 1, 0, 8, 6, 7, 5, 2], f"unexpected ids {ids.tolist()}"
    text = student.stateful_dataset.decode_ids(ids, vocab)
    assert text == "hello, world", f"decode_ids should give back 'hello, world', got {text!r}"


@pytest.mark.points(1)
def test_book_example(student):
    elements = first_pass(student, np.arange(20), batch_size=2, n_steps=3)
    expected = [
        ([[0, 1, 2], [10, 11, 12]], [[1, 2, 3], [11, 12, 13]]),
        ([[3, 4, 5], [13, 14, 15]], [[4, 5, 6], [14, 15, 16]]),
        ([[6, 7, 8], [16, 17, 18]], [[7, 8, 9], [17, 18, 19]]),
    ]
    got = [tuple(np.asarray(a).tolist() for a in element) for element in elements]
    assert got == expected, (
        f"stateful_dataset(0..19, batch_size=2, n_steps=3) should give {expected}, got {got}"
    )


@pytest.mark.points(1)
def test_dataset_shapes_and_dtypes(student):
    ids, vocab = student.stateful_dataset.encode_text(TEXT)
    batch_size, n_steps = 4, 5
    elements = first_pass(student, ids, batch_size, n_steps)
    count = (len(TEXT) // batch_size - 1) // n_steps
    assert len(elements) == count, (
        f"{len(TEXT)} tokens, batch_size=4, n_steps=5: expected {count} batches, "
        f"got {len(elements)}"
    )
    for X, Y in elements:
        assert X.shape == Y.shape == (batch_size, n_steps), (
            f"X and Y should be ({batch_size}, {n_steps}), got {X.shape} and {Y.shape}"
        )
        assert X.dtype == Y.dtype == np.int32, f"X and Y should be int32, got {X.dtype}"
        assert (X[:, 1:] == Y[:, :-1]).all(), "Y should be X shifted by one character"


@pytest.mark.points(1)
def test_model_output_shape(student):
    model = student.stateful_dataset.build_stateful_model.options(keep=True)(2, 10)
    X = np.zeros((2, 7), np.int32)
    probs = model(X)
    assert isinstance(probs, np.ndarray) and probs.shape == (2, 7, 10), (
        f"for input ids (2, 7) the model should output (2, 7, 10), got "
        f"{getattr(probs, 'shape', type(probs).__name__)}"
    )
    assert np.allclose(probs.sum(-1), 1, atol=1e-4), "each row should sum to 1 (softmax)"
