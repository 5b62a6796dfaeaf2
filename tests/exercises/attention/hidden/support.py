"""The attention tests' own trusted code: attention in float64 NumPy, random cases, and
the static check for ready-made attention. Never sent to the worker."""

from __future__ import annotations

import ast

import numpy as np

# Keras and TensorFlow modules a submission may import under any alias.
FRAMEWORKS = {"keras", "tensorflow", "tf_keras"}


def attention_numpy(query, key, value, mask=None):
    """(output, weights) of scaled dot-product attention in float64; rows with no allowed
    key come back as NaN (they are never compared)."""
    query, key, value = (np.asarray(x, np.float64) for x in (query, key, value))
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(key.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights


def sinusoidal(max_length: int, depth: int) -> np.ndarray:
    """The chapter's formula, in float64."""
    p = np.arange(max_length)[:, None]
    i = np.arange(depth // 2)[None, :]
    angles = p / 10000 ** (2 * i / depth)
    encoding = np.empty((max_length, depth))
    encoding[:, 0::2], encoding[:, 1::2] = np.sin(angles), np.cos(angles)
    return encoding


def ragged_ids(rng, batch: int, length: int, pad_id: int = 0) -> np.ndarray:
    """Int ids (batch, length), each row post-padded with ``pad_id`` to its own length
    (at least one real token; the first row full, the last padded when it can be)."""
    lengths = rng.integers(1, length + 1, batch)
    lengths[0] = length  # one full row
    if batch > 1:
        lengths[-1] = max(1, length - 1)  # and one padded row, when there is room
    ids = rng.integers(1, 50, (batch, length))
    ids[ids == pad_id] = pad_id + 1
    ids[np.arange(length)[None, :] >= lengths[:, None]] = pad_id
    return ids


def mha_case(rng) -> dict:
    """A random multi-head attention problem: every width different, 1-8 heads,
    key_dim >= 2 (Keras 3.15 disagrees with its own formula when key_dim is 1 and there
    are several heads), weights and biases drawn at random (fresh biases are zeros)."""
    batch, t, s = int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(2, 8))
    dq, dk_in, dv_in = (int(x) for x in rng.choice(np.arange(2, 12), 3, replace=False))
    heads, key_dim, value_dim = int(rng.integers(1, 9)), int(rng.integers(2, 7)), 0
    while value_dim in (0, key_dim):
        value_dim = int(rng.integers(2, 7))
    shapes = [
        (dq, heads, key_dim),
        (heads, key_dim),
        (dk_in, heads, key_dim),
        (heads, key_dim),
        (dv_in, heads, value_dim),
        (heads, value_dim),
        (heads, value_dim, dq),
        (dq,),
    ]
    return {
        "query": rng.normal(size=(batch, t, dq)).astype(np.float32),
        "value": rng.normal(size=(batch, s, dv_in)).astype(np.float32),
        "key": rng.normal(size=(batch, s, dk_in)).astype(np.float32),
        "weights": [(rng.normal(size=shape) * 0.5).astype(np.float32) for shape in shapes],
        "num_heads": heads,
        "key_dim": key_dim,
        "value_dim": value_dim,
        "ids": ragged_ids(rng, batch, s),
    }


def allowed_rows(mask: np.ndarray | None, shape: tuple[int, int, int], causal: bool) -> np.ndarray:
    """bool (B, T): the query rows that have at least one allowed key."""
    batch, t, s = shape
    allowed = np.ones(shape, bool)
    if mask is not None:
        allowed &= np.broadcast_to(mask, shape)
    if causal:
        allowed &= np.arange(s)[None, None, :] <= np.arange(t)[None, :, None]
    return allowed.any(axis=-1)


def banned_uses(source: str) -> dict[str, list[str]]:
    """Ready-made attention a submission reaches, by the function it is in ("" for the
    module level): attributes, imports and names of Keras or TensorFlow that contain
    "attention", and ``getattr`` with such a string."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    aliases = set()
    found: dict[str, list[str]] = {}

    def note(where: str, node: ast.AST, what: str) -> None:
        found.setdefault(where, []).append(f"line {node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FRAMEWORKS:
                    aliases.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FRAMEWORKS:
            aliases.update(a.asname or a.name for a in node.names)
    scopes = [("", tree)] + [
        (node.name, node) for node in tree.body if isinstance(node, ast.FunctionDef)
    ]
    inside = {id(n) for _, scope in scopes[1:] for n in ast.walk(scope)}
    for name, scope in scopes:
        for node in ast.walk(scope):
            if not name and id(node) in inside:
                continue  # counted in its function
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FRAMEWORKS:
                for alias in node.names:
                    if "attention" in alias.name.lower() or alias.name == "*":
                        note(name, node, f"imports {alias.name} from {node.module}")
            elif isinstance(node, ast.Attribute) and "attention" in node.attr.lower():
                if _root(node) in aliases:
                    note(name, node, f"uses {ast.unparse(node)}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and any(
                    isinstance(a, ast.Constant) and "attention" in str(a.value).lower()
                    for a in node.args[1:2]
                )
            ):
                note(name, node, f"{ast.unparse(node)}")
    return found


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None
