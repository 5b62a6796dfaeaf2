"""The worker's launcher: apply a sandbox plan to this process, then exec the worker.

Run as ``python -I -S launcher.py PLAN_JSON [WORKER_ARGV...]`` by ``grader.sandbox.spawn``
(with no worker argv it stops after applying the plan: a probe). It imports only the
standard library, never the grader. The plan, built by ``grader.sandbox.isolation``
from what the host offers, is applied in this order: parent-death signal (the worker
dies with the grader); namespaces (an empty network namespace; a pid namespace whose
process 1 is the worker, this launcher waiting outside; unprivileged, a user namespace;
as root, a private mount namespace in which each directory the sandbox user cannot
enter is covered by a tmpfs holding only the entries it needs); the sandbox user (as
root); no_new_privs; Landlock; rlimits. Every step of the plan must succeed: on any
failure the launcher exits with status 121 and the worker never starts. What was
applied is written as JSON to ``plan["report_fd"]`` before the exec, for the result's
provenance.
"""

import json
import os
import resource  # imported before the sandbox could hide the standard library
import signal
import struct
import sys

FAILED = 121
# Landlock (linux/landlock.h): filesystem access rights and their ABI versions.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
ABI1_RIGHTS, REFER, TRUNCATE = (1 << 13) - 1, 1 << 13, 1 << 14
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
RIGHTS = {
    "r": READ_FILE | READ_DIR,
    "rx": READ_FILE | READ_DIR | EXECUTE,
    "rw": ABI1_RIGHTS & ~EXECUTE | REFER | TRUNCATE,
}
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


def main() -> None:
    plan, argv = json.loads(sys.argv[1]), sys.argv[2:]
    report = {}
    try:
        if sys.platform.startswith("linux"):
            linux(plan, report)
        report["rlimits"] = rlimits(plan.get("rlimits", {}))
    except Exception as exc:  # noqa: BLE001 - any failure: the worker must not start
        report["error"] = f"{type(exc).__name__}: {exc}"
    if plan.get("report_fd") is not None:
        os.write(plan["report_fd"], json.dumps(report).encode())
        os.close(plan["report_fd"])
    if "error" in report:
        sys.stderr.write(f"grade launcher: {report['error']}\n")
        os._exit(FAILED)
    if not argv:
        os._exit(0)
    try:
        os.execv(argv[0], argv)
    except OSError as exc:
        sys.stderr.write(f"grade launcher: cannot start the worker: {exc}\n")
        os._exit(FAILED)


def rlimits(limits: dict) -> list:
    """Set what this platform supports (macOS refuses some); report which were set."""
    applied = []
    for name, (soft, hard) in limits.items():
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
            applied.append(name)
        except (ValueError, OSError, AttributeError):
            pass
    return applied


def linux(plan: dict, report: dict) -> None:
    import ctypes  # only here: macOS needs none of this

    libc = ctypes.CDLL(None, use_errno=True)

    def check(result: int, what: str) -> None:
        if result < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"{what}: {os.strerror(errno)}")

    def tie_to_parent(parent: int | None) -> None:  # die with it (a uid change clears this)
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "parent-death signal")
        if parent not in (None, os.getppid()):
            raise RuntimeError("the grader ended before the worker started")

    uid, gid, user = os.getuid(), os.getgid(), plan.get("user")
    namespaces = plan.get("namespaces", {})
    tie_to_parent(plan.get("parent"))
    flags = 0
    for name, flag in (
        ("net", CLONE_NEWNET),
        ("mount", CLONE_NEWNS),
        ("user", CLONE_NEWUSER),
        ("pid", CLONE_NEWPID),
    ):
        flags |= flag if namespaces.get(name) else 0
    if flags:
        check(libc.unshare(flags), "unshare")
        report["namespaces"] = sorted(k for k, v in namespaces.items() if v)
    if namespaces.get("user"):  # map our own ids: no privilege gained, none lost
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    if namespaces.get("pid"):
        become_pid_one()
    if plan.get("cover"):
        check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")
        for directory, keep in plan["cover"]:
            cover(libc, check, directory, keep)
        report["covered"] = [directory for directory, _ in plan["cover"]]
    if user:
        report["user"] = drop_user(user, plan.get("chown", []))
    tie_to_parent(None if namespaces.get("pid") else plan.get("parent"))  # pid 1: parent 0
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if plan.get("landlock"):
        report["landlock"] = landlock(
            libc.syscall, check, plan["landlock"], plan.get("landlock_abi", 99)
        )


