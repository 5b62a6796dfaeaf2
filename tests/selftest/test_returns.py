"""A student's wrong return value reads as the student's error, never as the grader's.

Return types are declared once (each exercise's manifest) and checked where a
value comes back from the worker; an exception a test raises while it uses a student's
value is the student's error too. Only a fault of the grader itself is a grader error.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tiny_course import OPTIONS, PERFECT, folder_submission, make_course

from grader.course import Course
from grader.grading import grade_submission
from grader.plugin import verdict
from grader.protocol import Handle
from grader.returns import (
    SpecError,
    WrongReturn,
    check_return,
    course_returns,
    describe,
    parse,
)
from grader.sandbox.client import GraderError

ROOT = Path(__file__).resolve().parents[2]


def test_every_function_the_tests_call_has_a_declared_return_type():
    course = Course(ROOT)
    specs = course_returns(course)
    called = set()
    for name in course.exercises():
        for path in (course.tests_dir / name).rglob("*.py"):
            called |= {
                f"{module}.{function}"
                for module, function in re.findall(r"student\.(\w+)\.(\w+)", path.read_text())
                if function not in ("ref", "options")
            }
    assert called, "the tests call no student function"
    assert not called - set(specs), f"called without a declared return type: {called - set(specs)}"
    assert specs["reber.generate_dataset"].describe() == "a tuple (X, y) of two NumPy arrays"


@pytest.mark.parametrize(
    ("text", "good", "bad"),
    [
        ("tuple[array, array]", (np.zeros(2), np.ones(1)), np.zeros((20, 27), np.int32)),
        ("list[int]", [1, 2, 3], [1, "2"]),
        ("list[int]", (1, 2), np.array([1, 2])),
        ("bool", True, 1),
        ("int", 3, True),
        ("float", 3, "3.0"),
        ("str | None", None, 3),
        ("list[tuple[list[int], float]]", [([1, 2], -0.5)], [([1, 2],)]),
        ("object", Handle(1, "Functional"), Handle(1, "NoneType")),
    ],
)
def test_specs_accept_the_contract_and_refuse_the_rest(text, good, bad):
    spec = parse(text)
    check_return("m.f", spec, good)
    with pytest.raises(WrongReturn, match=r"^m\.f must return .*; it returned "):
        check_return("m.f", spec, bad)


def test_the_message_says_what_came_back_in_the_students_words():
    spec = parse("tuple[array, array]", "a tuple (X, y) of two NumPy arrays")
    with pytest.raises(WrongReturn) as info:
        check_return("reber.generate_dataset", spec, np.zeros((20, 27), np.int32))
    assert str(info.value) == (
        "reber.generate_dataset must return a tuple (X, y) of two NumPy arrays; "
        "it returned an int32 array of shape (20, 27)"
    )


def test_a_kept_value_is_checked_for_none_only():
    spec = parse("tuple[array, array]")
    check_return("m.f", spec, Handle(2, "tuple"), kept=True)
    with pytest.raises(WrongReturn, match="it returned None"):
        check_return("m.f", spec, Handle(2, "NoneType"), kept=True)


@pytest.mark.parametrize("text", ["tuple[", "list[int, str]", "frob", "int]", "tuple[int str]"])
def test_a_bad_declaration_is_a_clear_error(text):
    with pytest.raises(SpecError):
        parse(text)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
    )
)
def test_describe_never_fails(value):
    assert describe(value)


def _raised(exc: BaseException):
    with pytest.raises(type(exc)) as info:
        raise exc
    return info


@pytest.mark.parametrize(
    ("exc", "fault"),
    [
        (ValueError("too many values to unpack (expected 2)"), False),
        (TypeError("cannot unpack non-iterable int object"), False),
        (IndexError("list index out of range"), False),
        (KeyError("secret-expected-key"), False),
        (ZeroDivisionError("division by zero"), False),
        (GraderError("the reference solutions are not available"), True),
        (NameError("name 'expeted' is not defined"), True),
        (OSError("disk on fire"), True),
    ],
)
def test_only_the_graders_own_faults_are_grader_errors(exc, fault):
    outcome, message, grader_fault = verdict(_raised(exc), hidden=True)
    assert outcome == "error" and grader_fault is fault
    if not fault:
        assert message.startswith("the test could not use what your code returned")
        assert "secret" not in message  # a hidden test's details stay hidden


def test_a_wrong_return_type_is_graded_as_the_students_error(tmp_path):
    course = make_course(tmp_path / "course")
    manifest = course.tests_dir / "adder" / "exercise.toml"
    manifest.parent.mkdir(exist_ok=True)
    manifest.write_text('[returns]\nadd = "int"\nmul = "int"\n')
    folder = folder_submission(
        tmp_path, "strings", PERFECT.replace("return a + b", "return str(a + b)")
    )
    result = grade_submission(folder, course, OPTIONS)
    assert result["status"] == "graded" and result["score"] == 8  # test_mul still passes
    tests = {t["name"]: t for t in result["exercises"]["adder"]["tests"]}
    assert tests["test_add_small"]["message"] == (
        "adder.add must return an int; it returned a str ('5')"
    )
    assert not any(t["grader_fault"] for t in tests.values())
