"""bench/load.py end to end at a tiny size: real API processes, a real client, PostgreSQL."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain.db import is_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="the load benchmark runs on PostgreSQL (runs when DATABASE_URL is PostgreSQL)",
)


def test_a_tiny_load_run_prints_a_row_per_level_and_no_unexpected_errors() -> None:
    # given a fresh 200-customer portfolio and one API process
    # when the mixed workload runs at 4 and 16 users for 2 s each
    done = subprocess.run(
        [sys.executable, "bench/load.py", "--customers", "200", "--concurrency", "4", "16",
         "--seconds", "2", "--warmup", "0.5", "--processes", "1", "--staff", "2",
         "--quiet-wait", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # then every level has a row with successful requests, and nothing unexpected happened
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split("|")[1:-1] for line in done.stdout.splitlines() if line.startswith("| 1 |")]
    levels = {int(cells[1]): cells for cells in rows if len(cells) > 8}
    assert set(levels) == {4, 16}, done.stdout
    for cells in levels.values():
        requests, ok_per_second = int(cells[2].replace(",", "")), float(cells[3])
        assert requests > 0 and ok_per_second > 0, done.stdout
        assert all(int(cell) == 0 for cell in cells[9:15]), done.stdout  # unexpected kinds
    assert "unexpected errors: 0" in done.stdout
    assert "saturation point, 1 process(es):" in done.stdout
