"""What each contract function returns, checked where the value comes back from the worker.

A course declares its functions' return types once, in each exercise's manifest
(``tests/exercises/<name>/exercise.toml``)::

    [returns]
    generate_dataset = "tuple[array, array]"
    train_classifier = { type = "object", means = "a keras.Model" }

so that a submission whose ``generate_dataset`` returns only ``X`` fails with
"grammar.generate_dataset must return a tuple of 2 items (a NumPy array, a NumPy array);
it returned an int32 array of shape (20, 27)" -- the student's error in the student's
terms -- rather than with a ``ValueError`` raised by the test that unpacked it.

Types: ``any``, ``None``, ``bool``, ``int``, ``float`` (an int is a float), ``str``,
``array`` (a NumPy array: tensors come back as arrays), ``object`` (anything kept in the
worker but None: a model, a dataset), ``list[T]``, ``tuple[T1, T2, ...]`` and ``A | B``.
Lists and tuples accept each other: the contract's shapes, not Python's spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from grader.course import Course
from grader.protocol import Handle
from grader.sandbox.client import SubmissionFault

_TOKEN = re.compile(r"\s*([A-Za-z_]+|\[|\]|,|\|)")
_SIMPLE = {
    "any": "anything",
    "None": "None",
    "bool": "a bool",
    "int": "an int",
    "float": "a float",
    "str": "a str",
    "array": "a NumPy array",
    "object": "an object",
}


class WrongReturn(SubmissionFault):
    """A contract function returned a value of the wrong type: the student's error."""


class SpecError(ValueError):
    """A declared return type that does not parse."""


@dataclass(frozen=True)
class ReturnSpec:
    """A parsed return type: ``kind`` is a simple name, ``list``, ``tuple`` or ``union``."""

    kind: str
    items: tuple[ReturnSpec, ...] = ()
    means: str = ""  # the author's words for it, e.g. "a keras.Model"

    def describe(self) -> str:
        if self.means:
            return self.means
        if self.kind == "list":
            return f"a list (each item {self.items[0].describe()})"
        if self.kind == "tuple":
            inner = ", ".join(item.describe() for item in self.items)
            return f"a tuple of {len(self.items)} items ({inner})"
        if self.kind == "union":
            return " or ".join(item.describe() for item in self.items)
        return _SIMPLE[self.kind]

    def matches(self, value, kept: bool = False) -> bool:
        """Whether ``value`` (as it came back; a Handle when ``kept``) fits."""
        if kept and isinstance(value, Handle):  # only its type name crossed: not None
            return value.type_name != "NoneType" or self.allows_none()
        kind = self.kind
        if kind == "union":
            return any(item.matches(value, kept) for item in self.items)
        if kind == "any":
            return True
        if kind == "None":
            return value is None
        if kind == "bool":
            return isinstance(value, bool)
        if kind == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if kind == "float":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if kind == "str":
            return isinstance(value, str)
        if kind == "array":
            return isinstance(value, np.ndarray)
        if kind == "object":
            return isinstance(value, Handle) and value.type_name != "NoneType"
        if kind == "list":
            return isinstance(value, list | tuple) and all(
                self.items[0].matches(item) for item in value
            )
        if kind == "tuple":
            return (
                isinstance(value, list | tuple)
                and len(value) == len(self.items)
                and all(s.matches(v) for s, v in zip(self.items, value, strict=True))
            )
        raise AssertionError(kind)

    def allows_none(self) -> bool:
        return self.kind in ("any", "None") or any(i.allows_none() for i in self.items)


def parse(text: str, means: str = "") -> ReturnSpec:
    """``"tuple[array, list[int]] | None"`` → a ``ReturnSpec``."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s", "", text):
        raise SpecError(f"cannot parse the return type {text!r}")
    spec, rest = _parse_union(tokens)
    if rest:
        raise SpecError(f"unexpected {rest[0]!r} in the return type {text!r}")
    return ReturnSpec(spec.kind, spec.items, means)


def _parse_union(tokens: list[str]) -> tuple[ReturnSpec, list[str]]:
    options = []
    spec, tokens = _parse_one(tokens)
    options.append(spec)
    while tokens and tokens[0] == "|":
        spec, tokens = _parse_one(tokens[1:])
        options.append(spec)
    return (options[0] if len(options) == 1 else ReturnSpec("union", tuple(options))), tokens


def _parse_one(tokens: list[str]) -> tuple[ReturnSpec, list[str]]:
    if not tokens:
        raise SpecError("a return type ends too early")
    name, tokens = tokens[0], tokens[1:]
    if name in ("list", "tuple"):
        if not tokens or tokens[0] != "[":
            raise SpecError(f"{name} needs its item types: {name}[...]")
        items = []
        tokens = tokens[1:]
        while True:
            item, tokens = _parse_union(tokens)
            items.append(item)
            if not tokens:
                raise SpecError(f"{name}[ is not closed")
            if tokens[0] == "]":
                tokens = tokens[1:]
                break
            if tokens[0] != ",":
                raise SpecError(f"unexpected {tokens[0]!r} in {name}[...]")
            tokens = tokens[1:]
        if name == "list" and len(items) != 1:
            raise SpecError("list[...] takes one item type")
        return ReturnSpec(name, tuple(items)), tokens
    if name not in _SIMPLE:
        raise SpecError(f"unknown return type {name!r}; known: {', '.join(_SIMPLE)}")
    return ReturnSpec(name), tokens


def course_returns(course: Course) -> dict[str, ReturnSpec]:
    """``"module.function"`` → its declared return type, from every exercise's manifest."""
    specs = {}
    for name, exercise in course.manifests.items():
        for function, declared in exercise.returns.items():
            where = f"{course.manifest_path(name)}: returns.{function}"
            try:
                if isinstance(declared, dict):
                    spec = parse(declared["type"], declared.get("means", ""))
                else:
                    spec = parse(declared)
            except (SpecError, KeyError, TypeError) as exc:
                raise SpecError(f"{where}: {exc}") from None
            specs[f"{name}.{function}"] = spec
    return specs


def check_return(name: str, spec: ReturnSpec, value, kept: bool = False) -> None:
    """Raise ``WrongReturn`` when ``value`` (returned by ``name``) does not fit ``spec``."""
    if not spec.matches(value, kept):
        raise WrongReturn(f"{name} must return {spec.describe()}; it returned {describe(value)}")


def describe(value) -> str:
    """What a returned value is, in a student's words."""
    if value is None:
        return "None"
    if isinstance(value, Handle):
        return "None" if value.type_name == "NoneType" else f"an object of type {value.type_name}"
    if isinstance(value, np.ndarray):
        dtype = str(value.dtype)
        article = "an" if dtype[0] in "aeiou" else "a"
        return f"{article} {dtype} array of shape {value.shape}"
    if isinstance(value, bool):
        return f"a bool ({value})"
    if isinstance(value, int | float):
        return f"{'an int' if isinstance(value, int) else 'a float'} ({value!r})"
    if isinstance(value, str):
        return f"a str ({value[:40]!r})"
    if isinstance(value, list | tuple):
        kind = "list" if isinstance(value, list) else "tuple"
        if not value:
            return f"an empty {kind}"
        shown = ", ".join(describe(item) for item in value[:3])
        more = ", ..." if len(value) > 3 else ""
        return f"a {kind} of {len(value)} items ({shown}{more})"
    return f"a {type(value).__name__}"
