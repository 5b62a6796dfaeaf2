"""Starting and ending worker processes: clean interpreter, allowlisted environment, limits.

The worker is a fresh interpreter (never a fork of the grader), in its own session,
in an empty temporary directory. Limits are applied by a tiny launcher that then
``exec``s the real worker, so the grader never runs code between fork and exec.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil

GiB = 1024**3
MiB = 1024**2


@dataclass
class Limits:
    """What one worker may use. Memory is watched on RSS; the rest are rlimits."""

    memory_bytes: int = 6 * GiB
    address_space_bytes: int = 32 * GiB  # TensorFlow reserves far more than it uses
    file_size_bytes: int = 64 * MiB
    open_files: int = 1024
    cpu_seconds: int = 4 * 3600

    def rlimits(self) -> dict[str, tuple[int, int]]:
        return {
            "RLIMIT_AS": (self.address_space_bytes, self.address_space_bytes),
            "RLIMIT_FSIZE": (self.file_size_bytes, self.file_size_bytes),
            "RLIMIT_NOFILE": (self.open_files, self.open_files),
            "RLIMIT_CORE": (0, 0),
            "RLIMIT_CPU": (self.cpu_seconds, self.cpu_seconds + 5),
        }


@dataclass
class LaunchSpec:
    """Everything needed to start one worker."""

    submission_dir: Path
    work_dir: Path
    seed: int = 0
    threads: int = 2
    preload_tf: bool = True
    generation: int = 0
    limits: Limits = field(default_factory=Limits)


# Runs with -S (no site): set limits, then exec the worker. Kept tiny on purpose.
_LAUNCHER = """
import json, os, resource, sys
for name, (soft, hard) in json.loads(sys.argv[1]).items():
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError, AttributeError):
        pass
os.execv(sys.argv[2], sys.argv[2:])
"""


def worker_environment(spec: LaunchSpec) -> dict[str, str]:
    """The worker's whole environment, built from an allowlist (no tokens, no PYTHONPATH)."""
    threads = str(max(1, spec.threads))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(spec.work_dir),
        "TMPDIR": str(spec.work_dir),
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "MALLOC_ARENA_MAX": "2",
        "CUDA_VISIBLE_DEVICES": "",
        "KERAS_BACKEND": "tensorflow",
        "KERAS_HOME": str(spec.work_dir / ".keras"),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(spec.work_dir / ".matplotlib"),
    }


def worker_command(spec: LaunchSpec, request_fd: int, response_fd: int) -> list[str]:
    python = sys.executable
    worker = [python, "-s", "-P", "-B", "-m", "grader.worker.harness",
              "--request-fd", str(request_fd), "--response-fd", str(response_fd),
              "--submission", str(spec.submission_dir), "--seed", str(spec.seed),
              "--generation", str(spec.generation)]
    if spec.preload_tf:
        worker.append("--preload-tf")
    return [python, "-S", "-c", _LAUNCHER, json.dumps(spec.limits.rlimits()), *worker]


_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphans of our workers (double-forked daemons) re-parent to us, so we can sweep them."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def start_process(spec: LaunchSpec) -> tuple[subprocess.Popen, int, int]:
    """Start a worker; returns the process, the fd to write requests, the fd to read replies."""
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    request_read, request_write = os.pipe()
    response_read, response_write = os.pipe()
    stdout = open(spec.work_dir / "stdout.log", "ab")  # noqa: SIM115 - handed to the child
    stderr = open(spec.work_dir / "stderr.log", "ab")  # noqa: SIM115
    try:
        process = subprocess.Popen(
            worker_command(spec, request_read, response_write),
            cwd=spec.work_dir,
            env=worker_environment(spec),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(request_read, response_write),
            start_new_session=True,
            close_fds=True,
        )
    finally:
        stdout.close()
        stderr.close()
        os.close(request_read)
        os.close(response_write)
    return process, request_write, response_read


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

    Daemons that left the group re-parent to us (we are a subreaper), so after the
    group dies we also kill every child of ours that is not in ``spare`` (other live
    workers' pids and their descendants).
    """
    try:
        victims = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        victims = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for victim in victims:
        _kill(victim)
    process.wait()
    for _ in range(20):
        orphans = [p for p in _own_children() if p.pid not in spare]
        if not orphans:
            break
        for orphan in orphans:
            try:
                orphan.suspend()
            except psutil.Error:
                pass
        for orphan in orphans:
            _kill(orphan)
        psutil.wait_procs(orphans, timeout=1)


def _own_children() -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process().children(recursive=True) if p.status() != "zombie"
                or _reap(p)]
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
