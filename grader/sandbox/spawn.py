"""Starting and ending worker processes: clean interpreter, allowlisted environment, sandbox.

The worker is a fresh interpreter (never a fork of the grader), in its own session,
in an empty temporary directory. Limits and isolation (Landlock, namespaces, the
sandbox user; see ``isolation``) are applied by a tiny launcher
(``grader/worker/launcher.py``) that then ``exec``s the real worker, so the grader never
runs code between fork and exec. The launcher reports what it applied on a pipe of its
own, closed before the worker runs: that report, not anything the worker says, becomes
the result's ``isolation`` provenance.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from grader.sandbox import isolation


@dataclass
class LaunchSpec:
    """Everything needed to start one worker."""

    submission_dir: Path
    work_dir: Path
    seed: int = 0
    threads: int = 2
    preload_tf: bool = True
    generation: int = 0
    limits: isolation.Limits = field(default_factory=isolation.Limits)


class LaunchError(Exception):
    """The sandbox could not be set up: a fault of the grader's host, not of the student."""


REPORT_TIMEOUT_S = 60.0


def worker_command(spec: LaunchSpec, request_fd: int, response_fd: int, plan: dict) -> list[str]:
    """The launcher's command line: the sandbox plan, then the worker's own command."""
    python = sys.executable
    worker = [
        python,
        "-s",
        "-P",
        "-B",
        "-m",
        "grader.worker.harness",
        "--request-fd",
        str(request_fd),
        "--response-fd",
        str(response_fd),
        "--submission",
        str(spec.submission_dir),
        "--seed",
        str(spec.seed),
        "--generation",
        str(spec.generation),
    ]
    if spec.preload_tf:
        worker.append("--preload-tf")
    return isolation.launcher_command(plan, worker)


def start_process(spec: LaunchSpec) -> tuple[subprocess.Popen, int, int]:
    """Start a worker; returns the process, the fd to write requests, the fd to read replies.

    The process carries ``isolation``: what the launcher applied, assessed (see
    ``isolation.assess``). Raises ``LaunchError`` when the sandbox cannot be set up.
    """
    isolation.protect_grader()
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    report_read, report_write = os.pipe()
    processes = max(spec.limits.processes, 128 + 4 * spec.threads)  # TF's thread pools
    plan = isolation.plan(spec.submission_dir, spec.work_dir, spec.limits.rlimits(), processes)
    plan["report_fd"] = report_write
    stdout = open(spec.work_dir / "stdout.log", "ab")  # noqa: SIM115 - handed to the child
    stderr = open(spec.work_dir / "stderr.log", "ab")  # noqa: SIM115
    try:
        process = subprocess.Popen(
            worker_command(spec, request_read, response_write, plan),
            cwd=spec.work_dir,
            env=isolation.worker_environment(spec.work_dir, spec.threads),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(request_read, response_write, report_write),
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        for fd in (request_write, response_read, report_read):
            os.close(fd)
        raise
    finally:
        stdout.close()
        stderr.close()
        for fd in (request_read, response_write, report_write):
            os.close(fd)
    try:
        report = read_report(report_read)
    finally:
        os.close(report_read)
    if "error" in report:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        for fd in (request_write, response_read):
            os.close(fd)
        raise LaunchError(f"the worker's sandbox could not be set up: {report['error']}")
    process.isolation = isolation.assess(report, plan.get("notes", []))
    uid = report.get("user", {}).get("uid", -1)
    if uid >= isolation.SANDBOX_UID_BASE:  # its own: everything of that uid is the worker's
        process.sandbox_uid = uid
    return process, request_write, response_read


def read_report(fd: int) -> dict:
    """The launcher's JSON report, complete when it closes the pipe (before the exec)."""
    data, deadline = b"", time.monotonic() + REPORT_TIMEOUT_S
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return {"error": "the launcher did not report in time"}
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    try:
        return json.loads(data) if data else {"error": "the launcher ended without a report"}
    except ValueError:
        return {"error": "the launcher's report is not JSON"}


def dir_usage(path: Path, max_entries: int = 10_000) -> int:
    """Bytes allocated under ``path`` (a directory that holds more than ``max_entries``
    entries counts as unlimited: walking it would be the attack)."""
    total, seen, stack = 0, 0, [str(path)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                seen += 1
                if seen > max_entries:
                    return sys.maxsize
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
                except OSError:
                    pass
    return total


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


def kill_tree(process: subprocess.Popen, spare: set[int] = frozenset()) -> None:
    """SIGKILL the worker's process group and every descendant, daemons included.

    A worker with a uid of its own ends with everything of that uid, in one atomic
    ``kill(-1)`` made as that uid: even a process that re-forks without pause cannot
    slip through. Otherwise (and then anyway) daemons that left the group re-parent to
    us (we are a subreaper), so after the group dies we also kill every child of ours
    that is not in ``spare`` (other live workers' pids and their descendants).
    """
    try:
        victims = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        victims = []
    uid = getattr(process, "sandbox_uid", None)
    if uid is not None:
        kill_uid(uid)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for victim in victims:
        _kill(victim)
    process.wait()
    empty_scans = 0
    for _ in range(50):
        orphans = [p for p in _own_children() if p.pid not in spare]
        if not orphans:
            empty_scans += 1
            if empty_scans == 3:  # twice more: a re-forking process may be between pids
                break
            time.sleep(0.005)
            continue
        empty_scans = 0
        for orphan in orphans:
            try:
                orphan.suspend()
            except psutil.Error:
                pass
        for orphan in orphans:
            _kill(orphan)
        psutil.wait_procs(orphans, timeout=1)


def kill_uid(uid: int) -> None:
    """As root: SIGKILL every process of ``uid`` (a worker's own uid), atomically."""
    command = ["kill", "-s", "KILL", "--", "-1"]
    try:
        subprocess.run(
            command,
            user=uid,
            group=uid,
            extra_groups=[],
            timeout=10,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin"},
        )
    except (OSError, subprocess.SubprocessError):
        pass  # the sweep below still runs


def _own_children() -> list[psutil.Process]:
    try:
        return [
            p
            for p in psutil.Process().children(recursive=True)
            if p.status() != "zombie" or _reap(p)
        ]
    except psutil.Error:
        return []


def _reap(proc: psutil.Process) -> bool:
    try:
        os.waitpid(proc.pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return False


def _kill(proc: psutil.Process) -> None:
    try:
        proc.kill()
    except psutil.Error:
        pass
