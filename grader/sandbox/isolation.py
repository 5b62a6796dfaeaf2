"""What the host offers to confine a worker, and the sandbox plan for each worker.

``host()`` finds out, once per process, which protections this machine allows: Landlock
(and its ABI), an empty network namespace and a pid namespace (as root directly,
otherwise through an unprivileged user namespace), a private mount namespace and a
sandbox user (as root).
Each is proven by running the launcher (``grader/worker/launcher.py``) on a small plan,
not guessed from version numbers. ``plan()`` turns that into the launcher's plan for
one worker, and ``assess()`` turns the launcher's report into the result's provenance:
which protections are active, which are missing, and what that means.

The sandbox user, when the grader runs as root, is a uid of its own for each worker
(``SANDBOX_UID_BASE + pid``: processes and threads are then counted per worker, and no
worker can signal or trace another); ``GRADE_SANDBOX_USER`` names a fixed user instead,
or ``root`` to keep root (not recommended).

Finally ``host()`` starts one real worker interpreter in the full sandbox (the same
layout as grading: a submission inside a private temp dir). Where it cannot start (the
sandbox user cannot read the virtual environment, Landlock hides a package the
interpreter needs...), the sandbox is weakened step by step until it can, and each step
is recorded as a note: a correct submission is never failed by where the grader was
installed. ``GRADE_ISOLATION`` chooses less: ``off`` (resource limits only) or
``no-landlock`` (everything but Landlock).
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import json
import os
import pwd
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grader
import grader.worker

LAUNCHER = Path(grader.worker.__file__).with_name("launcher.py")  # runs in the worker
SANDBOX_UID_BASE = 2_100_000_000  # above the ranges sssd and friends map users to
PROBE_TIMEOUT_S = 10
HOST_ENV = "GRADE_ISOLATION_HOST"
SWITCH_ENV = "GRADE_ISOLATION"  # "off", "no-landlock"; unset: the strongest available
HOSTILE_SAFE = "hostile-student safe"
HONEST_SAFE = "honest-student safe"
# Read (and execute) access a Python worker needs outside the interpreter and packages.
SYSTEM_PATHS = {
    **dict.fromkeys(("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"), "rx"),
    **dict.fromkeys(
        (
            "/etc",
            "/var/cache/fontconfig",
            "/proc/cpuinfo",
            "/proc/meminfo",
            "/proc/stat",
            "/sys/devices/system/cpu",
            "/sys/fs/cgroup",
        ),
        "r",
    ),
    "/proc/self": "rw",  # its own /proc entries (threads name themselves through them)
    "/dev/null": "rw",
    "/dev/zero": "r",
    "/dev/urandom": "r",
    "/dev/random": "r",
}


class EnvironmentModified(RuntimeError):
    """A worker changed the Python installation: every later grade would be suspect."""


@dataclass(frozen=True)
class Host:
    """The protections this host allows (each proven by a probe)."""

    system: str
    root: bool
    landlock_abi: int = 0
    net_namespace: bool = False
    pid_namespace: bool = False  # the worker is its process 1: all die with it
    user_namespace: bool = False  # unprivileged: needed for the other namespaces
    mount_namespace: bool = False  # root: hides directories from the sandbox user
    sandbox_user: dict | None = None  # root: {"uid_base": n} or {"uid": n, "gid": n}
    notes: tuple[str, ...] = field(default_factory=tuple)


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
    processes: int = 256  # threads included; applied where counted per worker
    disk_bytes: int = 512 * MiB  # the work dir's total size, watched by the client

    def rlimits(self) -> dict[str, tuple[int, int]]:
        return {
            "RLIMIT_AS": (self.address_space_bytes, self.address_space_bytes),
            "RLIMIT_FSIZE": (self.file_size_bytes, self.file_size_bytes),
            "RLIMIT_NOFILE": (self.open_files, self.open_files),
            "RLIMIT_CORE": (0, 0),
            "RLIMIT_CPU": (self.cpu_seconds, self.cpu_seconds + 5),
        }


def worker_environment(work_dir: Path, threads: int) -> dict[str, str]:
    """The worker's whole environment, built from an allowlist (no tokens, no PYTHONPATH)."""
    threads = str(max(1, threads))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(work_dir),
        "TMPDIR": str(work_dir),
        "USER": "grade-worker",  # the sandbox uid may have no passwd entry
        "LOGNAME": "grade-worker",
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
        "KERAS_HOME": str(work_dir / ".keras"),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(work_dir / ".matplotlib"),
    }


