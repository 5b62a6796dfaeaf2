"""Worker overhead: a call round trip and a 10 MB array transfer, against an in-process call.

    python bench/protocol.py

Prints, measured side by side in one run: the per-call overhead of a worker call
(ms, and as a ratio to a plain in-process call), and the array throughput (MB/s of a
10 MB float64 array sent to the worker and back, and as a ratio to an in-process copy).
Targets (issue 7): overhead under 5 ms per call, transfer above 200 MB/s.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.proxies import Submission
from grader.sandbox.client import Worker
from grader.sandbox.spawn import LaunchSpec

MODULE = """
def echo(x):
    return x
"""
CALLS = 2000
ARRAY_MB = 10
TRANSFERS = 30


def in_process_echo(x):
    return x


def best_of(repeats: int, run) -> float:
    return min(run() for _ in range(repeats))


def per_call_seconds(call, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        call(i)
    return (time.perf_counter() - started) / n


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "bench_module.py").write_text(MODULE)
        worker = Worker(LaunchSpec(Path(folder), Path(folder), preload_tf=False))
        submission = Submission(worker, "bench")
        remote_echo = submission.bench_module.echo
        remote_echo(0)  # start the worker and import the module

        local = best_of(5, lambda: per_call_seconds(in_process_echo, CALLS))
        remote = best_of(5, lambda: per_call_seconds(remote_echo, CALLS))

        array = np.random.default_rng(0).random(ARRAY_MB * 2**20 // 8)
        mb = array.nbytes / 2**20

        def copy_time() -> float:
            started = time.perf_counter()
            array.copy()
            return time.perf_counter() - started

        def transfer_time() -> float:
            started = time.perf_counter()
            back = remote_echo(array)
            elapsed = time.perf_counter() - started
            assert np.array_equal(back, array)
            return elapsed

        copies = [copy_time() for _ in range(TRANSFERS)]
        transfers = [transfer_time() for _ in range(TRANSFERS)]
        worker.stop()

    copy_mbps = mb / statistics.median(copies)
    # A round trip moves the array twice (there and back).
    transfer_mbps = 2 * mb / statistics.median(transfers)
    print(f"in-process call      {local * 1e6:9.2f} us")
    print(
        f"worker call          {remote * 1e6:9.2f} us   overhead {(remote - local) * 1e3:.3f} ms "
        f"(target < 5 ms)   ratio {remote / local:,.0f}x an in-process call"
    )
    print(f"in-process copy      {copy_mbps:9.0f} MB/s ({mb:.0f} MB array)")
    print(
        f"worker round trip    {transfer_mbps:9.0f} MB/s (target > 200)   ratio "
        f"{transfer_mbps / copy_mbps:.2f}x an in-process copy"
    )
    ok = (remote - local) < 5e-3 and transfer_mbps > 200
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
