"""What every exercise's ``calibrate.py`` prints: one line per seed, then each figure's
min / mean / max against its limit, and whether any seed failed.

A script parses its command line with ``seed_arguments`` (adding options of its own),
gives ``run_seeds`` its per-seed function (one number per column), the columns and the
parsed arguments, and exits with what ``run_seeds`` returns.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Column:
    name: str  # as printed, e.g. "accuracy"
    limit: str  # what it is held to, in words, e.g. "threshold 0.99"
    fails: Callable[[float], bool] = lambda value: False  # a seed's value that fails


def train_time_column(budget_s: float) -> Column:
    """Training wall time per seed, failing above a third of the budget (the bar a
    reference is held to)."""
    return Column(
        "train wall s", f"a third of the budget: {budget_s / 3:.0f}", lambda s: s > budget_s / 3
    )


def threshold_column(name: str, threshold: float) -> Column:
    """A figure a seed fails by falling below the hidden test's ``threshold``."""
    return Column(name, f"threshold {threshold}", lambda value: value < threshold)


def seed_arguments(description: str) -> argparse.ArgumentParser:
    """The command line every script starts from: ``--seeds`` and ``--start``; a script
    with options of its own adds them and hands the parsed arguments to ``run_seeds``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--start", type=int, default=0)
    return parser


def run_seeds(
    run_seed: Callable[[int], tuple], columns: list[Column], args: argparse.Namespace
) -> int:
    """Run every seed of ``args`` (from ``seed_arguments``), print the table; 1 if any
    seed failed."""
    rows = []
    for seed in range(args.start, args.start + args.seeds):
        rows.append(run_seed(seed))
        figures = "  ".join(f"{c.name} {v:.4f}" for c, v in zip(columns, rows[-1], strict=True))
        print(f"seed {seed:3d}  {figures}  load {os.getloadavg()[0]:.1f}", flush=True)
    width = max(len(c.name) for c in columns)
    failed = 0
    for column, values in zip(columns, (np.array(v) for v in zip(*rows, strict=True)), strict=True):
        print(
            f"{column.name:{width}}  min {values.min():.4f}  mean {values.mean():.4f}"
            f"  max {values.max():.4f}  {column.limit}"
        )
        failed += sum(column.fails(float(value)) for value in values)
    print("no failure" if not failed else f"{failed} failures")
    return 1 if failed else 0
