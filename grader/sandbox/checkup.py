"""The sandbox proven by attack: what `grade doctor` reports, as data.

It probes the host (``isolation.host``), then starts one real sandboxed worker that
attacks the machine the way a hostile submission would (reads a planted file, connects
to a listener, signals and reads the grader, writes into site-packages) and records what
was blocked. Trusted code: the attacking worker runs the launcher like any other.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.sandbox import isolation, spawn

PROBE = r"""
import json, os, socket, sys, site
secret, port, grader = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def attempt(action):
    try:
        action()
        return "POSSIBLE"
    except OSError as exc:
        return f"blocked ({exc.strerror or exc})"

def write_site():
    path = os.path.join(site.getsitepackages()[0], "grade-doctor-probe.pth")
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    os.unlink(path)

print(json.dumps({
    "read a file outside": attempt(lambda: open(secret).read()),
    "connect to 127.0.0.1": attempt(lambda: socket.create_connection(("127.0.0.1", port), 2)),
    "signal the grader": attempt(lambda: os.kill(grader, 0)),
    "read the grader's environ": attempt(lambda: open(f"/proc/{grader}/environ").read()),
    "write into site-packages": attempt(write_site),
}))
"""


def live_check() -> tuple[dict, dict, list[str]]:
    """Start one sandboxed worker that tries each attack: (its launcher's report, what
    each attack gave, the plan's notes). Runs ``python -c PROBE`` instead of the harness,
    laid out as in grading: the submission in a private temp dir, a work dir of its own;
    the secret it tries to read is world-readable (only the sandbox may stop it)."""
    isolation.protect_grader()
    with (
        tempfile.TemporaryDirectory(prefix="grade-doctor-") as scratch,
        tempfile.TemporaryDirectory(prefix="grade-doctor-worker-") as work,
        tempfile.TemporaryDirectory(prefix="grade-doctor-outside-") as outside,
    ):
        (Path(scratch) / "submission").mkdir()
        isolation.share_with_worker(Path(scratch) / "submission")
        secret = Path(outside) / "secret.txt"
        secret.write_text("secret")
        os.chmod(outside, 0o755)
        os.chmod(secret, 0o644)
        spec = spawn.LaunchSpec(Path(scratch) / "submission", Path(work))
        plan = isolation.plan(
            spec.submission_dir, spec.work_dir, spec.limits.rlimits(), spec.limits.processes
        )
        report_read, report_write = os.pipe()
        plan["report_fd"] = report_write
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            command = isolation.launcher_command(
                plan,
                [
                    sys.executable,
                    "-s",
                    "-P",
                    "-B",
                    "-c",
                    PROBE,
                    str(secret),
                    str(listener.getsockname()[1]),
                    str(os.getpid()),
                ],
            )
            process = subprocess.Popen(
                command,
                cwd=spec.work_dir,
                env=isolation.worker_environment(spec.work_dir, spec.threads),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(report_write,),
            )
            os.close(report_write)
            report = spawn.read_report(report_read)
            os.close(report_read)
            out, err = process.communicate(timeout=120)
    try:
        attacks = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        attacks = {"probe": "did not run: " + (report.get("error") or err.decode()[-300:])}
    return report, attacks, plan["notes"]


def diagnose() -> dict:
    """Everything `grade doctor` prints, as data."""
    host = isolation.host()
    report, attacks, notes = live_check()
    return {
        "host": {
            "system": host.system,
            "kernel": os.uname().release,
            "root": host.root,
            "landlock_abi": host.landlock_abi,
            "network_namespace": host.net_namespace,
            "mount_namespace": host.mount_namespace,
            "sandbox_user": host.sandbox_user,
            "notes": list(host.notes),
        },
        "launcher": report,
        "assessment": isolation.assess(report, notes),
        "attacks": attacks,
    }
