"""The command line: migrations first, schema export, refusals that name the fix."""

import subprocess
import sys
from pathlib import Path

from api.schema import schema

ROOT = Path(__file__).resolve().parents[2]


def lendgraph(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "LENDGRAPH_MODE": "test"},
    )  # fmt: skip


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "run `lendgraph export-schema`"


def test_server_refuses_an_unmigrated_database_and_names_the_fix(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    refused = lendgraph("serve", "--database-url", url)
    assert refused.returncode == 2
    said = " ".join(refused.stdout.split())  # the console wraps long lines
    assert "not migrated" in said and "lendgraph migrate" in said
    migrated = lendgraph("migrate", "--database-url", url)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert "0001_initial" in migrated.stdout
    again = lendgraph("migrate", "--database-url", url)
    assert "0 migration(s) applied" in again.stdout


def test_a_worker_round_runs_the_business_dates_work_once(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'work.db'}"
    assert lendgraph("migrate", "--database-url", url).returncode == 0
    first = lendgraph("worker", "--once", "--database-url", url)
    assert first.returncode == 0, first.stdout + first.stderr
    said = " ".join(first.stdout.split())
    assert "daily run" in said and "'delinquency': {'loans_changed': 0}" in said
    again = lendgraph("worker", "--once", "--database-url", url)
    assert again.returncode == 0 and "daily run" in again.stdout  # reported, nothing redone
