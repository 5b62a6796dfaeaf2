"""Imports in ``grader/`` go one way: no cycle, and none hidden inside a function.

A function-level import is how a cycle hides (it runs later, when both modules are
loaded); only imports of optional dependencies may sit in a function.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "grader"
# Imported where they are needed because they are optional or heavy and not always used.
OPTIONAL = {"distributed", "keras", "tensorflow", "matplotlib", "resource", "ctypes"}
# The entry points (the console script's, `python -m grader`) import the command line
# only after a platform check (on Windows the CLI's modules do not import). Only entry
# points import them, so no cycle can hide there: test_entry_points_are_imported_by_nothing.
ENTRY_POINTS = {"grader.entry", "grader.__main__"}
# IPython's `%load_ext grader` calls grader.load_ipython_extension, which imports the magic
# (and IPython) only when a kernel asks; nothing else imports grader.magic.
EXTENSION_HOOK = ("grader", "grader.magic")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def grader_imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module imported, line, at top level) for every import of a grader module."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            found.append((name, node.lineno, id(node) in top))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported, _, _ in grader_imports(path):
            if imported in MODULES and imported != name and (name, imported) != EXTENSION_HOOK:
                edges[name].add(imported)
    return edges


def test_no_import_cycle_in_grader():
    edges = graph()
    state: dict[str, str] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles in grader/:\n" + "\n".join(cycles)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_level_import_of_the_grader(name):
    hidden = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {imported}"
        for imported, line, at_top in grader_imports(MODULES[name])
        if not at_top
        and name not in ENTRY_POINTS
        and (name, imported.rsplit(".", 1)[0]) != EXTENSION_HOOK
        and (name, imported) != EXTENSION_HOOK
        and imported.split(".")[0] not in OPTIONAL
        and imported.split(".")[0] == "grader"
    ]
    assert not hidden, "function-level imports of the grader (a hidden cycle?): " + str(hidden)


def test_entry_points_are_imported_by_nothing():
    importers = [
        name for name, edges in graph().items() if edges & ENTRY_POINTS and name not in ENTRY_POINTS
    ]
    assert not importers, f"grader modules import an entry point: {importers}"


def test_the_magic_is_imported_only_by_the_extension_hook():
    importers = [name for name, edges in graph().items() if EXTENSION_HOOK[1] in edges]
    hook = [i for i, _, top in grader_imports(MODULES["grader"]) if i == EXTENSION_HOOK[1]]
    assert not importers and hook, importers