def become_pid_one() -> None:
    """Fork: the child (returning) becomes process 1 of the new pid namespace, so that
    when it ends the kernel kills every process left in it. This process stays outside
    (and unconfined, holding no file descriptor of the worker's), waits, and ends the
    way the worker ended."""
    child = os.fork()
    if child == 0:
        return
    os.closerange(3, 2**31 - 1)
    status = os.waitpid(child, 0)[1]
    if os.WIFSIGNALED(status):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def cover(libc, check, directory: str, keep: list) -> None:
    """Mount a tmpfs on ``directory`` and bind each path of ``keep`` (inside it) back."""
    fds = [os.open(path, os.O_PATH | os.O_CLOEXEC) for path in keep]
    check(
        libc.mount(
            b"tmpfs",
            directory.encode(),
            b"tmpfs",
            MS_NOSUID | MS_NODEV,
            b"mode=0755,size=64k,nr_inodes=64",
        ),
        f"tmpfs on {directory}",
    )
    for path, fd in zip(keep, fds, strict=True):
        if is_dir(fd):
            os.mkdir(path)
        else:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
        check(
            libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None),
            f"bind mount of {path}",
        )
        os.close(fd)


def is_dir(fd: int) -> bool:
    return os.fstat(fd).st_mode & 0o170000 == 0o040000


def drop_user(user: dict, chown: list) -> dict:
    """As root: become the sandbox user, with no groups and no capabilities."""
    uid = user["uid"] if "uid" in user else user["uid_base"] + os.getpid()
    gid = user.get("gid", uid)
    for path in chown:
        os.chown(path, uid, gid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)  # from root to non-root: clears every capability set
    try:
        os.setuid(0)
    except PermissionError:
        return {"uid": uid, "gid": gid}
    raise RuntimeError("still able to become root after dropping privileges")


def landlock(syscall, check, rules: dict, most: int) -> dict:
    """Allow only ``rules`` ({path: "r"|"rx"|"rw"}); no TCP (ABI 4+); scope signals (6+).
    Uses the kernel's ABI version, or ``most`` if lower."""
    abi = syscall(CREATE_RULESET, None, 0, 1)
    check(abi, "Landlock")
    abi = min(abi, most)
    handled = ABI1_RIGHTS | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0)
    attr = struct.pack("QQQ", handled, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    attr = attr[: 8 if abi < 4 else 16 if abi < 6 else 24]
    ruleset = syscall(CREATE_RULESET, attr, len(attr), 0)
    check(ruleset, "landlock_create_ruleset")
    for path, mode in rules.items():
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a path this host does not have
        rights = RIGHTS[mode] & handled
        if not is_dir(fd):
            rights &= FILE_RIGHTS
        check(
            syscall(ADD_RULE, ruleset, 1, struct.pack("=Qi", rights, fd), 0),
            f"Landlock rule for {path}",
        )
        os.close(fd)
    check(syscall(RESTRICT_SELF, ruleset, 0), "landlock_restrict_self")
    os.close(ruleset)
    return {
        "abi": abi,
        "filesystem": True,
        "tcp": abi >= 4,
        "signals": abi >= 6,
        "abstract_unix_sockets": abi >= 6,
    }


if __name__ == "__main__":
    main()
