"""What the worker's sandbox costs: start-up and call round trip at each isolation level.

Levels: the full sandbox this host allows, then without Landlock, without the sandbox
user (root only), without namespaces, and none (``GRADE_ISOLATION=off``: rlimits
only), the baseline of the ratios. Rounds alternate the levels so that the machine's
load hits all alike; medians are printed:

- the launcher alone (start to the moment it would exec the worker),
- a worker start without TensorFlow (fake course) and with it (``--tf``),
- a call round trip (``echo.add``) in a started worker.

    python bench/isolation_startup.py [--runs 9] [--tf]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from grader.sandbox import isolation, spawn
from grader.sandbox.client import Worker
from grader.sandbox.spawn import LaunchSpec

ROOT = Path(__file__).resolve().parents[1]
FAKE_SOLUTIONS = ROOT / "tests" / "fixtures" / "fake_course" / "solutions"
NONE = "none"


def levels(found: isolation.Host) -> dict[str, isolation.Host]:
    """The isolation levels to compare, strongest first (the last: none)."""
    variants = {"full": found}
    if found.landlock_abi:
        variants["no Landlock"] = dataclasses.replace(found, landlock_abi=0)
    if found.sandbox_user:
        variants["no sandbox user"] = dataclasses.replace(found, sandbox_user=None)
    if found.net_namespace or found.pid_namespace or found.mount_namespace:
        variants["no namespaces"] = dataclasses.replace(
            found,
            net_namespace=False,
            pid_namespace=False,
            user_namespace=False,
            mount_namespace=False,
        )
    variants[NONE] = found
    return variants


def use(level: str, found: isolation.Host) -> None:
    """Make every later plan use ``found`` (or no sandbox at all for ``NONE``)."""
    isolation.host = lambda: found
    if level == NONE:
        os.environ[isolation.SWITCH_ENV] = "off"
    else:
        os.environ.pop(isolation.SWITCH_ENV, None)


def launcher_only() -> float:
    """Seconds from Popen to the launcher's report (everything but the worker itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        plan = isolation.plan(FAKE_SOLUTIONS, work, isolation.Limits().rlimits(), 256)
        read, write = os.pipe()
        plan["report_fd"] = write
        started = time.perf_counter()
        process = subprocess.Popen(
            isolation.launcher_command(plan),
            pass_fds=(write,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        report = spawn.read_report(read)
        elapsed = time.perf_counter() - started
        os.close(read)
        process.wait()
        assert "error" not in report, report
        return elapsed


def worker_start(preload_tf: bool) -> tuple[float, float]:
    """(seconds to a ready worker, median seconds of one call round trip)."""
    with tempfile.TemporaryDirectory() as tmp:
        worker = Worker(LaunchSpec(FAKE_SOLUTIONS, Path(tmp), preload_tf=preload_tf))
        started = time.perf_counter()
        worker.start()
        elapsed = time.perf_counter() - started
        calls = []
        for i in range(50):
            t = time.perf_counter()
            assert worker.call({"module": "echo", "attr": "add"}, [i, 1], timeout=30) == i + 1
            calls.append(time.perf_counter() - t)
        worker.stop()
        return elapsed, statistics.median(calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--tf", action="store_true", help="also start workers that import TF")
    args = parser.parse_args()
    found = isolation.host()
    print(
        f"host: Landlock ABI {found.landlock_abi}, network namespace {found.net_namespace}, "
        f"pid namespace {found.pid_namespace}, sandbox user {found.sandbox_user}"
    )
    variants = levels(found)
    cases: list[tuple[str, Callable[[], tuple[float, float | None]]]] = [
        ("launcher alone", lambda: (launcher_only(), None)),
        ("worker start, no TF", lambda: worker_start(False)),
    ]
    if args.tf:
        cases.append(("worker start, TF", lambda: worker_start(True)))
    for label, measure in cases:
        times: dict[str, list[float]] = {level: [] for level in variants}
        calls: dict[str, list[float]] = {level: [] for level in variants}
        for _ in range(args.runs):
            for level, variant in variants.items():
                use(level, variant)
                elapsed, call = measure()
                times[level].append(elapsed)
                if call is not None:
                    calls[level].append(call)
        print(f"\n{label} (median of {args.runs}; ratio against {NONE})")
        base_time = statistics.median(times[NONE])
        base_call = statistics.median(calls[NONE]) if calls[NONE] else None
        for level in variants:
            took = statistics.median(times[level])
            line = f"  {level:16s} {took * 1000:8.1f} ms  ratio {took / base_time:5.2f}"
            if base_call:
                call = statistics.median(calls[level])
                line += f"   one call {call * 1e6:6.0f} us  ratio {call / base_call:5.2f}"
            print(line)
    use("full", found)


if __name__ == "__main__":
    main()
