"""The lowest TensorFlow, Keras and NumPy that pyproject.toml admits pass ``grade check``.

The range is what lets a student install the course into an environment that already
has TensorFlow (Colab, a lab machine) without replacing it. Its upper end is what the
default suite runs on; this test proves the lower end: a fresh venv with exactly the
lower bounds, the course installed from this checkout, every reference at full marks
and every stub at zero. Slow: it downloads TensorFlow (about 600 MB) and grades the
whole course (about 10 minutes in all).
"""

import re
import subprocess
import sys
import tomllib

import pytest
from conftest import ROOT

LOWER_BOUNDED = ("tensorflow", "keras", "numpy")
LOWER_BOUND = re.compile(r">=\s*([\w.]+)")
SHOW_VERSIONS = "import tensorflow, keras; print(tensorflow.__version__, keras.__version__)"


def lower_bounds() -> list[str]:
    """``name==lowest`` for each of LOWER_BOUNDED, from pyproject.toml's dependencies."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = []
    for name in LOWER_BOUNDED:
        spec = next(d for d in dependencies if re.match(rf"{name}\b", d))
        pins.append(f"{name}=={LOWER_BOUND.search(spec).group(1)}")
    return pins


def test_every_range_has_a_lower_bound():
    assert [pin.split("==")[0] for pin in lower_bounds()] == list(LOWER_BOUNDED)


@pytest.mark.slow
def test_the_lowest_supported_versions_pass_grade_check(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*install, *lower_bounds(), str(ROOT)], check=True, timeout=2400)
    versions = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import tensorflow, keras; print(tensorflow.__version__, keras.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert versions.stdout.split() == [pin.split("==")[1] for pin in lower_bounds()[:2]]
    check = subprocess.run(
        [str(venv / "bin" / "grade"), "check", "--course", str(ROOT), "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=2400,
    )
    assert check.returncode == 0, check.stdout[-3000:]
