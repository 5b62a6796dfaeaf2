"""The trusted side of a worker: calls with deadlines, callbacks, restarts.

Tests never import student code. They call it through a ``Worker``::

    worker = Worker(LaunchSpec(submission_dir, work_dir))
    ids = worker.call({"module": "grammar", "attr": "string_to_ids"}, ["BT"], timeout=10)

Every call has a deadline kept here. When it passes, or the worker dies, the
worker's whole process tree is killed, the call raises, and the next call starts a
fresh worker (objects kept by the old one are lost).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psutil

from grader import protocol
from grader.protocol import Callback, Handle
from grader.sandbox import spawn
from grader.sandbox.spawn import LaunchSpec

STARTUP_TIMEOUT_S = 120.0
MEMORY_CHECK_EVERY_S = 0.25


class SubmissionFault(Exception):
    """Something the submission did wrong (as opposed to a failed check)."""


class StudentError(SubmissionFault):
    """The student's code raised, or returned something that cannot cross."""

    def __init__(self, type_name: str, message: str, traceback: str = ""):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.traceback = traceback


class WorkerTimeout(SubmissionFault):
    """A call ran past its deadline."""


class WorkerCrashed(SubmissionFault):
    """The worker process died or broke the protocol."""


class GraderError(Exception):
    """A fault on the grader's side (a bug, or an object lost in a restart)."""


class _MemoryExceeded(Exception):
    pass


class _DiskExceeded(Exception):
    pass


_live_workers: set[Worker] = set()