def launcher_command(plan: dict, worker: list[str] = ()) -> list[str]:
    """The one command line that starts a worker: the launcher applies ``plan`` (the
    sandbox), then ``exec``s ``worker`` (the worker's own command, if any)."""
    return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(plan), *worker]


_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36


@functools.lru_cache(maxsize=1)
def protect_grader() -> dict[str, bool]:
    """Harden this (trusted) process before it starts workers; idempotent.

    Non-dumpable: no worker can read our ``/proc/<pid>/mem``, ``environ`` or ``maps``
    (nor ptrace us), even under the same uid. Child subreaper: orphans of our workers
    (double-forked daemons) re-parent to us, so ``kill_tree`` can sweep them.
    """
    done = {"non_dumpable": False, "subreaper": False}
    if not sys.platform.startswith("linux"):
        return done
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return done
    done["non_dumpable"] = libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    done["subreaper"] = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return done


@functools.lru_cache(maxsize=1)
def host() -> Host:
    """Probe this host once (about 0.3 s on Linux, nothing elsewhere); the result is
    handed to child processes (the trusted pytest) through ``GRADE_ISOLATION_HOST``."""
    inherited = os.environ.get(HOST_ENV)
    if inherited:
        try:
            fields = json.loads(inherited)
            return Host(**fields | {"notes": tuple(fields.get("notes", ()))})
        except (ValueError, TypeError):
            pass
    found = _probe_host()
    os.environ[HOST_ENV] = json.dumps(dataclasses.asdict(found))
    return found


def switch() -> str:
    """``GRADE_ISOLATION``: ``off``, ``no-landlock`` or empty (the strongest available)."""
    return os.environ.get(SWITCH_ENV, "").strip().lower()


# What `grade doctor` says on macOS (and any POSIX system other than Linux).
OTHER_PLATFORM_NOTE = (
    "not Linux: the worker runs in its own process group with resource limits (CPU "
    "time, open files, file size), the grader's memory watchdog and deadlines, which keep "
    "grading right "
    "for honest mistakes; there is no Landlock, namespace or seccomp here, so the worker "
    "can read what your user can: grade a class's untrusted work on Linux"
)


def _probe_host() -> Host:
    system = sys.platform
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not system.startswith("linux") or switch() == "off":
        return Host(
            system,
            root,
            notes=(OTHER_PLATFORM_NOTE,)
            if not system.startswith("linux")
            else (f"{SWITCH_ENV}=off: resource limits only",),
        )
    notes = []
    user = _sandbox_user(notes) if root else None
    probes = {
        "landlock": {"landlock": {"/usr": "r"}},
        "net": {"namespaces": {"net": True, "user": not root}},
        "pid": {"namespaces": {"pid": True, "user": not root}},
    }
    if root:
        probes["mount"] = {"namespaces": {"mount": True}, "cover": []}
        if user:
            probes["user"] = {"user": user}
    if switch() == "no-landlock":
        del probes["landlock"]
        notes.append(f"{SWITCH_ENV}=no-landlock: Landlock is not used")
    ok = _run_probes(probes, notes)
    abi = _landlock_abi() if ok.get("landlock") else 0
    if user and not ok.get("user"):
        user = None
    found = Host(
        system,
        root,
        landlock_abi=abi,
        net_namespace=bool(ok.get("net")),
        pid_namespace=bool(ok.get("pid")),
        user_namespace=bool(ok.get("net") or ok.get("pid")) and not root,
        mount_namespace=bool(ok.get("mount")),
        sandbox_user=user,
        notes=tuple(notes),
    )
    return _weaken_until_a_worker_starts(found)


