"""`grade doctor`: which protections against a hostile submission this host provides.

It probes the host (``isolation.host``), then starts one real sandboxed worker that
attacks the machine the way a hostile submission would (reads a planted file, connects
to a listener, signals and reads the grader, writes into site-packages) and reports
what was blocked. Always exits 0: it informs, it does not judge.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from grader.cli.group import main
from grader.worker import isolation, launch

MEANING = {
    isolation.HOSTILE_SAFE: "a submission cannot read the tests or your files, reach the "
    "network, touch the grader or the Python installation, or outlive its grading",
    isolation.HONEST_SAFE: "grading is right and robust for honest mistakes (crashes, "
    "endless loops, memory and disk hogs), but a deliberately hostile submission could do "
    "what the protections marked missing or partial above would have stopped: grade "
    "untrusted work in a VM or container, or on a Linux host where they are active",
}
WHY = {
    "filesystem": "reads only the interpreter, the packages and its submission; writes only "
    "its temp dir",
    "network": "no connection anywhere (not even 127.0.0.1)",
    "signals": "cannot signal the grader or other workers",
    "grader_memory": "cannot read the grader's memory or environment through /proc",
    "privileges": "runs as a user without privileges",
    "processes": "a fork or thread bomb stops at the process limit",
    "outliving": "no process of a worker survives its grading",
    "venv": "cannot plant a .pth or module in the Python installation",
    "disk": "a worker cannot fill the disk",
    "cpu": "CPU time is bounded",
}
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
    launch.protect_grader()
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
        spec = launch.LaunchSpec(Path(scratch) / "submission", Path(work))
        plan = isolation.plan(
            spec.submission_dir, spec.work_dir, spec.limits.rlimits(), spec.limits.processes
        )
        report_read, report_write = os.pipe()
        plan["report_fd"] = report_write
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            command = [
                sys.executable,
                "-I",
                "-S",
                str(isolation.LAUNCHER),
                json.dumps(plan),
                sys.executable,
                "-s",
                "-P",
                "-B",
                "-c",
                PROBE,
                str(secret),
                str(listener.getsockname()[1]),
                str(os.getpid()),
            ]
            process = subprocess.Popen(
                command,
                cwd=spec.work_dir,
                env=launch.worker_environment(spec),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(report_write,),
            )
            os.close(report_write)
            report = launch._read_report(report_read)
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


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
def doctor_command(as_json: bool) -> None:
    """Show which protections against hostile submissions this host provides."""
    diagnosis = diagnose()
    if as_json:
        click.echo(json.dumps(diagnosis, indent=2))
        return
    console = Console()
    host, assessment = diagnosis["host"], diagnosis["assessment"]
    console.print(
        f"[bold]Host:[/] {host['system']} {host['kernel']}, "
        f"{'root' if host['root'] else 'not root'}, Landlock ABI "
        f"{host['landlock_abi'] or 'absent'}"
    )
    table = Table(title="Protections of a worker", title_justify="left")
    for column in ("protection", "status", "provided by", "means"):
        table.add_column(column, overflow="fold")
    for name, why in WHY.items():
        how = assessment.get(name)
        weak = name in assessment["missing"]
        status = (
            "[red]missing[/]" if not how else "[yellow]partial[/]" if weak else "[green]active[/]"
        )
        table.add_row(name, status, how or "-", why)
    console.print(table)
    attacks = Table(title="Live check: a sandboxed worker tried", title_justify="left")
    attacks.add_column("attack")
    attacks.add_column("result")
    for attack, outcome in diagnosis["attacks"].items():
        style = "green" if outcome.startswith("blocked") else "red"
        attacks.add_row(attack, f"[{style}]{outcome}[/]")
    console.print(attacks)
    for note in assessment["notes"]:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    level = assessment["level"]
    console.print(f"[bold]{level}[/]: {MEANING[level]}.")
