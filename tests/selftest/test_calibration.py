"""Calibration, repeated on request: the reference clears every numeric threshold over 20 seeds.

Each ``tests/exercises/<exercise>/calibrate.py`` trains the reference as its hidden test
does, seed after seed, and exits non-zero if any seed falls below a threshold of that
test. Slow (minutes per exercise): ``python -m pytest -m slow tests/selftest/test_calibration.py``.
The figures are on each exercise's ``calibration.md`` (indexed in ``docs/calibration.md``);
that every threshold has both is checked by ``test_every_exercise_is_complete``.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((ROOT / "tests" / "exercises").glob("*/calibrate.py"))
SEEDS = 20


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.parent.name for p in SCRIPTS])
def test_reference_passes_every_seed(script):
    run = subprocess.run(
        [sys.executable, str(script), "--seeds", str(SEEDS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"{script} failed a threshold:\n{run.stdout[-3000:]}"
