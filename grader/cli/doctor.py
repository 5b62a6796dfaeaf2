"""`grade doctor`: which protections against a hostile submission this host provides.

Prints ``grader.sandbox.checkup.diagnose()``: the host, each protection, and a live check
in which a sandboxed worker attacks the machine. Always exits 0: it informs, it does not
judge.
"""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from grader.cli.group import main
from grader.sandbox import checkup, isolation

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


@main.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as JSON.")
def doctor_command(as_json: bool) -> None:
    """Show which protections against hostile submissions this host provides."""
    diagnosis = checkup.diagnose()
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
