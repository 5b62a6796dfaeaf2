"""The sampled softmax tests' own trusted code: random problems, the exact cross-entropy in
NumPy, a synthetic many-class task, and the static check of the submitted source.

Nothing here imports TensorFlow: TensorFlow's answers come from the reference worker.
"""

from __future__ import annotations

import ast

import numpy as np

# Names that reach TensorFlow's sampled softmax: the public function (v1/v2/compat) and the
# private module and helper it is built on. ``tf.nn.compute_accidental_hits`` is a public
# basic op and stays allowed.
FORBIDDEN_NAMES = (
    "sampled_softmax_loss",
    "sampled_softmax_loss_v2",
    "_compute_sampled_logits",
    "nn_impl",
)
FORBIDDEN_FRAGMENTS = ("sampled_softmax", "compute_sampled", "nn_impl")
DYNAMIC_CALLS = ("getattr", "__import__", "import_module", "eval", "exec", "compile")


# The many-class task of the model test (see tests/exercises/sampled_softmax/calibration.md).
TASK_CLASSES, TASK_DIM, TASK_SAMPLED = 5000, 32, 64
TASK_TRAIN, TASK_TEST, TASK_EPOCHS, TASK_BATCH = 20_000, 1_000, 4, 512


# -- problems -----------------------------------------------------------------------------
def random_problem(
    rng: np.random.Generator,
    num_classes: int,
    dim: int,
    batch: int,
    label_high: int | None = None,
    scale: float = 1.0,
) -> dict:
    """float32 weights (num_classes, dim), biases, inputs, and int64 labels (batch, 1)."""
    return {
        "weights": (scale * rng.normal(0, 0.5, (num_classes, dim))).astype(np.float32),
        "biases": rng.normal(0, 0.5, num_classes).astype(np.float32),
        "labels": rng.integers(0, label_high or num_classes, (batch, 1)).astype(np.int64),
        "inputs": (scale * rng.normal(0, 1, (batch, dim))).astype(np.float32),
    }


def accidental_hits(labels: np.ndarray, candidates: np.ndarray) -> int:
    """How many (row, candidate) pairs have the candidate equal to the row's label."""
    return int((np.asarray(labels).reshape(-1, 1) == np.asarray(candidates)[None, :]).sum())


def exact_cross_entropy(weights, biases, labels, inputs) -> np.ndarray:
    """Per-example softmax cross-entropy over all classes, in float64."""
    logits = np.asarray(inputs, np.float64) @ np.asarray(weights, np.float64).T + biases
    top = logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    rows = np.arange(len(logits))
    return log_norm - logits[rows, np.asarray(labels).reshape(-1)]


# -- the many-class task --------------------------------------------------------------------
def zipf_probabilities(num_classes: int) -> np.ndarray:
    """Class frequencies that fall with the id, like a vocabulary sorted by frequency."""
    p = 1.0 / np.arange(1, num_classes + 1)
    return p / p.sum()


def class_centers(rng: np.random.Generator, num_classes: int, dim: int) -> np.ndarray:
    return rng.normal(size=(num_classes, dim)).astype(np.float32)


def many_class_data(
    rng: np.random.Generator, centers: np.ndarray, n: int, noise: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points: a class drawn by Zipf frequency, its center plus Gaussian noise."""
    num_classes, dim = centers.shape
    y = rng.choice(num_classes, n, p=zipf_probabilities(num_classes)).astype(np.int64)
    X = centers[y] + noise * rng.normal(size=(n, dim))
    return X.astype(np.float32), y


def many_class_task(rng: np.random.Generator):
    """``(X, y, X_test, y_test)`` of the model test: TASK_CLASSES Zipf-distributed classes,
    each a Gaussian blob around a random center in TASK_DIM dimensions."""
    centers = class_centers(rng, TASK_CLASSES, TASK_DIM)
    X, y = many_class_data(rng, centers, TASK_TRAIN)
    X_test, y_test = many_class_data(rng, centers, TASK_TEST)
    return X, y, X_test, y_test


# -- static check -----------------------------------------------------------------------------
def _fold(node: ast.AST) -> str | None:
    """The value of a string expression built only from literals, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(v) for v in node.values]
        return None if None in parts else "".join(parts)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        text = _fold(node.value)
        bounds = [_literal_int(b) for b in (node.slice.lower, node.slice.upper, node.slice.step)]
        return None if text is None or "bad" in bounds else text[slice(*bounds)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and len(node.args) == 1
        and isinstance(node.args[0], (ast.List, ast.Tuple))
    ):
        sep = _fold(node.func.value)
        parts = [_fold(e) for e in node.args[0].elts]
        return None if sep is None or None in parts else sep.join(parts)
    return None


def _literal_int(node):
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return "bad"
    return value if isinstance(value, int) else "bad"


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _exempt_strings(tree: ast.AST) -> set[int]:
    """String nodes that say things rather than name things: docstrings and other bare
    strings, exception messages, ``__all__``."""
    exempt = set()
    for node in ast.walk(tree):
        inside = None
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            inside = node.value
        elif isinstance(node, ast.Raise):
            inside = node.exc
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            inside = node.value
        if inside is not None:
            exempt.update(id(n) for n in ast.walk(inside))
    return exempt


def forbidden_uses(source: str) -> list[str]:
    """Where the source reaches TensorFlow's sampled softmax, as short descriptions.

    Catches attribute access (``tf.nn.sampled_softmax_loss``, ``tf.compat.v1.nn...``),
    imports (``from tensorflow.nn import sampled_softmax_loss as f``, ``nn_impl``), string
    tricks built from literals (``getattr(tf.nn, "sampled_" + "softmax_loss")``), and
    ``getattr`` on a TensorFlow module with a computed name.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # a module that does not parse fails every other test anyway
    tf_names = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tensorflow":
                    tf_names.add((alias.asname or alias.name).split(".")[0])
                if "nn_impl" in alias.name:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if module.split(".")[0] == "tensorflow":
                tf_names.update(a.asname or a.name for a in node.names)
                if any(a.name == "*" for a in node.names):
                    found.append(f"line {node.lineno}: from {module} import *")
            if "nn_impl" in module:
                found.append(f"line {node.lineno}: from {module} import ...")
            for alias in node.names:
                if alias.name in FORBIDDEN_NAMES:
                    found.append(f"line {node.lineno}: imports {alias.name}")
    exempt = _exempt_strings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in FORBIDDEN_NAMES
            and _root_name(node) not in ("self", "cls")
        ):
            found.append(f"line {node.lineno}: uses .{node.attr}")
        elif isinstance(node, ast.Call) and _call_name(node) in DYNAMIC_CALLS:
            texts = [_fold(a) for a in node.args]
            if any(t and any(f in t for f in FORBIDDEN_FRAGMENTS) for t in texts):
                found.append(f"line {node.lineno}: {_call_name(node)}() of a forbidden name")
            elif (
                _call_name(node) == "getattr"
                and len(node.args) >= 2
                and _root_name(node.args[0]) in tf_names
                and texts[1] is None
            ):
                found.append(f"line {node.lineno}: getattr() on TensorFlow with a computed name")
        elif id(node) not in exempt and isinstance(
            node, (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Subscript, ast.Call)
        ):
            text = _fold(node)
            if text is not None and text.strip() in FORBIDDEN_NAMES:
                found.append(f"line {node.lineno}: the string {text.strip()!r}")
    return sorted(set(found))
