"""Public tests of the sampled softmax exercise: shapes, dtypes, one small case (5 points)."""

import numpy as np
import pytest

# One small case: 6 classes, dim 3, a batch of 3, 3 candidates. Row 2's label (class 2) is
# also a candidate: an accidental hit.
WEIGHTS = np.array(
    [
        [0.1, -0.2, 0.3],
        [0.5, 0.0, -0.4],
        [-0.3, 0.2, 0.1],
        [0.2, 0.6, -0.1],
        [-0.5, -0.1, 0.4],
        [0.0, 0.3, 0.2],
    ],
    np.float32,
)
BIASES = np.array([0.1, -0.1, 0.0, 0.2, -0.2, 0.05], np.float32)
LABELS = np.array([[1], [4], [2]], np.int64)
INPUTS = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0], [-0.6, 0.4, 0.9]], np.float32)
SAMPLED_VALUES = (
    np.array([2, 0, 5], np.int64),
    np.array([[0.4], [0.3], [0.6]], np.float32),
    np.array([0.6, 0.5, 0.45], np.float32),
)
# Computed once with TensorFlow 2.21: tf.nn.sampled_softmax_loss(WEIGHTS, BIASES, LABELS,
# INPUTS, num_sampled=3, num_classes=6, sampled_values=SAMPLED_VALUES, ...), and
# tf.nn.sparse_softmax_cross_entropy_with_logits for the full loss.
TF_LOSS_REMOVING_HITS = [1.019418, 1.563365, 1.223081]
TF_LOSS_KEEPING_HITS = [1.019418, 1.563365, 1.481068]
FULL_LOSS = [1.485810, 2.790696, 1.644015]


def check_per_example(loss, batch, what):
    assert isinstance(loss, np.ndarray), f"{what} should return a tensor, got {type(loss)}"
    assert loss.shape == (batch,), (
        f"{what} should return one loss per example, shape ({batch},), got {loss.shape}"
    )
    assert loss.dtype == np.float32, f"{what} should return float32, got {loss.dtype}"


@pytest.mark.points(1)
def test_sampled_loss_shape_and_dtype(student):
    loss = student.sampled_softmax.sampled_softmax_loss(
        WEIGHTS, BIASES, LABELS, INPUTS, SAMPLED_VALUES
    )
    check_per_example(loss, 3, "sampled_softmax_loss")


@pytest.mark.points(1)
def test_full_loss_matches_cross_entropy(student):
    loss = student.sampled_softmax.full_softmax_loss(WEIGHTS, BIASES, LABELS, INPUTS)
    check_per_example(loss, 3, "full_softmax_loss")
    assert np.allclose(loss, FULL_LOSS, atol=1e-4), (
        f"full_softmax_loss: expected {FULL_LOSS}, got {loss.tolist()}"
    )


@pytest.mark.points(2)
def test_matches_tensorflow_on_small_case(student):
    for remove, expected in [(True, TF_LOSS_REMOVING_HITS), (False, TF_LOSS_KEEPING_HITS)]:
        loss = student.sampled_softmax.sampled_softmax_loss(
            WEIGHTS, BIASES, LABELS, INPUTS, SAMPLED_VALUES, remove_accidental_hits=remove
        )
        check_per_example(loss, 3, "sampled_softmax_loss")
        assert np.allclose(loss, expected, atol=1e-4), (
            f"with remove_accidental_hits={remove}: TensorFlow gives {expected}, "
            f"yours {np.round(loss, 6).tolist()}"
        )


@pytest.mark.points(1)
def test_model_predicts_probabilities(student):
    model = student.sampled_softmax.build_sampled_softmax_model.options(keep=True, timeout=60)(
        input_dim=4, num_classes=50, num_sampled=5
    )
    X = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    probs = model.predict(X, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (7, 50), (
        f"predict should return (7, 50) probabilities, got {getattr(probs, 'shape', probs)}"
    )
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-3), (
        f"each row of predict should sum to 1, got sums {probs.sum(axis=1).round(3).tolist()}"
    )
