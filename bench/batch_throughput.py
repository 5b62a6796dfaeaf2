"""Batch throughput: `--jobs 2` against `--jobs 1` on a class of identical submissions.

    python bench/batch_throughput.py [--copies 8] [--epochs 4] [--rounds 1]

Each submission is a copy of the Reber reference whose classifier trains a fixed number
of epochs (no early stop), graded on the classifier tests only: per submission, a
trusted pytest process, a worker that imports TensorFlow, 12,000 strings generated and
labelled on the trusted side, and a GRU trained in the worker, all CPU bound. Both
batches run here, one after the other (alternating when --rounds > 1), through
``grade_batch`` with ``force`` so that nothing is skipped; the figure is the ratio of
their wall times. Target on 2 cores: >= 1.6. Timings on a shared machine are inflated
and noisy: the load average and the cores the batch kept busy (CPU s / wall s of
its processes) are printed with them.

Why 8 copies of 4 epochs by default: with 4 copies of 2 epochs, start-up and the wait for
the last submission weigh as much as the training (1.44x on 2 quiet cores); 8 x 4 is
closer to a class, where training dominates (1.79x in the same conditions).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.batch import available_cores, grade_batch  # noqa: E402
from grader.course import Course  # noqa: E402
from grader.grading import GradeOptions  # noqa: E402

KEYWORD = "classifier_accuracy"


def make_class(folder: Path, copies: int, epochs: int) -> None:
    """``copies`` identical submissions: the reference, training exactly ``epochs`` epochs."""
    source = (ROOT / "solutions" / "reber.py").read_text()
    source, n = re.subn(r"^MAX_EPOCHS = .*$", f"MAX_EPOCHS = {epochs}", source, flags=re.M)
    source, m = re.subn(r"callbacks=\[[^\]]*\]", "callbacks=[]", source)
    if n != 1 or m != 1:
        sys.exit("bench: solutions/reber.py changed shape (MAX_EPOCHS, fit's callbacks)")
    for index in range(copies):
        (folder / f"copy{index:02d}").mkdir(parents=True)
        (folder / f"copy{index:02d}" / "reber.py").write_text(source)


class TreeCpu:
    """CPU seconds of this process's descendants (pytest, workers), sampled every 0.2 s.

    Workers are reaped by their pytest process, so ``RUSAGE_CHILDREN`` misses them;
    a process's last 0.2 s before it ends are missed here (a small undercount).
    """

    def __init__(self):
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            for child in me.children(recursive=True):
                try:
                    times = child.cpu_times()
                    self.seen[child.pid] = times.user + times.system
                except psutil.Error:
                    pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def timed_batch(folder: Path, out: Path, course: Course, jobs: int) -> float:
    """Wall time of one batch; prints it with the CPU its processes used."""
    started = time.monotonic()
    options = GradeOptions(exercises=("reber",), keyword=KEYWORD)
    with TreeCpu() as tree:
        summary = grade_batch(folder, out, course, options, jobs=jobs, seed=1, force=True)
    wall = time.monotonic() - started
    cpu = tree.seconds
    statuses = {r["status"] for r in summary.results.values()}
    if statuses != {"graded"}:
        sys.exit(f"bench: a submission was not graded ({statuses})")
    print(
        f"  jobs={jobs}: {wall:6.1f} s wall, {cpu:6.1f} s CPU ({cpu / wall:.2f} cores busy on "
        f"average) for {len(summary.results)} submissions, {summary.threads} TF thread(s) "
        f"each; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    course = Course(ROOT)
    print(
        f"{available_cores()} cores; {args.copies} identical submissions; classifier "
        f"trained {args.epochs} epochs; load average before: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp) / "class"
        make_class(folder, args.copies, args.epochs)
        for round_ in range(args.rounds):
            order = (1, 2) if round_ % 2 == 0 else (2, 1)
            walls = {
                jobs: timed_batch(folder, Path(tmp) / f"out{jobs}", course, jobs) for jobs in order
            }
            ratios.append(walls[1] / walls[2])
            print(f"round {round_ + 1}: jobs 2 is {ratios[-1]:.2f}x faster than jobs 1", flush=True)
    summary = f"{statistics.median(ratios):.2f}x" if len(ratios) > 1 else f"{ratios[0]:.2f}x"
    print(
        f"batch throughput, --jobs 2 vs --jobs 1: {summary} (target >= 1.6x); "
        f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
