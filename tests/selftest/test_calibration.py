"""Calibration, repeated on request: the reference clears every numeric threshold over 20 seeds.

Each ``bench/calibrate_<exercise>.py`` trains the reference as its hidden test does, seed
after seed, and exits non-zero if any seed falls below a threshold of that test. Slow
(minutes per exercise): ``python -m pytest -m slow tests/selftest/test_calibration.py``.
The figures are in ``docs/calibration.md``.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "bench").glob("calibrate_*.py"))
SEEDS = 20


def test_every_trained_exercise_has_a_calibration():
    calibrated = {path.stem.removeprefix("calibrate_") for path in SCRIPTS}
    assert {"reber", "date_seq2seq", "sampled_softmax", "stateful_dataset"} <= calibrated


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_reference_passes_every_seed(script):
    run = subprocess.run(
        [sys.executable, str(script), "--seeds", str(SEEDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"{script.name} failed a threshold:\n{run.stdout[-3000:]}"
