"""The worker's sandbox: a hostile submission cannot read, reach, outlive or slow down anything.

Each fixture under ``tests/fixtures/hostile_os/`` attacks the machine from the fake
course's `echo` exercise (no TensorFlow: seconds each). Each must end with the verdict
it deserves, the run must go on, no process of the worker may survive its grading, and
nothing outside the worker's temp dir may change. A fixture whose protection this host
cannot provide is skipped with the reason (``grade doctor`` says the same).
"""

import dataclasses
import hashlib
import json
import os
import re
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner
from conftest import FIXTURES

import grader
from grader.cli import main
from grader.course import Course
from grader.grading import GradeOptions, grade_submission
from grader.sandbox import isolation, spawn
from grader.sandbox.client import Worker
from grader.sandbox.spawn import LaunchError, LaunchSpec

FAKE_COURSE = Course(FIXTURES / "fake_course")
HOSTILE = FIXTURES / "hostile_os"
OPTIONS = GradeOptions(seed=7, preload_tf=False, memory_gb=1.0, threads=1)
LINUX = sys.platform.startswith("linux")
HOST = isolation.host()
SECRET = Path("/tmp/grade-hostile-secret.txt")
GRADER = Path(grader.__file__).resolve().parent
PLANTED = [
    Path("/tmp/grade-hostile-planted.txt"),
    FAKE_COURSE.root / "solutions" / "grade_hostile_planted.py",
    GRADER / "grade_hostile_planted.py",
    *(Path(d) / "grade_hostile_planted.pth" for d in site.getsitepackages()),
]
PORT = 47613  # the `network` fixture's target


def _reason(condition: bool, reason: str) -> str | None:
    return None if condition else reason


# Whether a worker here really drops to the sandbox user: the host may offer one that
# cannot reach this checkout's interpreter (then each worker keeps root, with a note).
WORKER_USER = (
    "user" in isolation.plan(Path(tempfile.gettempdir()), Path(tempfile.gettempdir()), {}, 64)
    if LINUX
    else None
)
WORKER_USER = HOST.sandbox_user if WORKER_USER else None
SANDBOX_USER = WORKER_USER is not None or not HOST.root
OWN_UID = bool(WORKER_USER and "uid_base" in WORKER_USER)
REQUIREMENTS = {
    "read_outside": _reason(
        HOST.landlock_abi >= 1,
        "needs Landlock (Linux 5.13+) to confine "
        "reads; without it a worker reads every world-readable file",
    ),
    "network": _reason(
        HOST.net_namespace,
        "needs an empty network namespace (root, or unprivileged user namespaces)",
    ),
    "daemon": _reason(LINUX, "needs Linux (child subreaper) to sweep double-forked daemons"),
    "fork_bomb": _reason(
        WORKER_USER is not None or HOST.user_namespace,
        "needs RLIMIT_NPROC counted per worker (a sandbox uid as root, or a user namespace)",
    ),
    "write_outside": _reason(
        HOST.landlock_abi >= 1,
        "needs Landlock (Linux 5.13+) to confine writes to the worker's temp dir",
    ),
    "proc_reader": _reason(
        LINUX and (HOST.landlock_abi >= 1 or SANDBOX_USER),
        "needs Linux, and Landlock or a sandbox user when the grader runs as root (root reads "
        "any /proc entry)",
    ),
    "pid_hopper": _reason(
        HOST.pid_namespace or OWN_UID,
        "needs a pid namespace or a uid of its own per worker: a process that keeps changing "
        "its pid can slip through a sweep of the process list",
    ),
    "kill_grader": _reason(
        HOST.landlock_abi >= 6 or HOST.pid_namespace or WORKER_USER is not None,
        "needs Landlock signal scoping (Linux 6.12+), a pid namespace or a sandbox uid: "
        "otherwise the worker may signal the grader",
    ),
    "disk_fill": None,
}
ALL_ERROR = {
    "test_add": "error",
    "test_add_many": "error",
    "test_scale": "error",
    "test_square": "error",
}
DENIED = r"Permission denied|Operation not permitted"
EXPECTED = {  # score, outcomes, what the messages of the failed tests must say
    "read_outside": (0, ALL_ERROR, DENIED),
    "network": (0, ALL_ERROR, DENIED + r"|Network is unreachable|Cannot assign"),
    "daemon": (20, dict.fromkeys(ALL_ERROR, "passed"), ""),
    "pid_hopper": (20, dict.fromkeys(ALL_ERROR, "passed"), ""),
    "fork_bomb": (
        5,
        {
            **ALL_ERROR,
            "test_square": "passed",  # under load, 256 forks may
            "test_add": ("error", "timeout"),
            "test_add_many": ("error", "timeout"),
        },
        r"Resource temporarily unavailable|can.t start new thread|timed out",
    ),
    "write_outside": (0, ALL_ERROR, DENIED + "|Read-only"),
    "proc_reader": (0, ALL_ERROR, DENIED),
    "kill_grader": (0, ALL_ERROR, DENIED + "|No such process"),
    "disk_fill": (
        15,
        {
            "test_add": "passed",
            "test_add_many": "passed",
            "test_scale": "error",
            "test_square": "passed",
        },
        "disk limit",
    ),
}


