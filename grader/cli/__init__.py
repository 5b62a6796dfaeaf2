"""The `grade` command line: parses options, calls the grading logic, prints results.

Exit codes: 0 full marks (or a passing check), 1 points lost (or a failing check),
2 a usage or infrastructure error. Each module registers its commands on ``main``.
"""

from grader.cli import batch, doctor, release, run
from grader.cli.group import main

__all__ = ["main", "batch", "doctor", "release", "run"]
