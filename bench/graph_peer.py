"""PostGraphile 5 over the customer-graph benchmark's database: the reference it is timed against.

`bench/postgraphile/` is a small npm project (PostGraphile 5, the amber preset, simplified
inflection); `running_postgraphile` installs it from its lock file when node_modules is missing
and serves it in a child Node process on a free port. It reads PostgreSQL's catalogue, so it
runs on PostgreSQL only, and as the connecting role: no access control, every row.
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson
from server import free_port

from domain.db import is_postgres

PROJECT = Path(__file__).resolve().parent / "postgraphile"

# the 360° page in PostGraphile's words: the same rows in the same order, and the columns our
# page shows, except that an installment's paid amount and status (computed by lendgraph) are
# the columns they are computed from
PAGE = """
query Page360 {
  customers(first: 50, orderBy: PRIMARY_KEY_ASC) {
    totalCount
    nodes {
      rowId name phone email birthDate riskRating
      loans(orderBy: PRIMARY_KEY_ASC) { nodes {
        rowId principal annualRate termMonths outstandingPrincipal daysPastDue bucket
        installments(orderBy: SEQ_ASC) { nodes {
          seq dueDate principalDue interestDue principalPaid interestPaid feePaid paidOn
        } }
        payments(orderBy: [PAID_AT_ASC, PRIMARY_KEY_ASC]) { nodes {
          amount paidAt idempotencyKey
        } }
      } }
      interactions(first: 20, orderBy: [OCCURRED_AT_DESC, PRIMARY_KEY_DESC]) { nodes {
        channel direction type text occurredAt
      } }
    }
  }
}
"""


class Counts(NamedTuple):
    """The rows one answer of the page holds."""

    customers: int
    loans: int
    installments: int
    payments: int
    interactions: int

    def __str__(self) -> str:
        return ", ".join(f"{n:,} {name}" for name, n in self._asdict().items())


def counts_of_ours(body: bytes) -> Counts:
    """The rows in lendgraph's answer (connections as edges, loans as lists)."""
    customers = [e["node"] for e in orjson.loads(body)["data"]["customers"]["edges"]]
    loans = [loan for c in customers for loan in c["loans"]]
    return Counts(
        len(customers), len(loans),
        sum(len(loan["schedule"]) for loan in loans),
        sum(len(loan["payments"]) for loan in loans),
        sum(len(c["interactions"]["edges"]) for c in customers),
    )  # fmt: skip


def counts_of_peer(body: bytes) -> Counts:
    """The rows in PostGraphile's answer (every connection as nodes)."""
    customers = orjson.loads(body)["data"]["customers"]["nodes"]
    loans: list[dict[str, Any]] = [loan for c in customers for loan in c["loans"]["nodes"]]
    return Counts(
        len(customers), len(loans),
        sum(len(loan["installments"]["nodes"]) for loan in loans),
        sum(len(loan["payments"]["nodes"]) for loan in loans),
        sum(len(c["interactions"]["nodes"]) for c in customers),
    )  # fmt: skip


def statements_per_page(client: httpx.Client) -> int:
    """Statements PostGraphile sends for one page: its pool's count before and after one."""
    before = int(client.get("/statements").text)
    client.post("/graphql", json={"query": PAGE}).raise_for_status()
    return int(client.get("/statements").text) - before


def unavailable(url: str) -> str | None:
    """Why PostGraphile cannot run here, or None once its packages are installed."""
    if not is_postgres(url):
        return "PostgreSQL only (PostGraphile builds its schema from PostgreSQL's catalogue)"
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        return "Node.js and npm are not installed"
    if not (PROJECT / "node_modules" / "postgraphile").is_dir():
        print("installing bench/postgraphile (npm ci) ...", flush=True)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROJECT,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return f"npm ci failed in bench/postgraphile: {done.stderr.strip()[-300:]}"
    return None


@contextmanager
def running_postgraphile(url: str, *, timeout: float = 60) -> Iterator[httpx.Client]:
    """bench/postgraphile/server.mjs on a free port over a PostgreSQL database, for the block."""
    node = shutil.which("node") or "node"
    port = free_port()
    env = {**os.environ, "GRAPHILE_ENV": "production"}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [node, "server.mjs", url.split("?")[0], str(port)], cwd=PROJECT, env=env,
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
                _wait_ready(client, server, log)
                yield client
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_ready(client: httpx.Client, server: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 60  # the schema of ~50 tables is built at start
    while True:
        try:
            client.post("/graphql", json={"query": "{ __typename }"}).raise_for_status()
            return
        except httpx.HTTPError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-2000:]
                raise SystemExit(f"PostGraphile did not start:\n{tail}") from None
            time.sleep(0.2)