class Worker:
    """One untrusted worker process, restarted on demand."""

    def __init__(self, spec: LaunchSpec):
        self.spec = spec
        self.generation = 0
        self.versions: dict[str, str] = {}
        self.process = None
        self._request_fd = self._response_fd = -1
        self._call_ids = itertools.count(1)
        self._remotes: dict[int, Callable] = {}
        self._remote_ids = itertools.count(1)
        self._last_memory_check = 0.0
        self.timings: dict = {"startup_s": 0.0, "calls_s": {}}
        # (module, function) of the last call into a submitted module: where a failure points
        self.last_module_call: tuple[str, str] | None = None

    # -- life cycle -----------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start a fresh worker process (a new generation)."""
        self.stop()
        self.generation += 1
        spec = replace(
            self.spec,
            generation=self.generation,
            work_dir=Path(tempfile.mkdtemp(prefix="grade-worker-")),
        )
        self._work_dir = spec.work_dir
        self.process, self._request_fd, self._response_fd = spawn.start_process(spec)
        _live_workers.add(self)
        started = time.monotonic()
        ready = self._receive(started + STARTUP_TIMEOUT_S, "starting the worker")
        self.timings["startup_s"] += time.monotonic() - started
        if ready.get("kind") != "ready":
            self._fail_crash("the worker did not start properly")
        self.versions = {str(k): str(v) for k, v in dict(ready.get("versions", {})).items()}
        self.versions["isolation"] = self.process.isolation  # the launcher's, not the worker's

    def stop(self) -> None:
        """Kill the worker and everything it started; keep its output logs readable."""
        if self.process is None:
            return
        _live_workers.discard(self)
        spawn.kill_tree(self.process, spare=_spared_pids())
        for fd in (self._request_fd, self._response_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._last_output = self._read_output()
        self.process = None
        shutil.rmtree(self._work_dir, ignore_errors=True)

    def output_tail(self) -> str:
        """The end of what the student's code printed (stdout, then stderr)."""
        if self.process is None:
            return getattr(self, "_last_output", "")
        return self._read_output()

    def _read_output(self, limit: int = 2000) -> str:
        parts = []
        for name in ("stdout.log", "stderr.log"):
            path = self._work_dir / name
            try:
                with open(path, "rb") as f:
                    f.seek(max(0, path.stat().st_size - limit))
                    parts.append(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
        text = "\n".join(p for p in parts if p.strip())
        # No terminal escape sequences from the student's output reach a grader's screen.
        return "".join(c if c.isprintable() or c in "\n\t" else "\ufffd" for c in text)

    # -- calls --------------------------------------------------------------------
    def call(
        self,
        target: dict,
        args=(),
        kwargs=None,
        *,
        timeout: float,
        keep: bool = False,
        description: str = "",
    ):
        """Run one call in the worker and return its (plain-data) result.

        Callables among ``args``/``kwargs`` become remote functions that the worker may
        call back while this call runs; they must return plain data.
        """
        description = description or _describe(target)
        self._check_handles(target, args, kwargs or {})
        if target.get("module") and target.get("attr"):
            self.last_module_call = (str(target["module"]), str(target["attr"]))
        if not self.alive:
            self.start()
        self._remotes.clear()
        call_id = next(self._call_ids)
        request = {
            "kind": "call",
            "id": call_id,
            "target": target,
            "keep": keep,
            "args": self._wrap_callables(list(args)),
            "kwargs": self._wrap_callables(dict(kwargs or {})),
        }
        try:
            protocol.write_message(self._request_fd, request)
        except protocol.EncodeError as exc:
            raise GraderError(f"cannot send the arguments of {description}: {exc}") from exc
        except OSError:
            self._fail_crash(f"the worker died before {description}")
        started = time.monotonic()
        deadline = started + timeout
        try:
            return self._await_reply(call_id, deadline, description, timeout)
        finally:
            calls = self.timings["calls_s"]
            calls[description] = calls.get(description, 0.0) + time.monotonic() - started

    def _await_reply(self, call_id: int, deadline: float, description: str, timeout: float):
        while True:
            reply = self._receive(deadline, description, timeout)
            if reply.get("id") != call_id:
                self._fail_crash(f"the worker sent a reply out of order during {description}")
            kind = reply.get("kind")
            if kind == "result":
                return reply.get("value")
            if kind == "error":
                if reply.get("where") == "grader":
                    raise GraderError(str(reply.get("message")))
                if reply.get("type") == "CallFailed":  # the harness's own words, not a raise
                    raise SubmissionFault(f"{description}: {reply.get('message')}")
                raise StudentError(
                    str(reply.get("type")),
                    str(reply.get("message")),
                    str(reply.get("traceback", "")),
                )
            if kind == "callback":
                self._answer_callback(reply, description)
                continue
            self._fail_crash(f"the worker sent an unknown message during {description}")

    def _answer_callback(self, message: dict, description: str) -> None:
        function = self._remotes.get(message.get("remote"))
        if function is None:
            reply = {"kind": "callback_error", "message": "unknown callback"}
        else:
            try:
                value = function(*message.get("args", []))
                reply = {"kind": "callback_result", "value": value}
            except (ValueError, TypeError, IndexError) as exc:
                reply = {"kind": "callback_error", "message": f"{type(exc).__name__}: {exc}"}
            except BaseException:
                # The worker waits for an answer that will never come: end it, keep the verdict.
                self.stop()
                raise
        try:
            protocol.write_message(self._request_fd, reply)
        except OSError:
            self._fail_crash(f"the worker died during {description}")

    def _wrap_callables(self, value):
        if callable(value) and not isinstance(value, (Handle, type)):
            remote_id = next(self._remote_ids)
            self._remotes[remote_id] = value
            return Callback(remote_id)
        if isinstance(value, list):
            return [self._wrap_callables(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._wrap_callables(v) for v in value)
        if isinstance(value, dict):
            return {k: self._wrap_callables(v) for k, v in value.items()}
        return value

    def _check_handles(self, target, args, kwargs) -> None:
        handles = [target.get("handle")] + [
            v for v in (*args, *kwargs.values()) if isinstance(v, Handle)
        ]
        for handle in handles:
            if isinstance(handle, Handle) and handle.generation != self.generation:
                raise SubmissionFault(
                    "an object your code returned earlier was lost when the worker was "
                    "restarted after a timeout or crash in an earlier test"
                )

    def _receive(self, deadline: float, description: str, timeout: float | None = None):
        try:
            return protocol.read_message(self._response_fd, deadline, self._watch_memory)
        except protocol.DeadlineExceeded:
            self.stop()
            limit = timeout if timeout is not None else STARTUP_TIMEOUT_S
            raise WorkerTimeout(f"timed out after {limit:g} s ({description})") from None
        except _MemoryExceeded:
            self.stop()
            raise WorkerCrashed(
                f"used more than the memory limit of {self.spec.limits.memory_bytes / 2**30:.1f} "
                f"GiB ({description})"
            ) from None
        except _DiskExceeded:
            self.stop()
            raise WorkerCrashed(
                f"wrote more than the disk limit of {self.spec.limits.disk_bytes / 2**20:.0f} MiB "
                f"in its temporary folder ({description})"
            ) from None
        except protocol.ChannelClosed:
            self._fail_crash(f"the worker process ended during {description}")
        except protocol.ProtocolError as exc:
            self._fail_crash(f"the worker broke the protocol during {description}: {exc}")

    def _watch_memory(self) -> None:
        now = time.monotonic()
        if now - self._last_memory_check < MEMORY_CHECK_EVERY_S or self.process is None:
            return
        self._last_memory_check = now
        if spawn.tree_rss(self.process.pid) > self.spec.limits.memory_bytes:
            raise _MemoryExceeded()
        if spawn.dir_usage(self._work_dir) > self.spec.limits.disk_bytes:
            raise _DiskExceeded()

    def _fail_crash(self, message: str):
        process = self.process
        code = process.poll() if process is not None else None
        if code is None and process is not None:
            try:
                code = process.wait(timeout=0.5)
            except Exception:  # still running: it broke the protocol, kill it below
                code = None
        self.stop()
        raise WorkerCrashed(message + _exit_reason(code))


def _exit_reason(code: int | None) -> str:
    if code is None:
        return ""
    if code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f" (killed by {name})"
    return f" (exit code {code}: os._exit or a crash?)"


def _describe(target: dict) -> str:
    if "module" in target:
        return f"{target['module']}.{target['attr']}"
    if "handle" in target:
        handle = target["handle"]
        return f"{handle.type_name}.{target.get('attr') or '__call__'}"
    return f"helper {target.get('helper')}"


def _spared_pids() -> set[int]:
    spared: set[int] = set()
    for worker in _live_workers:
        if worker.process is None:
            continue
        spared.add(worker.process.pid)
        try:
            spared.update(p.pid for p in psutil.Process(worker.process.pid).children(True))
        except psutil.Error:  # the process is gone already: nothing of it to spare
            continue
    return spared
