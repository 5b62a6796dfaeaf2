"""What exercise tests hold: proxies that forward calls to a worker.

    grammar = student.grammar                               # a module of the submission
    ids = grammar.string_to_ids("BTE")                      # plain data comes back
    model = grammar.train_classifier.options(timeout=130, keep=True)(X, y, Xv, yv)
    probs = model.predict(X_test, verbose=0)                # methods of kept objects
    rng = student.helper("make_rng")(seed, keep=True)       # built worker-side

A Python function passed as an argument becomes a callback into the trusted process.
"""

from __future__ import annotations

from typing import Any

from grader.protocol import Handle, Ref
from grader.returns import ReturnSpec, check_return
from grader.sandbox.client import Worker

DEFAULT_TIMEOUT_S = 30.0


def _unwrap(value):
    if isinstance(value, ObjectProxy):
        return value.handle
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


class FunctionProxy:
    """A function that lives in the worker."""

    def __init__(
        self,
        worker: Worker,
        target: dict,
        timeout: float = DEFAULT_TIMEOUT_S,
        keep: bool = False,
        returns: ReturnSpec | None = None,
    ):
        self._worker = worker
        self._target = target
        self._timeout = timeout
        self._keep = keep
        self._returns = returns

    def options(self, *, timeout: float | None = None, keep: bool | None = None) -> FunctionProxy:
        """The same function with another deadline, or keeping its result in the worker."""
        return FunctionProxy(
            self._worker,
            self._target,
            self._timeout if timeout is None else timeout,
            self._keep if keep is None else keep,
            self._returns,
        )

    def __repr__(self) -> str:
        target = self._target
        return f"{target.get('module') or target.get('helper')}.{target.get('attr') or ''}"

    def __call__(self, *args, **kwargs) -> Any:
        value = self._worker.call(
            self._target,
            _unwrap(list(args)),
            _unwrap(kwargs),
            timeout=self._timeout,
            keep=self._keep,
        )
        if self._returns is not None:
            check_return(repr(self), self._returns, value, kept=self._keep)
        if isinstance(value, Handle):
            return ObjectProxy(self._worker, value)
        return value


class ObjectProxy:
    """An object kept in the worker (a model, a dataset); its methods return data."""

    def __init__(self, worker: Worker, handle: Handle):
        self._worker = worker
        self.handle = handle

    @property
    def type_name(self) -> str:
        return self.handle.type_name

    def method(self, name: str) -> FunctionProxy:
        return FunctionProxy(self._worker, {"handle": self.handle, "attr": name})

    def __getattr__(self, name: str) -> FunctionProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.method(name)

    def __call__(self, *args, **kwargs):
        return FunctionProxy(self._worker, {"handle": self.handle, "attr": None})(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<remote {self.handle.type_name} #{self.handle.id}>"


class ModuleProxy:
    """A module of the submission, imported in the worker on first use."""

    def __init__(self, worker: Worker, name: str, returns: dict[str, ReturnSpec] | None = None):
        self._worker = worker
        self._name = name
        self._returns = returns or {}

    def __getattr__(self, attr: str) -> FunctionProxy:
        if attr.startswith("_"):
            raise AttributeError(attr)
        target = {"module": self._name, "attr": attr}
        return FunctionProxy(
            self._worker, target, returns=self._returns.get(f"{self._name}.{attr}")
        )

    def __repr__(self) -> str:
        return self._name

    def ref(self, attr: str) -> Ref:
        """Name a function of this module for a worker-side helper."""
        return Ref(self._name, attr)


class SubmissionProxy:
    """One submission (student's, reference or stubs) behind one worker."""

    def __init__(self, worker: Worker, label: str, returns: dict[str, ReturnSpec] | None = None):
        self.worker = worker
        self.label = label
        self.returns = returns or {}  # "module.function" → its declared return type

    def module(self, name: str) -> ModuleProxy:
        return ModuleProxy(self.worker, name, self.returns)

    def __getattr__(self, name: str) -> ModuleProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.module(name)

    def __repr__(self) -> str:
        return f"<{self.label} submission>"

    def helper(self, name: str) -> FunctionProxy:
        """A grader function run in the worker (see ``grader.worker.helpers``)."""
        return FunctionProxy(self.worker, {"helper": name})

    def close(self) -> None:
        self.worker.stop()
