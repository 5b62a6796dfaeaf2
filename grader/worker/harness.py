"""The untrusted worker: imports the student's modules and runs calls on request.

It runs in a fresh interpreter started by ``grader.sandbox.spawn``. Nothing it sends
back is trusted: it reports what the student's code returned or raised, never a
verdict. Requests (trusted → worker) are::

    {"kind": "call", "id": n, "target": T, "args": [...], "kwargs": {...}, "keep": bool}
    {"kind": "callback_result", "id": n, "value": v}      # answer to a callback
    {"kind": "callback_error", "id": n, "message": str}

where T is ``{"module": m, "attr": a}``, ``{"handle": h, "attr": a | None}`` or
``{"helper": "pkg.function"}`` (a function of ``grader.worker.helpers``).
Replies (worker → trusted)::

    {"kind": "ready", "versions": {...}}
    {"kind": "result", "id": n, "value": v}
    {"kind": "error", "id": n, "type": str, "message": str, "traceback": str, "where": str}
    {"kind": "callback", "id": n, "remote": r, "args": [...]}
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import sys
import traceback

import numpy as np

from grader import protocol
from grader.protocol import Callback, Handle, Ref

MAX_TEXT = 4000


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit // 2] + "\n[...]\n" + text[-limit // 2 :]


class CallFailed(Exception):
    """A call that cannot be made or answered; ``where`` says whose fault it is."""

    def __init__(self, message: str, where: str = "student"):
        super().__init__(message)
        self.where = where


def to_plain(value):
    """Turn tensors and array-likes into NumPy arrays so that they can cross."""
    if value is None or isinstance(value, (bool, int, float, str, bytes, np.ndarray)):
        return value
    if isinstance(value, tuple):
        return tuple(to_plain(v) for v in value)
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value
    if hasattr(value, "__array__") and not isinstance(value, type):
        try:
            return np.asarray(value)
        except Exception:  # the object's own __array__ may raise anything
            return value
    return value


class Harness:
    """The worker's loop: one request at a time, on two pipes."""

    def __init__(self, request_fd: int, response_fd: int, generation: int):
        self.request_fd = request_fd
        self.response_fd = response_fd
        self.generation = generation
        self.objects: dict[int, object] = {}
        self.next_handle = 1

    def send(self, message) -> None:
        protocol.write_message(self.response_fd, message)

    # -- resolving what a request names -------------------------------------------------
    def student_function(self, module_name: str, attr: str):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                raise CallFailed(f"the submission has no module {module_name}.py") from None
            raise
        if not hasattr(module, attr):
            raise CallFailed(f"{module_name}.py has no attribute {attr!r}")
        return getattr(module, attr)

    def kept_object(self, handle: Handle):
        if handle.generation != self.generation or handle.id not in self.objects:
            raise CallFailed("an object kept by an earlier worker was lost", where="grader")
        return self.objects[handle.id]

    def resolve(self, value):
        if isinstance(value, Handle):
            return self.kept_object(value)
        if isinstance(value, Callback):
            return self.remote_function(value)
        if isinstance(value, Ref):
            return self.student_function(value.module, value.attr)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def target(self, spec: dict):
        if "module" in spec:
            return self.student_function(spec["module"], spec["attr"])
        if "handle" in spec:
            obj = self.kept_object(spec["handle"])
            return obj if spec.get("attr") is None else getattr(obj, spec["attr"])
        if "helper" in spec:
            package, _, name = spec["helper"].rpartition(".")
            module = importlib.import_module(
                "grader.worker.helpers" + (f".{package}" if package else "")
            )
            return getattr(module, name)
        raise CallFailed(f"unknown call target {spec!r}", where="grader")

    def remote_function(self, remote: Callback):
        """A callable that asks the trusted side, which answers with plain data."""

        def call_trusted_side(*args):
            self.send(
                {
                    "kind": "callback",
                    "id": self.current_call,
                    "remote": remote.id,
                    "args": [to_plain(a) for a in args],
                }
            )
            reply = protocol.read_message(self.request_fd)
            if reply.get("kind") == "callback_result":
                return reply["value"]
            raise RuntimeError(reply.get("message", "the grader refused the callback"))

        return call_trusted_side

    # -- the loop -------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            try:
                request = protocol.read_message(self.request_fd)
            except protocol.ChannelClosed:
                return
            if request.get("kind") == "call":
                self.handle_call(request)

    def handle_call(self, request: dict) -> None:
        call_id = request["id"]
        self.current_call = call_id
        try:
            function = self.target(request["target"])
            args = self.resolve(request.get("args", []))
            kwargs = self.resolve(request.get("kwargs", {}))
            result = function(*args, **kwargs)
            if request.get("keep"):
                handle = Handle(self.next_handle, type(result).__name__, self.generation)
                self.objects[handle.id] = result
                self.next_handle += 1
                value = handle
            else:
                value = to_plain(result)
            try:
                self.send({"kind": "result", "id": call_id, "value": value})
            except protocol.EncodeError as exc:
                raise CallFailed(
                    f"returned a value that cannot be sent back to the grader ({exc}); "
                    "return plain data: numbers, strings, lists, tuples, dicts, NumPy arrays"
                ) from None
        except CallFailed as exc:
            self.send_error(call_id, type(exc).__name__, str(exc), "", exc.where)
        except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
            where = "student"
            if isinstance(exc, SystemExit):
                message = f"called sys.exit({exc.code!r})"
            else:
                message = str(exc)
            self.send_error(call_id, type(exc).__name__, message, _student_traceback(exc), where)

    def send_error(self, call_id, type_name, message, trace, where) -> None:
        self.send(
            {
                "kind": "error",
                "id": call_id,
                "type": type_name,
                "message": _clip(message),
                "traceback": _clip(trace),
                "where": where,
            }
        )


def _student_traceback(exc: BaseException) -> str:
    """The traceback without the harness's own frames."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "grader/worker/" not in f.filename.replace(os.sep, "/")
    ]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _prepare(seed: int, preload_tf: bool) -> dict:
    """Seed everything before any student module is imported; report versions."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    versions = {"python": sys.version.split()[0], "numpy": np.__version__}
    if preload_tf:
        import keras
        import tensorflow as tf

        keras.utils.set_random_seed(seed % 2**32)
        versions.update(tensorflow=tf.__version__, keras=keras.__version__)
    return versions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--submission", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generation", type=int, default=0)
    parser.add_argument("--preload-tf", action="store_true")
    args = parser.parse_args(argv)

    sys.path.append(os.path.abspath(args.submission))  # last: it can shadow nothing
    harness = Harness(args.request_fd, args.response_fd, args.generation)
    harness.current_call = None
    versions = _prepare(args.seed, args.preload_tf)
    harness.send({"kind": "ready", "versions": versions, "pid": os.getpid()})
    harness.serve()


if __name__ == "__main__":
    main()
