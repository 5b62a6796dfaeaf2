"""Hidden tests of the sampled softmax exercise (15 points), on fresh random inputs.

Inputs are drawn here from this run's seed. The candidates come from TensorFlow's
samplers and TensorFlow's own loss is computed in the ``reference`` worker (no student
code there, no TensorFlow here); the student's worker gets the same inputs and triple.
Expected values stay in this process.
"""

import numpy as np
import pytest

from .support import (
    TASK_BATCH,
    TASK_CLASSES,
    TASK_DIM,
    TASK_EPOCHS,
    TASK_SAMPLED,
    TASK_TEST,
    TASK_TRAIN,
    accidental_hits,
    exact_cross_entropy,
    forbidden_uses,
    many_class_task,
    random_problem,
)

TOLERANCE = 1e-4  # the contract's "equal to 1e-4"
ACCURACY_THRESHOLD = 0.3  # see tests/exercises/sampled_softmax/calibration.md
FIT_DEADLINE_S = 90


def sampled_values(reference, sampler, problem, num_sampled, rng):
    """A TensorFlow sampler's triple for the problem's labels, drawn in the reference worker."""
    return reference.helper("sampled_softmax.sample_candidates")(
        sampler,
        problem["labels"],
        num_sampled,
        len(problem["weights"]),
        int(rng.integers(2**31 - 1)),
    )


def tf_loss(reference, problem, values, remove):
    return reference.helper("sampled_softmax.tf_sampled_softmax_loss")(
        problem["weights"], problem["biases"], problem["labels"], problem["inputs"], values, remove
    )


def student_loss(student, problem, values, remove):
    return student.sampled_softmax.sampled_softmax_loss(
        problem["weights"],
        problem["biases"],
        problem["labels"],
        problem["inputs"],
        values,
        remove_accidental_hits=remove,
    )


def assert_close(loss, expected, what):
    batch = len(expected)
    assert isinstance(loss, np.ndarray) and loss.shape == (batch,), (
        f"{what}: the loss should be a float32 tensor of shape ({batch},) (one per example), "
        f"got {getattr(loss, 'shape', type(loss).__name__)}"
    )
    assert loss.dtype == np.float32, f"{what}: the loss should be float32, got {loss.dtype}"
    off = ~np.isclose(loss, expected, rtol=TOLERANCE, atol=TOLERANCE)
    assert not off.any(), (
        f"{what}: differs from the expected loss by more than 1e-4 on {off.sum()} of "
        f"{batch} examples"
    )


def compare_with_tf(
    student, reference, rng, sampler, shape, remove, label_high=None, want_hits=None
):
    """One random problem, one sampled triple, the student's loss against TensorFlow's.

    ``want_hits``: redraw until the candidates do (True) or do not (False) hold a row's
    own label. ``label_high``: labels below it only (low ids are frequent candidates).
    """
    num_classes, dim, batch, num_sampled = shape
    for _ in range(50):
        problem = random_problem(rng, num_classes, dim, batch, label_high)
        values = sampled_values(reference, sampler, problem, num_sampled, rng)
        hits = accidental_hits(problem["labels"], values[0])
        if want_hits is None or (hits > 0) == want_hits:
            break
    else:
        raise RuntimeError(f"grader: no draw with want_hits={want_hits} for {sampler} {shape}")
    expected = tf_loss(reference, problem, values, remove)
    what = (
        f"{sampler} sampler, {num_classes} classes, batch {batch}, {num_sampled} "
        f"candidates, remove_accidental_hits={remove}"
    )
    assert_close(student_loss(student, problem, values, remove), expected, what)


# -- the loss against TensorFlow's ---------------------------------------------------------
SHAPES = [  # (sampler, (num_classes, dim, batch, num_sampled))
    ("uniform", (50, 8, 16, 10)),
    ("log_uniform", (1000, 32, 64, 50)),
    ("log_uniform", (20, 4, 5, 19)),
    ("uniform", (300, 16, 1, 1)),
]


