"""A migration test's own process: its own Tortoise, migrated step by step by a test module's
``__main__``, which prints "refused, then applied" when the migration refused the database
it was given and went through once that was put right."""

import subprocess
import sys
from pathlib import Path


def refused_then_applied(module: str, *args: str) -> None:
    """Run ``python -m module args…`` from the project's root and check what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "refused, then applied"
