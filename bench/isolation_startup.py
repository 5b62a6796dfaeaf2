"""What the worker's sandbox costs: start-up with and without it, and per call.

Runs, alternating sandboxed and plain (``GRADE_ISOLATION=off``: rlimits only) so that
the machine's load hits both alike, and prints medians and their ratio:

- the launcher alone (start to the moment it would exec the worker),
- a worker start without TensorFlow (fake course) and with it (``--tf``),
- a call round trip (``echo.add``) in a started worker.

    python bench/isolation_startup.py [--runs 9] [--tf]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.worker import isolation, launch
from grader.worker.client import Worker
from grader.worker.launch import LaunchSpec

ROOT = Path(__file__).resolve().parents[1]
FAKE_SOLUTIONS = ROOT / "tests" / "fixtures" / "fake_course" / "solutions"


def sandbox(on: bool) -> None:
    if on:
        os.environ.pop("GRADE_ISOLATION", None)
    else:
        os.environ["GRADE_ISOLATION"] = "off"


def launcher_only() -> float:
    """Seconds from Popen to the launcher's report (everything but the worker itself)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        plan = isolation.plan(FAKE_SOLUTIONS, work, launch.Limits().rlimits(), 256)
        read, write = os.pipe()
        plan["report_fd"] = write
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(isolation.LAUNCHER), launch.json.dumps(plan)],
            pass_fds=(write,),
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        report = launch._read_report(read)
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
    host = isolation.host()
    print(
        f"host: Landlock ABI {host.landlock_abi}, network namespace {host.net_namespace}, "
        f"sandbox user {host.sandbox_user}"
    )
    cases = [
        ("launcher alone", lambda: (launcher_only(), None)),
        ("worker start, no TF", lambda: worker_start(False)),
    ]
    if args.tf:
        cases.append(("worker start, TF", lambda: worker_start(True)))
    for label, measure in cases:
        times: dict[bool, list] = {True: [], False: []}
        calls: dict[bool, list] = {True: [], False: []}
        for _ in range(args.runs):
            for on in (True, False):
                sandbox(on)
                elapsed, call = measure()
                times[on].append(elapsed)
                if call is not None:
                    calls[on].append(call)
        sandbox(True)
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"{label:22s} sandboxed {on * 1000:7.1f} ms   plain {off * 1000:7.1f} ms   "
            f"+{(on - off) * 1000:6.1f} ms   ratio {on / off:.2f}"
        )
        if calls[True]:
            on, off = statistics.median(calls[True]), statistics.median(calls[False])
            print(
                f"{'  one call':22s} sandboxed {on * 1e6:7.0f} us   plain {off * 1e6:7.0f} us"
                f"   ratio {on / off:.2f}"
            )


if __name__ == "__main__":
    main()
