"""Hidden tests of the beam_search exercise (15 points): searches over toy language models.

The models live here, in the trusted process (``support``): the student's
code receives a ``step_fn`` that calls back into this process, which answers with the
model's log-probabilities and counts every call itself. Every expected value (the
exhaustive top list, the greedy decode, each sequence's log-probability) is computed
here and never sent to the worker.

Finished hypotheses may leave the beam or keep competing for a slot: the tests check
only what holds either way — exact results when nothing is pruned (a beam at least
``vocab_size ** max_length`` wide) or when the beam is 1 wide, the form of every
returned hypothesis, and the greedy-trap sequence that a beam of 2 keeps under both.
"""

import pytest

from .support import (
    LOG_PROB_TOL,
    RandomModel,
    RecordingStepFn,
    all_finished,
    check_beam,
    greedy,
    greedy_trap,
    length_penalty_model,
    parse_hypotheses,
    parse_hypothesis,
    wide_enough,
)

pytestmark = pytest.mark.numpy_only  # no TF preload when run alone

CALL_TIMEOUT_S = 10  # the reference needs milliseconds; an endless loop fails fast


def run_beam(student, model, beam_width, max_length, length_penalty=0.0):
    """The student's beam search on ``model``: (hypotheses, the recording step_fn, case)."""
    step_fn = RecordingStepFn(model, beam_width, max_length)
    case = model.describe(beam_width, max_length, length_penalty)
    value = student.beam_search.beam_search.options(timeout=CALL_TIMEOUT_S)(
        step_fn, model.sos_id, model.eos_id, beam_width, max_length, length_penalty
    )
    return parse_hypotheses(value, case), step_fn, case


def run_greedy(student, model, max_length):
    step_fn = RecordingStepFn(model, 1, max_length)
    case = model.describe(None, max_length)
    value = student.beam_search.greedy_search.options(timeout=CALL_TIMEOUT_S)(
        step_fn, model.sos_id, model.eos_id, max_length
    )
    return parse_hypothesis(value, f"greedy_search, {case}"), step_fn, case


def random_models(rng, shapes):
    """One random model per (order, vocab_size, max_length)."""
    return [
        (RandomModel(rng, vocab_size, order), max_length)
        for order, vocab_size, max_length in shapes
    ]


def close(a: float, b: float) -> bool:
    return abs(a - b) <= LOG_PROB_TOL * (1 + abs(b))


def assert_exact_top_list(model, hypotheses, max_length, length_penalty, case):
    """With nothing pruned, the result is every finished hypothesis, ranked."""
    check_beam(model, hypotheses, wide_enough(model, max_length), max_length, length_penalty, case)
    returned = {tokens for tokens, _ in hypotheses}
    assert returned == set(all_finished(model, max_length)), (
        f"{case}: a beam this wide never prunes anything, so beam_search should return every "
        "finished hypothesis; some are missing"
    )


WIDE_SHAPES = [
    (1, 3, 3),
    (2, 3, 4),
    (None, 3, 5),
    (1, 4, 3),
    (None, 4, 4),
    (2, 5, 3),
    (None, 6, 3),
    (1, 6, 2),
]


@pytest.mark.points(3)
def test_wide_beam_is_exhaustive(student, rng):
    """With a beam at least vocab ** max_length wide, the exact top list."""
    for model, max_length in random_models(rng, WIDE_SHAPES):
        width = wide_enough(model, max_length) + int(rng.integers(0, 3))
        hypotheses, _, case = run_beam(student, model, width, max_length)
        assert_exact_top_list(model, hypotheses, max_length, 0.0, case)


@pytest.mark.points(2)
def test_length_penalty_ranks_by_normalised_score(student, rng):
    """Hypotheses ranked by log_prob / len(tokens) ** length_penalty."""
    for length_penalty in (0.5, 1.0, 2.0, 0.75):
        model, max_length = length_penalty_model(rng, length_penalty)
        width = wide_enough(model, max_length)
        hypotheses, _, case = run_beam(student, model, width, max_length, length_penalty)
        assert_exact_top_list(model, hypotheses, max_length, length_penalty, case)


