"""Exercise notebooks: built from the stubs, and graded like the same code as modules.

A "filled" notebook is the exercise's notebook with the reference pasted in, as a
student would: each function's cell replaced by the reference's function, the setup
cell by the reference's imports and constants, its helpers in a cell of their own.
"""

import ast
import shutil

import nbformat
import pytest
from conftest import FIXTURES, ROOT

from grader.course import Course
from grader.grading import GradeOptions, grade_submission
from grader.notebooks import exercise_notebook, split_module, tag
from grader.release import released_exercises
from grader.submission import notebook_modules

FAKE = Course(FIXTURES / "fake_course")
COURSE = Course(ROOT)
EXERCISES = released_exercises(COURSE)[0]


def filled_notebook(course: Course, exercise: str) -> nbformat.NotebookNode:
    notebook = exercise_notebook(exercise, (course.stubs_dir / f"{exercise}.py").read_text())
    _, chunks = split_module((course.solutions_dir / f"{exercise}.py").read_text())
    functions = {c.name: c.code for c in chunks if c.kind == "def"}
    setup = "\n\n".join(c.code for c in chunks if c.kind == "setup")
    first = None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.startswith(tag(exercise)):
            continue
        _, (chunk,) = split_module(cell.source)
        if chunk.kind == "def":
            cell.source = f"{tag(exercise)}\n{functions.pop(chunk.name)}"
        else:  # the stub's setup cell: the reference's setup, once
            cell.source, setup = f"{tag(exercise)}\n{setup}", ""
        first = index if first is None else first
    extra = [setup, *functions.values()]  # setup still here when the stub had none
    notebook.cells.insert(
        first + (not setup),
        nbformat.v4.new_code_cell(
            f"{tag(exercise)}\n" + "\n\n\n".join(code for code in extra if code)
        ),
    )
    return notebook


def top_level_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names - {"annotations"}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_notebook_module_is_the_stub(exercise, tmp_path):
    stub = (COURSE.stubs_dir / f"{exercise}.py").read_text()
    path = tmp_path / f"{exercise}.ipynb"
    nbformat.write(exercise_notebook(exercise, stub), path)
    module = notebook_modules(path)
    assert set(module) == {exercise}
    compile(module[exercise], f"{exercise}.py", "exec")
    assert top_level_names(module[exercise]) == top_level_names(stub)


def test_split_module_keeps_source_order_and_comments():
    source = (
        '"""Doc."""\nfrom __future__ import annotations\nimport x\n\n# about f\n@d\n'
        'def f(\n    a,\n    b=(1, 2),\n) -> int:  # note\n    """F."""\n\n\nY = f(1)\n\n\n'
        "class K(B):\n    pass\n"
    )
    docstring, chunks = split_module(source)
    assert docstring == "Doc."
    assert [(c.kind, c.name) for c in chunks] == [
        ("setup", ""),
        ("def", "f"),
        ("setup", ""),
        ("def", "K"),
    ]
    assert chunks[0].code == "import x"
    assert chunks[1].code.startswith("# about f\n@d\ndef f(") and chunks[1].doc == "F."
    assert chunks[1].signature == "def f(a, b=(1, 2)) -> int"
    assert chunks[2].code == "Y = f(1)" and chunks[3].signature == "class K(B)"


def same_grades(course: Course, exercise: str, tmp_path, visibilities) -> tuple[dict, dict]:
    notebook = tmp_path / f"{exercise}.ipynb"
    nbformat.write(filled_notebook(course, exercise), notebook)
    modules = tmp_path / "modules"
    modules.mkdir()
    shutil.copyfile(course.solutions_dir / f"{exercise}.py", modules / f"{exercise}.py")
    options = GradeOptions(exercises=(exercise,), seed=7, visibilities=visibilities)
    return (grade_submission(notebook, course, options), grade_submission(modules, course, options))


def outcomes(result: dict) -> list[tuple]:
    return [
        (e, t["name"], t["outcome"], t["points"])
        for e, data in result["exercises"].items()
        for t in data["tests"]
    ]


def test_filled_notebook_scores_like_modules_on_the_fake_course(tmp_path):
    from_notebook, from_modules = same_grades(FAKE, "echo", tmp_path, ("public", "hidden"))
    assert outcomes(from_notebook) == outcomes(from_modules)
    assert from_notebook["score"] == from_modules["score"] == 20


@pytest.mark.slow  # 26-45 s under load; the fake course's variant is fast
def test_filled_notebook_scores_like_modules_public(tmp_path):
    exercise = EXERCISES[0]
    from_notebook, from_modules = same_grades(COURSE, exercise, tmp_path, ("public",))
    assert outcomes(from_notebook) == outcomes(from_modules)
    assert from_notebook["score"] == from_modules["score"] == from_modules["max_score"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES)
def test_filled_notebook_scores_like_modules_everywhere(exercise, tmp_path):
    from_notebook, from_modules = same_grades(COURSE, exercise, tmp_path, ("public", "hidden"))
    assert outcomes(from_notebook) == outcomes(from_modules)
    assert from_notebook["score"] == from_modules["score"] == from_modules["max_score"] == 20