@pytest.mark.points(2)
def test_matches_tf_sampled_softmax_loss(student, reference, rng):
    for sampler, shape in SHAPES:
        compare_with_tf(student, reference, rng, sampler, shape, remove=True)


@pytest.mark.points(1)
def test_matches_tf_keeping_accidental_hits(student, reference, rng):
    # Draws with hits, kept: a row's own label also counts among its negatives.
    compare_with_tf(
        student, reference, rng, "uniform", (30, 8, 24, 20), remove=False, want_hits=True
    )
    compare_with_tf(student, reference, rng, "log_uniform", (500, 16, 32, 40), remove=False)


@pytest.mark.points(2)
def test_accidental_hits(student, reference, rng):
    # Many hits: nearly every class is a candidate, or labels are frequent (low) ids.
    compare_with_tf(
        student, reference, rng, "uniform", (30, 8, 40, 25), remove=True, want_hits=True
    )
    compare_with_tf(
        student,
        reference,
        rng,
        "log_uniform",
        (200, 8, 32, 20),
        remove=True,
        label_high=5,
        want_hits=True,
    )
    # No hits in the draw: removing and keeping them must agree with TensorFlow alike.
    for remove in (True, False):
        compare_with_tf(
            student, reference, rng, "uniform", (2000, 8, 16, 20), remove=remove, want_hits=False
        )
        compare_with_tf(
            student,
            reference,
            rng,
            "log_uniform",
            (3000, 8, 16, 20),
            remove=remove,
            want_hits=False,
        )


@pytest.mark.points(1)
def test_every_class_sampled_gives_the_full_loss(student, reference, rng):
    # all_candidate_sampler: every class is a candidate, expected count 1, so log Q = 0 and,
    # with the true class removed from the candidates, the loss is the full cross-entropy.
    for num_classes, dim, batch in [(40, 8, 16), (7, 3, 5)]:
        problem = random_problem(rng, num_classes, dim, batch)
        values = sampled_values(reference, "all", problem, num_classes, rng)
        loss = student_loss(student, problem, values, remove=True)
        assert_close(
            loss,
            exact_cross_entropy(**problem),
            f"every class sampled with expected count 1 ({num_classes} classes)",
        )


# -- the full loss ---------------------------------------------------------------------------
@pytest.mark.points(2)
def test_full_softmax_loss_is_exact_cross_entropy(student, rng):
    cases = [
        (100, 16, 32, 1.0, "ordinary logits"),
        (10, 8, 6, 1.0, "ordinary logits"),
        (50, 8, 16, 30.0, "logits in the hundreds"),
    ]
    for num_classes, dim, batch, scale, what in cases:
        problem = random_problem(rng, num_classes, dim, batch, scale=scale)
        loss = student.sampled_softmax.full_softmax_loss(**problem)
        assert_close(loss, exact_cross_entropy(**problem), f"full_softmax_loss, {what}")


# -- the gradient ---------------------------------------------------------------------------
@pytest.mark.points(2)
def test_gradient_only_on_label_and_candidate_rows(student, reference, rng):
    for sampler, shape in [("log_uniform", (2000, 16, 32, 40)), ("uniform", (500, 8, 8, 30))]:
        num_classes, dim, batch, num_sampled = shape
        problem = random_problem(rng, num_classes, dim, batch)
        values = sampled_values(reference, sampler, problem, num_sampled, rng)
        result = student.helper("sampled_softmax.weights_gradient")(
            student.sampled_softmax.ref("sampled_softmax_loss"), *problem.values(), values
        )
        assert result["gradient"] is not None, (
            "no gradient flows from your loss to weights: use TensorFlow ops on them "
            "(no NumPy conversion)"
        )
        assert result["kind"] == "IndexedSlices", (
            f"the gradient with respect to weights is a dense {result['kind']}, not "
            "tf.IndexedSlices: gather the rows you need instead of computing every logit"
        )
        used = np.union1d(problem["labels"].ravel(), values[0])
        moved = np.flatnonzero(np.abs(result["gradient"]).sum(axis=1) > 0)
        stray = np.setdiff1d(moved, used)
        assert stray.size == 0, (
            f"the gradient is nonzero on {stray.size} rows of weights that are neither a "
            "label nor a candidate"
        )
        assert np.isin(problem["labels"].ravel(), moved).all(), (
            "the gradient is zero on some label rows: the true logits do not use weights"
        )