WEAKER = (  # what to give up, in this order, when a worker cannot start in the sandbox
    ("the sandbox user", {"sandbox_user": None}),
    ("Landlock", {"landlock_abi": 0}),
    (
        "the namespaces",
        {
            "net_namespace": False,
            "pid_namespace": False,
            "user_namespace": False,
            "mount_namespace": False,
        },
    ),
)


def _weaken_until_a_worker_starts(found: Host) -> Host:
    """Start a worker interpreter in ``found``'s sandbox; where it cannot start, give up
    protections (``WEAKER``) until it can, noting each with the reason."""
    failure = _start_probe_worker(found)
    for what, fields in WEAKER:
        if failure is None:
            return found
        if all(getattr(found, k) == v for k, v in fields.items()):
            continue
        note = f"a worker cannot start with {what} here ({failure}): workers run without it"
        found = dataclasses.replace(found, **fields, notes=(*found.notes, note))
        failure = _start_probe_worker(found)
    if failure is None:
        return found
    note = f"a worker cannot start in any sandbox here ({failure}): resource limits only"
    return Host(found.system, found.root, notes=(*found.notes, note))


PROBE_WORKER = "import grader.worker.harness, numpy; print('ok')"


def _start_probe_worker(found: Host) -> str | None:
    """``None`` if a worker interpreter starts and imports the harness in ``found``'s
    sandbox (laid out as in grading), else why not."""
    scratch = Path(tempfile.mkdtemp(prefix="grade-probe-"))
    try:
        submission_dir, work_dir = scratch / "submission", scratch / "work"
        submission_dir.mkdir()
        work_dir.mkdir()
        (submission_dir / "probe.py").write_text("")
        share_with_worker(submission_dir)
        steps = plan(submission_dir, work_dir, Limits().rlimits(), 64, found)
        command = [sys.executable, "-s", "-P", "-B", "-c", PROBE_WORKER]
        try:
            done = subprocess.run(
                launcher_command(steps, command),
                cwd=work_dir,
                env=worker_environment(work_dir, threads=1),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PROBE_TIMEOUT_S * 6,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return "it did not start within a minute"
        if done.returncode == 0 and done.stdout.strip() == b"ok":
            return None
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        return f"exit status {done.returncode}: {lines[-1].removeprefix('grade launcher: ')}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def share_with_worker(folder: Path) -> None:
    """Make the grader's private copy of a submission readable by the sandbox user
    (whatever the umask): it lives in a temp dir only the grader and the worker see."""
    for root, _, files in os.walk(folder):
        os.chmod(root, 0o755)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)


def _landlock_abi() -> int:
    import ctypes

    abi = ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1)
    return max(abi, 0)


def _sandbox_user(notes: list[str]) -> dict | None:
    wanted = os.environ.get("GRADE_SANDBOX_USER", "")
    if wanted in ("root", "0"):
        notes.append("GRADE_SANDBOX_USER=root: workers keep root")
        return None
    if wanted:
        try:
            entry = pwd.getpwnam(wanted) if not wanted.isdigit() else pwd.getpwuid(int(wanted))
            return {"uid": entry.pw_uid, "gid": entry.pw_gid}
        except KeyError:
            if wanted.isdigit():
                return {"uid": int(wanted), "gid": int(wanted)}
            notes.append(f"GRADE_SANDBOX_USER={wanted}: no such user")
            return None
    if _uid_mapped(SANDBOX_UID_BASE, _pid_max()):
        return {"uid_base": SANDBOX_UID_BASE}
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        notes.append("no uid range and no user nobody for the sandbox")
        return None
    notes.append("the per-worker uid range is not mapped here: workers share the user nobody")
    return {"uid": nobody.pw_uid, "gid": nobody.pw_gid}


def _pid_max() -> int:
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        return 4_194_304


def _uid_mapped(first: int, count: int) -> bool:
    try:
        lines = Path("/proc/self/uid_map").read_text().split("\n")
    except OSError:
        return False
    for line in lines:
        parts = line.split()
        if (
            len(parts) == 3
            and int(parts[0]) <= first
            and first + count <= int(parts[0]) + int(parts[2])
        ):
            return True
    return False


