"""Exercise notebooks: a stub module turned into a notebook students fill in.

One notebook per exercise: the exercise's text in markdown (the stub's docstrings), a
setup cell with the provided imports and constants, one cell per function or class to
fill, every code cell tagged ``# exercise: NAME`` (the contract's tag, which
``grade --submission my.ipynb`` reads), and a last cell that runs the public tests on
what the kernel has run (``%grade``, see ``grader.magic``).
Code is cut from the stub in source order, so the notebook's module is the stub's.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass

import nbformat


@dataclass(frozen=True)
class Chunk:
    """A piece of a module: ``setup`` (imports, constants) or one ``def``/``class``."""

    kind: str
    code: str
    name: str = ""
    signature: str = ""
    doc: str = ""


def split_module(source: str) -> tuple[str, list[Chunk]]:
    """(module docstring, the module's code cut into chunks, in source order).

    ``from __future__`` imports are dropped: in a notebook's module they would follow
    the student's untagged cells, where Python refuses them.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    body = list(tree.body)
    docstring = ast.get_docstring(tree) or ""
    if body and docstring and isinstance(body[0], ast.Expr):
        body = body[1:]
    body = [node for node in body if not _is_future_import(node)]
    starts = [_start_line(node, lines) for node in body] + [len(lines)]
    chunks: list[Chunk] = []
    setup = ""
    for index, node in enumerate(body):
        code = "\n".join(lines[starts[index] : starts[index + 1]])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if setup.strip():
                chunks.append(Chunk("setup", setup.strip("\n")))
            setup = ""
            chunks.append(
                Chunk(
                    "def",
                    code.strip("\n"),
                    node.name,
                    _signature(node, lines),
                    ast.get_docstring(node) or "",
                )
            )
        else:
            setup += code + "\n"
    if setup.strip():
        chunks.append(Chunk("setup", setup.strip("\n")))
    return docstring, chunks


def _is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _start_line(node: ast.stmt, lines: list[str]) -> int:
    """0-based first line of ``node``: its decorators and the comments right above it."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    return first


def _signature(node: ast.stmt, lines: list[str]) -> str:
    """The ``def``/``class`` line as written, on one line, without its colon."""
    header = " ".join(line.strip() for line in lines[node.lineno - 1 : node.body[0].lineno - 1])
    header = header.split(":  #")[0].rstrip().removesuffix(":")
    return re.sub(r",?\s*\)", ")", re.sub(r"\(\s+", "(", header))


def tag(exercise: str) -> str:
    """The first line of every code cell of ``exercise``: the contract's tag."""
    return f"# exercise: {exercise}"


def exercise_notebook(exercise: str, stub_source: str) -> nbformat.NotebookNode:
    """The notebook of one exercise, built from its stub's source."""
    docstring, chunks = split_module(stub_source)
    title, _, text = inspect.cleandoc(docstring).partition("\n")
    cells = [
        _markdown(
            f"# `{exercise}`: {title.removeprefix('Exercise:').strip()}\n\n"
            f"{text.strip()}\n\n{_how_to(exercise)}"
        )
    ]
    for chunk in chunks:
        if chunk.kind == "setup":
            cells.append(
                _markdown("**Provided**: imports and constants. Run this cell; do not change it.")
            )
        else:
            cells.append(_markdown(f"### `{chunk.signature}`\n\n{chunk.doc}".strip()))
        cells.append(nbformat.v4.new_code_cell(f"{tag(exercise)}\n{chunk.code}"))
    cells.append(
        _markdown(
            "## Check your work\n\nRun the public tests on the cells this kernel has run "
            "(no need to save; in a terminal, `grade --submission "
            f"{exercise}.ipynb {exercise}` grades the saved file):"
        )
    )
    cells.append(nbformat.v4.new_code_cell(f"%load_ext grader\n%grade {exercise}"))
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    for index, cell in enumerate(notebook.cells):  # stable ids: the same stub, the same bytes
        cell["id"] = f"{exercise}-{index}"
    nbformat.validate(notebook)
    return notebook


def _markdown(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text)


def _how_to(exercise: str) -> str:
    return (
        "Write your code in the cells below. Keep the first line of every code cell, "
        f"`{tag(exercise)}`: it tells `grade` which module the cell belongs to. Cells "
        "without it are shared by every exercise of the notebook; `%magics` and "
        "`!shell` lines are ignored when grading."
    )
