"""`%grade`: the kernel's tagged inputs, in the order they ran, graded without saving."""

import nbclient  # with ipykernel (dev dependencies): a real kernel
from conftest import FIXTURES, ROOT

from grader.catalog import catalog
from grader.course import Course
from grader.magic import as_text, grade_kernel, kernel_modules
from grader.notebooks import exercise_notebook

FAKE = Course(FIXTURES / "fake_course")


def test_tagged_inputs_in_the_order_they_ran():
    inputs = [
        (1, "# exercise: echo\ndef add(a, b):\n    return a - b"),
        (2, "print('an experiment, not part of the submission')"),
        (3, "# exercise: echo\ndef add(a, b)\n    return a + b"),  # does not compile
        (4, "%time x = 1\n# exercise: other\nx = 2"),  # not an exercise of the course
        (5, "# exercise: echo\n%matplotlib inline\ndef add(a, b):\n    return a + b"),
    ]
    modules = kernel_modules(inputs, ["echo"])
    assert list(modules) == ["echo"]
    source, pieces = modules["echo"]
    assert [label for _, label in pieces] == ["In [1]", "In [5]"]
    namespace: dict = {}
    exec(source, namespace)  # the last definition wins, as in the kernel
    assert namespace["add"](2, 3) == 5 and "experiment" not in source


def test_grade_kernel_grades_the_public_tests_and_names_the_input():
    inputs = [(7, "# exercise: echo\n\ndef add(a, b):\n    return a / 0")]
    result = grade_kernel(inputs, FAKE, seed=1)
    assert [t["visibility"] for t in result["exercises"]["echo"]["tests"]] == ["public"]
    add = result["exercises"]["echo"]["tests"][0]
    assert add["outcome"] == "error" and add["location"] == "In [7], line 4"
    assert "In [7], line 4, in add" in add["message"]
    assert "Total: 0 / 5" in as_text(result)
    assert grade_kernel([(1, "x = 1")], FAKE) is None


def test_a_real_kernel_grades_an_unsaved_notebook():
    """The release notebook of an exercise, its cells filled with the reference, run by
    a real kernel: ``%grade`` shows full marks though the notebook was never saved."""
    name = "beam_search"  # quick public tests; every exercise's notebook ends the same way
    notebook = exercise_notebook(name, (ROOT / "solutions" / f"{name}.py").read_text())
    assert notebook.cells[-1].source == f"%load_ext grader\n%grade {name}"
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    outputs = notebook.cells[-1].outputs
    text = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "<table>" in html and "not started" not in text, text or outputs
    public_points = sum(
        entry.points for entry in catalog(Course(ROOT), [name]) if entry.visibility == "public"
    )
    assert f"Total: {public_points:g} / {public_points:g}" in text, text