# -- no TensorFlow sampled softmax ----------------------------------------------------------
@pytest.mark.points(2)
def test_does_not_call_tf_sampled_softmax(student, student_source, reference, rng):
    uses = forbidden_uses(student_source("sampled_softmax"))
    assert not uses, (
        "write the loss from basic ops; your code reaches TensorFlow's sampled "
        "softmax: " + "; ".join(uses[:3])
    )
    problem = random_problem(rng, 100, 8, 8)
    values = sampled_values(reference, "log_uniform", problem, 10, rng)
    calls = student.helper("sampled_softmax.tf_sampled_logits_calls")(
        student.sampled_softmax.ref("sampled_softmax_loss"), *problem.values(), values
    )
    assert calls == 0, "your sampled_softmax_loss runs tf.nn.sampled_softmax_loss's own code"


# -- the model ------------------------------------------------------------------------------
def build_model(student, input_dim, num_classes, num_sampled):
    build = student.sampled_softmax.build_sampled_softmax_model.options(keep=True, timeout=60)
    return build(input_dim, num_classes, num_sampled)


@pytest.mark.points(1)
def test_predict_returns_probabilities(student, rng):
    num_classes, dim = int(rng.integers(200, 400)), int(rng.integers(5, 20))
    model = build_model(student, dim, num_classes, 10)
    X = rng.normal(size=(33, dim)).astype(np.float32)
    probs = model.predict(X, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (33, num_classes), (
        f"predict should return (n, num_classes) = (33, {num_classes}), "
        f"got {getattr(probs, 'shape', type(probs).__name__)}"
    )
    assert np.isfinite(probs).all() and (probs >= 0).all(), (
        "predict should return probabilities: finite and nonnegative"
    )
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-3), (
        "predict should return probabilities over all classes: each row must sum to 1"
    )


@pytest.mark.points(1)
def test_fit_learns_many_classes(student, rng):
    X, y, X_test, y_test = many_class_task(rng)
    model = build_model(student, TASK_DIM, TASK_CLASSES, TASK_SAMPLED)
    student.helper("sampled_softmax.fit").options(timeout=FIT_DEADLINE_S)(
        model, X, y, TASK_EPOCHS, TASK_BATCH
    )
    probs = model.predict(X_test, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (TASK_TEST, TASK_CLASSES), (
        "predict should return (n, num_classes) probabilities"
    )
    accuracy = float((probs.argmax(axis=1) == y_test).mean())
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"after {TASK_EPOCHS} epochs on {TASK_TRAIN} examples of {TASK_CLASSES} classes the "
        f"accuracy is {accuracy:.3f}, below {ACCURACY_THRESHOLD}: is the output layer trained?"
    )


@pytest.mark.points(1)
def test_sgd_step_changes_only_label_and_candidate_rows(student, rng):
    num_classes, dim, batch, num_sampled = 3000, 12, 32, 40
    model = build_model(student, dim, num_classes, num_sampled)
    X = rng.normal(size=(batch, dim)).astype(np.float32)
    y = rng.integers(0, num_classes, batch).astype(np.int64)
    result = student.helper("sampled_softmax.sgd_step_output_layer").options(timeout=60)(
        model, X, y, num_classes
    )
    assert "error" not in result, result.get("error")
    changed = np.abs(result["after"] - result["before"]).sum(axis=1) > 0
    if result["bias_before"] is not None:
        changed |= result["bias_after"] != result["bias_before"]
    labels = np.unique(y)
    allowed = labels.size + num_sampled
    assert changed.sum() <= allowed, (
        f"one SGD step on a batch of {batch} changed {changed.sum()} rows of the output "
        f"layer; only the labels and the {num_sampled} candidates (at most {allowed} rows) "
        "should change: train with the sampled loss, not the full softmax"
    )
    assert changed[labels].all(), "one SGD step left some label rows of the output layer unchanged"