@pytest.mark.points(2)
def test_width_one_is_greedy(student, rng):
    """beam_width=1 is the greedy decode."""
    shapes = [(1, 3, 4), (2, 4, 5), (None, 5, 6), (None, 6, 4), (1, 5, 6), (2, 3, 6)]
    for i, (model, max_length) in enumerate(random_models(rng, shapes)):
        length_penalty = [0.0, 1.0][i % 2]
        hypotheses, _, case = run_beam(student, model, 1, max_length, length_penalty)
        tokens, log_prob = greedy(model, max_length)
        assert len(hypotheses) == 1, (
            f"{case}: a beam of width 1 should return exactly one hypothesis"
        )
        assert hypotheses[0][0] == tokens and close(hypotheses[0][1], log_prob), (
            f"{case}: with beam_width=1 the result should be the greedy decode, but "
            f"{list(hypotheses[0][0])} (log_prob {hypotheses[0][1]:.6f}) is not"
        )


@pytest.mark.points(2)
def test_greedy_search(student, rng):
    """greedy_search: the most likely token at each step, the lowest id on ties."""
    shapes = [(1, 3, 5), (2, 4, 6), (None, 6, 5), (None, 5, 4)]
    models = random_models(rng, shapes)
    for order, vocab_size, max_length in [(None, 4, 6), (1, 5, 6), (None, 6, 5)]:
        models.append(
            (RandomModel(rng, vocab_size, order, ties=int(rng.integers(2, 4))), max_length)
        )
    for model, max_length in models:
        (tokens, log_prob), _, case = run_greedy(student, model, max_length)
        expected_tokens, expected_log_prob = greedy(model, max_length)
        ties = " (on ties, the lowest token id)" if model.ties > 1 else ""
        assert tokens == expected_tokens, (
            f"greedy_search, {case}: {list(tokens)} is not the greedy decode{ties}"
        )
        assert close(log_prob, expected_log_prob), (
            f"greedy_search, {case}: log_prob {log_prob:.6f} is not the sum of the step "
            "log-probabilities of its tokens"
        )


@pytest.mark.points(2)
def test_hypotheses_are_well_formed(student, rng):
    """Distinct hypotheses, best first, finished at eos or max_length, never extended."""
    shapes = [
        (1, 3, 5),
        (2, 4, 4),
        (None, 5, 4),
        (None, 6, 5),
        (1, 6, 6),
        (2, 5, 6),
        (None, 3, 6),
        (None, 4, 6),
    ]
    for i, (model, max_length) in enumerate(random_models(rng, shapes)):
        width = int(rng.integers(2, 6))
        length_penalty = [0.0, 0.7, 1.0][i % 3]
        hypotheses, _, case = run_beam(student, model, width, max_length, length_penalty)
        check_beam(model, hypotheses, width, max_length, length_penalty, case)


@pytest.mark.points(2)
def test_beam_of_two_escapes_greedy_trap(student, rng):
    """A beam of two escapes a trap that catches greedy decoding."""
    for _ in range(5):
        model, max_length, best = greedy_trap(rng)
        hypotheses, _, case = run_beam(student, model, 2, max_length)
        check_beam(model, hypotheses, 2, max_length, 0.0, case)
        assert hypotheses[0][0] == best, (
            f"{case}: greedy decoding misses the most likely sequence of this model, and a "
            f"beam of width 2 should find it; your best was {list(hypotheses[0][0])}"
        )


@pytest.mark.points(2)
def test_step_fn_called_once_per_step(student, rng):
    """step_fn is called once per step with every live hypothesis, at most beam_width rows."""
    shapes = [(1, 4, 4), (None, 5, 5), (2, 6, 4), (None, 3, 6)]
    for model, max_length in random_models(rng, shapes):
        width = int(rng.integers(2, 5))
        _, step_fn, case = run_beam(student, model, width, max_length)
        assert 1 <= step_fn.calls <= max_length, (
            f"{case}: step_fn was called {step_fn.calls} times; call it once per step with "
            "all live hypotheses, at most max_length times"
        )
        rows = [shape[0] for shape in step_fn.shapes if len(shape) == 2]
        assert max(rows, default=0) <= width, (
            f"{case}: step_fn got more than beam_width prefixes in one call"
        )
        _, step_fn, case = run_greedy(student, model, max_length)
        assert 1 <= step_fn.calls <= max_length, (
            f"greedy_search, {case}: step_fn was called {step_fn.calls} times; once per "
            "token is enough"
        )