def outcomes(result: dict) -> dict[str, str]:
    return {t["name"]: t["outcome"] for t in result["exercises"]["echo"]["tests"]}


def hostile_processes() -> list[str]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue  # dead, waiting for its parent (init here) to reap it
        words = [proc.info["name"] or "", *(proc.info["cmdline"] or [])]
        if any(w.startswith("hostile-") for w in words):
            found.append(f"{proc.pid} {' '.join(words)}")
    return found


def tree_digest(*roots: Path) -> str:
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if "__pycache__" not in path.parts and path.is_file():
                digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def installation_dirs() -> list[str]:
    """The Python installation, without the grader package: people edit it while tests
    run (the fixtures' attempts on it are checked by name, in PLANTED)."""
    return [d for d in isolation.site_dirs() if d != str(GRADER)]


@pytest.fixture(scope="module")
def installation():
    """A snapshot of the Python installation, compared after each hostile grading."""
    return {"before": isolation.snapshot(installation_dirs())}


@pytest.fixture
def listener():
    """TCP and UDP on 127.0.0.1:PORT; records whatever reaches them."""
    received = []
    tcp, udp = socket.socket(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", PORT))
        udp.bind(("127.0.0.1", PORT))
    except OSError as exc:
        pytest.skip(f"port {PORT} is busy: {exc}")
    tcp.listen()
    tcp.settimeout(0.2)
    udp.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            for sock in (tcp, udp):
                try:
                    received.append(sock.accept() if sock is tcp else sock.recvfrom(100))
                except (TimeoutError, OSError):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield received
    stop.set()
    thread.join()
    tcp.close()
    udp.close()


@pytest.fixture
def secret():
    SECRET.write_text("the instructor's secret\n")
    os.chmod(SECRET, 0o644)
    yield SECRET
    SECRET.unlink(missing_ok=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_submission_is_contained(name, installation, listener, secret):
    if REQUIREMENTS[name]:
        pytest.skip(REQUIREMENTS[name])
    score, expected_outcomes, because = EXPECTED[name]
    course_before = tree_digest(FAKE_COURSE.root)
    try:
        result = grade_submission(HOSTILE / name, FAKE_COURSE, OPTIONS)
        time.sleep(0.5)  # a survivor would still be running
        survivors = hostile_processes()
        planted = [str(p) for p in PLANTED if p.exists()]
    finally:
        for path in PLANTED:
            path.unlink(missing_ok=True)
    assert result["status"] == "graded", result["message"]
    got = outcomes(result)
    assert got.keys() == expected_outcomes.keys()
    for test, allowed in expected_outcomes.items():
        assert got[test] in ((allowed,) if isinstance(allowed, str) else allowed), got
    assert result["score"] == score
    for test in result["exercises"]["echo"]["tests"]:
        if test["outcome"] != "passed":
            assert re.search(because, test["message"]), f"{test['name']}: {test['message']}"
    assert result["provenance"]["isolation"]["level"] in (
        isolation.HOSTILE_SAFE,
        isolation.HONEST_SAFE,
    )
    assert not survivors, f"processes of the worker survived: {survivors}"
    assert not planted, f"files written outside the temp dir: {planted}"
    assert not listener, f"the network reached the host: {listener}"
    assert SECRET.read_text() == "the instructor's secret\n"
    assert tree_digest(FAKE_COURSE.root) == course_before
    now = isolation.snapshot(installation_dirs())
    changed, installation["before"] = isolation.changes(installation["before"], now), now
    assert not changed, f"the Python installation changed: {changed[:10]}"


def test_result_provenance_says_which_isolation():
    result = grade_submission(FAKE_COURSE.solutions_dir, FAKE_COURSE, OPTIONS)
    assert result["score"] == 20
    entry = result["provenance"]["isolation"]
    user = WORKER_USER is not None
    full = (
        HOST.landlock_abi >= 1
        and (HOST.net_namespace or HOST.landlock_abi >= 4)
        and (HOST.landlock_abi >= 6 or user)
        and (user or HOST.user_namespace)
        and (HOST.pid_namespace or OWN_UID)
        and (user or not HOST.root)
    )
    assert entry["level"] == (isolation.HOSTILE_SAFE if full else isolation.HONEST_SAFE)
    assert (entry["missing"] == []) == full
    assert entry["landlock_abi"] == HOST.landlock_abi


def test_grade_doctor_reports_the_protections():
    outcome = CliRunner().invoke(main, ["doctor", "--json"])
    assert outcome.exit_code == 0, outcome.output
    diagnosis = json.loads(outcome.output)
    assert diagnosis["host"]["landlock_abi"] == HOST.landlock_abi
    attacks = diagnosis["attacks"]
    if diagnosis["assessment"]["level"] == isolation.HOSTILE_SAFE:
        assert all(v.startswith("blocked") for v in attacks.values()), attacks
    text = CliRunner().invoke(main, ["doctor"])
    assert text.exit_code == 0
    assert diagnosis["assessment"]["level"] in text.output


def test_the_launcher_fails_closed(tmp_path, monkeypatch):
    """A plan step that cannot be applied stops the worker before it starts: a grader
    fault (LaunchError), never a weaker sandbox and never the student's fault."""
    real_plan = isolation.plan

    def broken_plan(*args, **kwargs):
        return real_plan(*args, **kwargs) | {"landlock": {"/usr": "no such mode"}}

    monkeypatch.setattr(isolation, "plan", broken_plan)
    worker = Worker(LaunchSpec(FAKE_COURSE.solutions_dir, tmp_path, preload_tf=False))
    with pytest.raises(LaunchError, match="sandbox could not be set up"):
        worker.start()


@pytest.mark.skipif(HOST.landlock_abi < 4, reason="needs Landlock ABI 4 (Linux 6.7+) for TCP")
def test_landlock_alone_denies_tcp_and_reads(tmp_path):
    """Without any namespace (as on a host that refuses them), Landlock still confines."""
    rules = isolation.readable_paths(tmp_path) | {str(tmp_path): "rw"}
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        code = (
            "import socket, sys\n"
            "for attempt in (lambda: socket.create_connection(('127.0.0.1', int(sys.argv[1]))),"
            " lambda: open(sys.argv[2]).read()):\n"
            "    try:\n        attempt()\n        print('POSSIBLE')\n"
            "    except OSError as exc:\n        print(exc.errno)\n"
        )
        done = run_launcher(
            {"landlock": rules},
            [sys.executable, "-S", "-c", code, str(server.getsockname()[1]), __file__],
        )
    assert done.stdout.split() == ["13", "13"], done.stdout + done.stderr


@pytest.mark.skipif(not (LINUX and HOST.root), reason="needs root to act as another user")
def test_unprivileged_grader_gets_landlock_network_and_process_limits():
    """The laptop case (grader not root, here `nobody` running the system Python): a user
    namespace gives the empty network and a process limit counted for this worker only
    (not for all the user's processes); Landlock confines reads of world-readable files."""
    plan = {
        "namespaces": {"user": True, "net": True},
        "rlimits": {"RLIMIT_NPROC": (20, 20)},
        "landlock": {p: "rx" for p in ("/usr", "/lib", "/lib64", "/bin", "/etc")},
    }
    code = (
        "import os, socket, sys, time\n"
        "udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"  # Landlock: TCP only
        "for name, attempt in (('send', lambda: udp.sendto(b'x', ('127.0.0.1', 9))), "
        "('read', lambda: open(sys.argv[1]).read())):\n"
        "    try:\n        attempt()\n        print(name, 'POSSIBLE', flush=True)\n"
        "    except OSError as exc:\n        print(name, exc.errno, flush=True)\n"
        "forks = 0\n"
        "try:\n    for _ in range(100):\n        pid = os.fork()\n"
        "        if pid == 0:\n            time.sleep(5)\n            os._exit(0)\n"
        "        forks += 1\n"
        "except OSError:\n    pass\n"
        "print('forks', forks, flush=True)\nos.killpg(0, 9)\n"
    )
    if not os.access("/usr/bin/python3", os.X_OK):
        pytest.skip("needs a system Python (/usr/bin/python3) that user nobody can run")
    with tempfile.TemporaryDirectory() as tmp:  # the checkout may be closed to nobody
        os.chmod(tmp, 0o755)
        launcher = Path(tmp) / "launcher.py"
        launcher.write_bytes(isolation.LAUNCHER.read_bytes())
        os.chmod(launcher, 0o644)  # nobody may read it, but not once Landlock holds
        done = run_launcher(
            plan,
            ["/usr/bin/python3", "-S", "-c", code, str(launcher)],
            user=65534,
            cwd="/",
            launcher=launcher,
        )
    if "unshare" in done.stderr:
        pytest.skip(f"unprivileged user namespaces are refused here: {done.stderr.strip()}")
    lines = dict(line.split() for line in done.stdout.splitlines())
    assert lines["send"] == "101", done.stdout + done.stderr  # ENETUNREACH: no route
    assert lines["read"] == "13", done.stdout  # EACCES although the file is world-readable
    assert 10 <= int(lines["forks"]) < 20, done.stdout


def run_launcher(
    plan: dict, argv: list[str], launcher: Path = isolation.LAUNCHER, **popen
) -> subprocess.CompletedProcess:
    python = "/usr/bin/python3" if popen.get("user") else sys.executable
    return subprocess.run(
        [python, "-I", "-S", str(launcher), json.dumps(plan), *argv],
        capture_output=True,
        text=True,
        start_new_session=True,
        **{"timeout": 60, **popen},
    )


def test_venv_guard_stops_on_a_planted_pth_but_not_on_bytecode(tmp_path):
    site_dir = tmp_path / "site-packages"
    (site_dir / "pkg").mkdir(parents=True)
    (site_dir / "pkg" / "mod.py").write_text("X = 1\n")
    with isolation.guard_environment([str(site_dir)], force=True):
        import py_compile

        py_compile.compile(str(site_dir / "pkg" / "mod.py"))  # what an interpreter writes
    with pytest.raises(isolation.EnvironmentModified, match="evil.pth"):
        with isolation.guard_environment([str(site_dir)], force=True):
            (site_dir / "evil.pth").write_text("import os\n")
    pyc = next((site_dir / "pkg" / "__pycache__").glob("*.pyc"))
    with pytest.raises(isolation.EnvironmentModified, match="mod"):
        with isolation.guard_environment([str(site_dir)], force=True):
            pyc.write_bytes(pyc.read_bytes()[:16] + b"forged")


def test_covers_hide_closed_directories_but_keep_needed_entries(tmp_path):
    outer = tmp_path / "outer"
    (outer / "inner" / "needed").mkdir(parents=True)
    (outer / "private").mkdir()
    closed = [str(p) for p in (tmp_path, *tmp_path.parents) if not p.stat().st_mode & 0o001]
    user = {"uid": 65534, "gid": 65534}
    rules = {str(outer / "inner" / "needed"): "r", "/usr": "rx"}
    os.chmod(outer, 0o700)
    os.chmod(outer / "inner", 0o711)
    covers = isolation._covers(rules, user)
    assert [c for c in covers if c[0] not in closed] == [[str(outer), [str(outer / "inner")]]]
    os.chmod(outer / "inner" / "needed", 0o700)
    assert isolation._covers(rules, user) is None  # a needed path closed itself: no help
    os.chmod(outer, 0o755)
    os.chmod(outer / "inner" / "needed", 0o755)
    assert [c for c in isolation._covers(rules, user) if c[0] not in closed] == []


def test_disk_usage_counts_and_caps_entries(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    assert 100_000 <= spawn.dir_usage(tmp_path) < 200_000
    for i in range(30):
        (tmp_path / str(i)).touch()
    assert spawn.dir_usage(tmp_path, max_entries=20) == sys.maxsize


NOBODY = {"uid": 65534, "gid": 65534}
GRADE_AS_NOBODY = """
import json, os, sys
from pathlib import Path
from grader.course import Course
from grader.grading import GradeOptions, grade_submission
course = Course(Path(sys.argv[1]))
options = GradeOptions(seed=7, preload_tf=False, memory_gb=1.0, threads=1)
results = {p: grade_submission(Path(p), course, options) for p in sys.argv[2:]}
print(json.dumps({"uid": os.getuid(), "results": results}))
"""


@pytest.mark.skipif(
    not (LINUX and HOST.root and HOST.mount_namespace),
    reason="needs root and a mount namespace to run the whole grader as another user",
)
def test_a_grader_run_by_an_unprivileged_user_still_isolates_its_workers(listener, secret):
    """The laptop case end to end: the whole grader (trusted pytest and workers) run by
    `nobody`. It gets no sandbox user; Landlock, a user namespace (empty network, a
    process limit counted for the worker only) and the sweep still hold."""
    rules = isolation.readable_paths(FIXTURES) | {"/tmp": "rw"}
    covers = isolation._covers(rules, NOBODY)  # what nobody needs, reachable from here
    if covers is None:
        pytest.skip("user nobody cannot read this interpreter or checkout")
    plan = {"namespaces": {"mount": True}, "cover": covers, "user": NOBODY}
    names = ("network", "fork_bomb", "read_outside")
    submissions = [FAKE_COURSE.solutions_dir, *(HOSTILE / name for name in names)]
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LC_ALL": "C.UTF-8"}
    done = run_launcher(
        plan,
        [sys.executable, "-c", GRADE_AS_NOBODY, str(FAKE_COURSE.root), *map(str, submissions)],
        env=env,
        cwd="/",
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    graded = json.loads(done.stdout.splitlines()[-1])
    assert graded["uid"] == 65534
    results = list(graded["results"].values())
    entry = results[0]["provenance"]["isolation"]
    assert results[0]["score"] == 20, results[0]["message"]
    assert entry["privileges"] == "not root"
    if "user namespace" in " ".join(entry["notes"]) or not entry["network"]:
        pytest.skip(f"unprivileged user namespaces are refused here: {entry['notes']}")
    assert "empty network namespace" in entry["network"]
    assert entry["processes"] == "RLIMIT_NPROC per worker"
    for name, result in zip(names, results[1:], strict=True):
        score, allowed, because = EXPECTED[name]
        assert result["score"] == score, (name, outcomes(result))
        for test in result["exercises"]["echo"]["tests"]:
            expected = allowed[test["name"]]
            assert test["outcome"] in ((expected,) if isinstance(expected, str) else expected)
            if test["outcome"] != "passed":
                assert re.search(because, test["message"]), (name, test["message"])
    assert not listener, f"the network reached the host: {listener}"
    assert not hostile_processes()


@pytest.mark.skipif(not LINUX, reason="needs Linux: elsewhere the guard is always on")
def test_without_landlock_a_write_into_site_packages_stops_the_batch(monkeypatch, installation):
    """Where workers can write into the Python installation (here: Landlock and the
    sandbox user switched off), the write is detected after grading and the batch stops."""
    weak = dataclasses.replace(HOST, landlock_abi=0, sandbox_user=None)
    monkeypatch.setattr(isolation, "host", lambda: weak)
    monkeypatch.setenv(isolation.HOST_ENV, json.dumps(dataclasses.asdict(weak)))
    monkeypatch.setattr(isolation, "_last_snapshot", None)  # others edit the tree meanwhile
    assert not isolation.venv_write_denied()
    try:
        with pytest.raises(isolation.EnvironmentModified, match="grade_hostile_planted"):
            grade_submission(HOSTILE / "write_outside", FAKE_COURSE, OPTIONS)
        planted = [p for p in PLANTED if p.exists()]
    finally:
        for path in PLANTED:
            path.unlink(missing_ok=True)
    assert any(p.suffix == ".pth" for p in planted), "the attack should have worked here"
    installation["before"] = isolation.snapshot(installation_dirs())


def test_a_sandbox_no_worker_can_start_in_is_weakened_step_by_step_with_notes(monkeypatch):
    strong = isolation.Host(
        "linux",
        True,
        landlock_abi=7,
        net_namespace=True,
        pid_namespace=True,
        mount_namespace=True,
        sandbox_user=NOBODY,
    )

    def fails_with_user_or_landlock(found):
        return "Permission denied" if found.sandbox_user or found.landlock_abi else None

    monkeypatch.setattr(isolation, "_start_probe_worker", fails_with_user_or_landlock)
    weaker = isolation._weaken_until_a_worker_starts(strong)
    assert (weaker.sandbox_user, weaker.landlock_abi, weaker.net_namespace) == (None, 0, True)
    assert ["sandbox user" in weaker.notes[0], "Landlock" in weaker.notes[1]] == [True, True]
    monkeypatch.setattr(isolation, "_start_probe_worker", lambda found: "broken")
    none = isolation._weaken_until_a_worker_starts(strong)
    assert not (none.landlock_abi or none.net_namespace or none.sandbox_user)
    assert "resource limits only" in none.notes[-1]


@pytest.mark.skipif(not LINUX, reason="needs Linux")
def test_this_hosts_sandbox_starts_a_worker():
    assert isolation._start_probe_worker(HOST) is None


def test_a_submission_the_sandbox_user_cannot_read_keeps_root_with_a_note(tmp_path):
    private = tmp_path / "private"
    (private / "submission").mkdir(parents=True)
    os.chmod(private, 0o700)
    work = tmp_path / "work"
    work.mkdir()
    found = isolation.Host("linux", True, mount_namespace=False, sandbox_user=NOBODY)
    steps = isolation.plan(private / "submission", work, {}, 64, found)
    assert "user" not in steps
    assert "no private mount namespace" in steps["notes"][0]
    assert steps["notes"][0].endswith("this worker keeps root")
    found = dataclasses.replace(found, mount_namespace=True)
    steps = isolation.plan(private / "submission", work, {}, 64, found)
    assert steps["user"] == NOBODY and steps["notes"] == []
    assert [str(private), [str(private / "submission")]] in steps["cover"]
    os.chmod(private / "submission", 0o700)  # the needed path itself: no cover helps
    steps = isolation.plan(private / "submission", work, {}, 64, found)
    assert "user" not in steps and str(private / "submission") in steps["notes"][0]


@pytest.mark.skipif(not (LINUX and WORKER_USER), reason="needs a sandbox user (root)")
def test_a_private_umask_does_not_cost_the_sandbox_user():
    """The grader's copy of a submission is opened to the sandbox user whatever the umask
    (CI runners, hardened accounts): no fallback to root, full marks."""
    old = os.umask(0o077)
    try:
        result = grade_submission(FAKE_COURSE.solutions_dir, FAKE_COURSE, OPTIONS)
    finally:
        os.umask(old)
    assert result["score"] == 20, result["message"]
    entry = result["provenance"]["isolation"]
    assert entry["privileges"].endswith("no capabilities") and entry["notes"] == [], entry


def test_isolation_switches(monkeypatch):
    monkeypatch.setenv(isolation.SWITCH_ENV, "off")
    off = isolation._probe_host()
    assert not (off.landlock_abi or off.net_namespace or off.sandbox_user)
    assert "off" in off.notes[0]
    if LINUX:
        monkeypatch.setenv(isolation.SWITCH_ENV, "no-landlock")
        no_landlock = isolation._probe_host()
        assert no_landlock.landlock_abi == 0
        assert no_landlock.net_namespace == HOST.net_namespace
        assert any("no-landlock" in note for note in no_landlock.notes)


def test_macos_says_what_protects_a_worker(monkeypatch):
    monkeypatch.setattr(isolation.sys, "platform", "darwin")
    host = isolation._probe_host()
    assert not (host.landlock_abi or host.net_namespace or host.sandbox_user)
    assert host.notes == (isolation.OTHER_PLATFORM_NOTE,)
    assert "resource limits" in host.notes[0] and "deadlines" in host.notes[0]
