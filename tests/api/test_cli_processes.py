"""`lendgraph migrate` deploys the shipped processes; `lendgraph processes status` says where
each stands; the worker names a missing process."""

import re
import subprocess
import sys
from pathlib import Path

from tests.api.test_cli import ROOT, lendgraph
from tests.bpmn.test_bundled import SHIPPED

BUNDLED_V1 = (
    r"v1 \(bundled, deployed by lendgraph migrate on \d{4}-\d\d-\d\d \d\d:\d\d UTC\) in force"
)

# what an institution does between two migrations: its own rating table, collections retired
INSTITUTION = """
import asyncio, sys
from tortoise import Tortoise
from bpmn import deployments
from domain import migrate

async def main() -> None:
    await migrate.init(sys.argv[1])
    try:
        xml = (deployments.BUNDLED / "customer_risk_rating.bpmn").read_bytes()
        table = (deployments.BUNDLED / "risk_rating.dmn").read_bytes()
        mine = table.replace(b"<text>&gt; 30</text>", b"<text>&gt; 60</text>", 1)
        await deployments.deploy(xml, [mine], deployed_by="ana")
        await deployments.retire("collections", retired_by="ana")
    finally:
        await Tortoise.close_connections()

asyncio.run(main())
"""


def _lines(out: str) -> dict[str, str]:
    found = {}
    for line in out.splitlines():
        name, sep, rest = line.partition(": ")
        if sep and name in SHIPPED:
            found[name] = rest
    return found


def test_migrate_deploys_the_shipped_processes_once_and_status_agrees(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'fresh.db'}"
    refused = lendgraph("processes", "status", "--database-url", url)
    assert refused.returncode == 2 and "lendgraph migrate" in " ".join(refused.stdout.split())
    first = lendgraph("migrate", "--database-url", url)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = _lines(first.stdout)
    assert sorted(lines) == SHIPPED
    for said in lines.values():
        assert re.fullmatch(f"{BUNDLED_V1}; shipped file: same; deployed v1", said), said
    again = lendgraph("migrate", "--database-url", url)
    assert "0 migration(s) applied" in again.stdout
    assert {p: s.rsplit("; ", 1)[1] for p, s in _lines(again.stdout).items()} == {
        p: "up to date" for p in SHIPPED
    }
    status = lendgraph("processes", "status", "--database-url", url)
    assert status.returncode == 0, status.stdout + status.stderr
    assert _lines(status.stdout) == _lines(again.stdout)


def test_status_and_migrate_leave_the_institutions_changes_and_the_worker_says_why(
    tmp_path: Path,
) -> None:
    url = f"sqlite://{tmp_path / 'theirs.db'}"
    assert lendgraph("migrate", "--database-url", url).returncode == 0
    changed = subprocess.run(
        [sys.executable, "-c", INSTITUTION, url], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={"PATH": "/usr/bin:/bin", "LENDGRAPH_MODE": "test"},
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    status = _lines(lendgraph("processes", "status", "--database-url", url).stdout)
    assert re.fullmatch(
        r"v2 \(deployed, deployed by ana on [^)]+\) in force; shipped file: differs; "
        r"your v2 is in force; the shipped file is v1, not redeployed",
        status["customer_risk_rating"],
    ), status["customer_risk_rating"]
    assert re.fullmatch(
        r"nothing in force; shipped file: differs; retired on \d{4}-\d\d-\d\d \d\d:\d\d UTC by "
        r"ana; not redeployed",
        status["collections"],
    ), status["collections"]
    assert status["credit_approval"].endswith("; up to date")
    migrated = lendgraph("migrate", "--database-url", url)
    assert _lines(migrated.stdout) == status  # nothing deployed over theirs, nothing redeployed
    worker = lendgraph("worker", "--once", "--database-url", url)
    said = " ".join(worker.stdout.split())
    assert "collections failed: ProcessNotDeployedError: process collections was " in said
    assert "by ana: deploy it again in the designer" in said
