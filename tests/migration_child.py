"""A migration test's own process: its own Tortoise, migrated step by step by a test module's
``__main__``, which prints "refused, then applied" when the migration refused the database
it was given and went through once that was put right."""

import subprocess
import sys
from pathlib import Path

from domain import migrate


def refused_then_applied(module: str, *args: str) -> None:
    """Run ``python -m module args…`` from the project's root and check what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "refused, then applied"


async def refusal(url: str, what: str) -> str:
    """What migrating `url` is refused with; the migration going through fails the test,
    saying `what` it went through."""
    try:
        await migrate.apply(url)
    except RuntimeError as refused:
        return str(refused)
    raise AssertionError(f"the migration went through {what}")


async def applied(url: str) -> None:
    """Migrate `url` to the last migration: none is left pending."""
    await migrate.apply(url)
    assert await migrate.pending(url) == []