def _run_probes(probes: dict[str, dict], notes: list[str]) -> dict[str, bool]:
    """Which small plans the launcher applies cleanly: all at once first (the usual
    case: one process), then one by one (in parallel) to find what fails."""
    combined: dict = {}
    for probe in probes.values():
        for key, value in probe.items():
            combined[key] = combined.get(key, {}) | value if isinstance(value, dict) else value
    if _probe_all({"all": combined}, []).get("all"):
        return dict.fromkeys(probes, True)
    return _probe_all(probes, notes)


def _probe_all(probes: dict[str, dict], notes: list[str]) -> dict[str, bool]:
    running = {}
    for name, probe in probes.items():
        running[name] = subprocess.Popen(
            launcher_command(probe),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={},
            start_new_session=True,
        )
    ok = {}
    for name, process in running.items():
        try:
            _, err = process.communicate(timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        ok[name] = process.returncode == 0
        if not ok[name]:
            notes.append(
                f"{name}: " + err.decode(errors="replace").strip().removeprefix("grade launcher: ")
            )
    return ok


# -- one worker's plan -------------------------------------------------------------------
def readable_paths(submission_dir: Path) -> dict[str, str]:
    """What a worker may read ("r") or also execute ("rx"), besides its work dir."""
    paths: dict[str, str] = {}
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        paths[os.path.realpath(prefix)] = "rx"
    paths[str(Path(os.path.realpath(sys.executable)).parent)] = "rx"
    for directory in site.getsitepackages():
        paths.setdefault(os.path.realpath(directory), "r")
    grader_dir = Path(grader.__file__).resolve().parent
    paths[str(grader_dir)] = "r"  # not the repo around it (tests, solutions)
    for directory in _pth_dirs():
        if directory not in map(str, grader_dir.parents):
            paths.setdefault(directory, "r")
    paths.update(SYSTEM_PATHS)
    paths[os.path.realpath(submission_dir)] = "r"
    return paths


@functools.lru_cache(maxsize=1)
def _pth_dirs() -> tuple[str, ...]:
    """Directories that ``.pth`` files in site-packages put on the path (a venv whose
    packages come from elsewhere): the worker's interpreter reads them too."""
    found = []
    for site_dir in site.getsitepackages():
        try:
            pth_files = sorted(Path(site_dir).glob("*.pth"))
        except OSError:
            continue
        for pth in pth_files:
            try:
                lines = pth.read_text(errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                directory = os.path.realpath(os.path.join(site_dir, line))
                if os.path.isdir(directory):
                    found.append(directory)
    return tuple(found)


def plan(
    submission_dir: Path,
    work_dir: Path,
    rlimits: dict,
    processes: int,
    found: Host | None = None,
) -> dict:
    """The launcher's plan for one worker: the strongest isolation ``found`` (by default
    ``host()``) allows. ``notes`` says what was left out for this worker, and why."""
    found = found or host()
    result: dict = {"parent": os.getpid(), "rlimits": dict(rlimits), "notes": []}
    if not found.system.startswith("linux") or switch() == "off":
        return result
    rules = readable_paths(submission_dir) | {os.path.realpath(work_dir): "rw"}
    namespaces = {
        "net": found.net_namespace,
        "pid": found.pid_namespace,
        "user": found.user_namespace,
    }
    if found.sandbox_user:
        covers = _covers(rules, found.sandbox_user)
        if covers is not None and (not covers or found.mount_namespace):
            result.update(user=found.sandbox_user, chown=[os.path.realpath(work_dir)])
            if covers:
                result["cover"] = covers
                namespaces["mount"] = True
            result["rlimits"]["RLIMIT_NPROC"] = (processes, processes)
        else:
            closed = [c[0] for c in covers or []] or [
                p for p, mode in rules.items() if mode != "rw" and _closed(p, found.sandbox_user)
            ]
            result["notes"].append(
                "the sandbox user cannot read "
                + ", ".join(closed[:3])
                + (" (and no private mount namespace to open a way)" if covers else "")
                + ": this worker keeps root"
            )
    elif found.user_namespace:  # counted per user namespace: only this worker's tasks
        result["rlimits"]["RLIMIT_NPROC"] = (processes, processes)
    result["namespaces"] = {k: v for k, v in namespaces.items() if v}
    if found.landlock_abi:
        result.update(landlock=rules, landlock_abi=found.landlock_abi)
    return result


def _covers(rules: dict[str, str], user: dict) -> list | None:
    """Directories the sandbox user cannot enter on the way to a needed path, each with
    the entries to keep visible; ``None`` when covering cannot help (a needed path
    itself is closed to that user)."""
    uid, gid = user.get("uid", -1), user.get("gid", -1)
    keep: dict[str, set[str]] = {}
    for path, mode in rules.items():
        if not os.path.exists(path):
            continue
        parts = Path(path).parts
        for depth in range(1, len(parts)):
            directory = str(Path(*parts[:depth]))
            if not _may(directory, uid, gid, stat.S_IXOTH):
                keep.setdefault(directory, set()).add(str(Path(*parts[: depth + 1])))
        if mode != "rw" and not _may(path, uid, gid, stat.S_IROTH):
            return None  # ("rw": the work dir, handed over with chown, or open to all)
    ordered = sorted(keep, key=lambda d: len(Path(d).parts))  # outer ones first
    return [[d, sorted(keep[d])] for d in ordered]


def _closed(path: str, user: dict) -> bool:
    try:
        return not _may(path, user.get("uid", -1), user.get("gid", -1), stat.S_IROTH)
    except OSError:
        return False


def _may(path: str, uid: int, gid: int, other_bit: int) -> bool:
    """Whether ``uid``/``gid`` (no supplementary groups) gets ``other_bit``'s access."""
    st = os.stat(path)
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    return bool(st.st_mode & (other_bit << shift))


# -- what was applied, in words ---------------------------------------------------------------
def grader_protections() -> dict[str, bool]:
    """The trusted process's own hardening (``protect_grader``)."""
    return protect_grader()


def assess(report: dict, notes: list[str] | tuple[str, ...] = ()) -> dict:
    """The provenance entry for a launcher's report: how each protection is provided
    (``None``: not at all; ``"partial: ..."``: only in part), the level (hostile- or
    honest-student safe), which protections are missing or partial, and the notes of
    the host and of this worker's plan (why something is missing)."""
    landlock = report.get("landlock") or {}
    network_ns = "net" in report.get("namespaces", [])
    pid_ns = "pid" in report.get("namespaces", [])
    user = report.get("user")
    own_uid = bool(user) and user["uid"] >= SANDBOX_UID_BASE
    worker_root = hasattr(os, "geteuid") and os.geteuid() == 0 and not user
    grader_side = grader_protections()
    limits = set(report.get("rlimits", []))

    def first(*options: tuple[bool, str]) -> str | None:
        return next((how for condition, how in options if condition), None)

    def joined(*options: tuple[bool, str]) -> str | None:
        return " + ".join(how for condition, how in options if condition) or None

    protections = {
        "filesystem": first(
            (landlock.get("filesystem"), "Landlock"),
            (user, "partial: file permissions of another user"),
        ),
        "network": joined(
            (network_ns, "empty network namespace"), (landlock.get("tcp"), "Landlock TCP")
        ),
        "signals": joined((landlock.get("signals"), "Landlock scope"), (user, "another uid")),
        "grader_memory": joined(
            (grader_side["non_dumpable"] and not worker_root, "grader non-dumpable"),
            (landlock.get("filesystem"), "Landlock"),
            (user, "another uid"),
        ),
        "privileges": first(
            (own_uid, "a uid of its own, no capabilities"),
            (user, f"uid {(user or {}).get('uid')}, no capabilities"),
            (not worker_root, "not root"),
        ),
        "processes": first(("RLIMIT_NPROC" in limits, "RLIMIT_NPROC per worker")),
        "outliving": first(
            (pid_ns and own_uid, "pid namespace + kill of its uid + subreaper sweep"),
            (pid_ns, "pid namespace + subreaper sweep"),
            (own_uid, "kill of its uid + subreaper sweep"),
            (
                grader_side["subreaper"],
                "partial: subreaper sweep (a process that re-forks without pause may escape)",
            ),
            (True, "partial: process-group kill"),
        ),
        "venv": first(
            (landlock.get("filesystem"), "read-only (Landlock)"),
            (user and _venv_closed_to(user), "read-only (file permissions)"),
            (True, "partial: changes detected, the batch stops"),
        ),
        "disk": "RLIMIT_FSIZE + temp dir watchdog",
        "cpu": first(("RLIMIT_CPU" in limits, "RLIMIT_CPU + deadlines"), (True, "deadlines")),
    }
    missing = [name for name, how in protections.items() if not how or how.startswith("partial")]
    return {
        "level": HONEST_SAFE if missing else HOSTILE_SAFE,
        "missing": missing,
        "landlock_abi": landlock.get("abi", 0),
        **protections,
        "notes": [*host().notes, *notes],
    }


def _venv_closed_to(user: dict) -> bool:
    uid, gid = user.get("uid", -1), user.get("gid", -1)
    return all(not _may(d, uid, gid, stat.S_IWOTH) for d in site_dirs() if os.path.isdir(d))


# -- the Python installation must not change -------------------------------------------------
_last_snapshot: dict[str, tuple[int, int]] | None = None
_snapshot_lock = threading.Lock()


def site_dirs() -> list[str]:
    """Where code that every later interpreter runs lives: site-packages, the user site,
    the standard library, and the grader package."""
    dirs = [
        *site.getsitepackages(),
        site.getusersitepackages(),
        os.path.dirname(os.__file__),
        str(Path(grader.__file__).resolve().parent),
    ]
    return sorted({os.path.realpath(d) for d in dirs})


def snapshot(dirs: list[str]) -> dict[str, tuple[int, int]]:
    """Every file under ``dirs``: path -> (size, mtime in ns). (A directory's own mtime
    says nothing more: what was added or removed in it shows as a path.)"""
    found = {}
    for top in dirs:
        for root, _, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


def changes(before: dict, after: dict) -> list[str]:
    """Paths added, removed or modified, except bytecode the interpreter itself wrote
    (a ``.pyc`` identical to what compiling its source gives now)."""
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return [p for p in changed if not _is_own_bytecode(p)]


def _is_own_bytecode(path: str) -> bool:
    pyc = Path(path)
    if pyc.suffix != ".pyc" or pyc.parent.name != "__pycache__":
        return False
    source = pyc.parent.parent / (pyc.name.split(".")[0] + ".py")
    try:
        from importlib._bootstrap_external import _code_to_timestamp_pyc

        st = source.stat()
        opt = pyc.name.split(".opt-")[1][0] if ".opt-" in pyc.name else 0
        code = compile(
            source.read_bytes(), str(source), "exec", dont_inherit=True, optimize=int(opt)
        )
        return bytes(_code_to_timestamp_pyc(code, st.st_mtime, st.st_size)) == pyc.read_bytes()
    except (OSError, SyntaxError, ValueError, ImportError):
        return False


def venv_write_denied() -> bool:
    """Whether workers cannot write into the Python installation on this host."""
    found = host()
    if found.landlock_abi:
        return True
    user = found.sandbox_user
    return bool(user) and _venv_closed_to(user)


@contextmanager
def guard_environment(dirs: list[str] | None = None, *, force: bool = False) -> Iterator[None]:
    """Around grading: where workers could change the Python installation, compare it
    with the last snapshot afterwards and raise ``EnvironmentModified`` if it changed.

    Snapshots form one chain per process (each compared with the one before), so
    concurrent gradings never miss a change. Costs about one walk of the installation
    (1.3 s for 100 000 files here) per submission, only where writes are not denied.
    """
    global _last_snapshot
    if venv_write_denied() and not force:
        yield
        return
    chained = dirs is None
    dirs = site_dirs() if chained else dirs
    with _snapshot_lock:
        if not chained or _last_snapshot is None:
            before = snapshot(dirs)
            if chained:
                _last_snapshot = before
    yield
    with _snapshot_lock:
        now = snapshot(dirs)
        if chained:
            before, _last_snapshot = _last_snapshot, now
        changed = changes(before, now)
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise EnvironmentModified(
            f"the Python installation changed while a submission was graded ({shown}): stop, "
            "inspect and reinstall before grading anything else; this host cannot make the "
            "installation read-only for workers (see `grade doctor`)"
        )
