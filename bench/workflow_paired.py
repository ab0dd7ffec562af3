"""Two checkouts side by side: the FAST lane's CPU an application of each, asked in turn.

The machine this project is measured on changes speed by half from one minute to the next (a
shared host): two runs of `bench/workflow.py` a few minutes apart cannot tell a change of a few
percent. Here both checkouts serve at once, each over a fresh PostgreSQL database that its own
code migrates and seeds, and one client sends a FAST-lane application (submit, then the
signature) to one server, then to the other, alternately (A B B A A B …): the same moments of
the machine fall on both. Printed: each server's CPU and its database backends' CPU an
application (read from /proc around each application), the median latency, and the ratios.

    python bench/workflow_paired.py --before ../old-checkout [--after .] [--applications 200] \
        [--database-url postgres://postgres@127.0.0.1:5432/postgres]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cputime import backend_pids, process_seconds
from load import fresh_database
from server import free_port
from workflow import COMPLETE, LOGIN, PASSWORD, SUBMIT, WARM_UP, _completed, _post, _signature

_PREPARE = (
    "import asyncio, sys; sys.path.insert(0, 'bench'); import workflow; "
    "print('\\n'.join(asyncio.run(workflow._prepare(sys.argv[1], int(sys.argv[2])))))"
)


@dataclass
class Side:
    """One checkout: its server, database, customers, and what its applications cost."""

    tree: Path
    url: str
    customers: list[str]
    server: subprocess.Popen[bytes]
    client: httpx.Client
    headers: dict[str, str] = field(default_factory=dict)
    backends: list[int] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    database_cpu: float = 0.0

    def application(self, customer: str) -> float:
        """One FAST-lane application end to end; its wall time."""
        started = time.perf_counter()
        submitted = _post(self.client, SUBMIT, self.headers, id=customer)
        _completed(_post(self.client, COMPLETE, self.headers, id=_signature(submitted)))
        return time.perf_counter() - started

    def measured(self, customer: str) -> None:
        pids = [self.server.pid, *self.backends]
        before = [process_seconds(p) for p in pids]
        self.walls.append(self.application(customer))
        after = [process_seconds(p) for p in pids]
        self.server_cpu += after[0] - before[0]
        self.database_cpu += sum(after[1:]) - sum(before[1:])


def _side(stack: ExitStack, tree: Path, server_url: str, applications: int) -> Side:
    url = stack.enter_context(fresh_database(server_url, keep=False))
    prepared = subprocess.run(
        [sys.executable, "-c", _PREPARE, url, str(2 * (applications + WARM_UP))],
        cwd=tree, check=True, capture_output=True, text=True,
    )  # fmt: skip
    customers = prepared.stdout.split()  # (more are made than asked: am1 has fewer at hand)
    if len(customers) < applications + WARM_UP:
        raise SystemExit(f"{tree}: {len(customers)} customers for {applications} applications")
    secret = "paired-benchmark-" + "x" * 32
    env = {"LENDGRAPH_RATE_LIMIT": "off", **os.environ, "DATABASE_URL": url,
           "LENDGRAPH_GRAPHIQL": "0", "LENDGRAPH_SECRET": secret}  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=tree, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    stack.callback(server.wait, 10)
    stack.callback(server.terminate)
    client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60))
    for _ in range(300):
        try:
            client.get("/healthz")
            break
        except httpx.TransportError:
            time.sleep(0.1)
    token = _post(client, LOGIN, {}, u="am1", p=PASSWORD)["data"]["login"]["token"]
    side = Side(tree, url, customers, server, client, {"Authorization": f"Bearer {token}"})
    for customer in customers[:WARM_UP]:
        side.application(customer)
    side.backends = asyncio.run(backend_pids(url))
    return side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare to")
    parser.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server: two databases made there, then dropped",
    )  # fmt: skip
    args = parser.parse_args()
    n = args.applications
    with ExitStack() as stack:
        before = _side(stack, args.before.resolve(), args.database_url, n)
        after = _side(stack, args.after.resolve(), args.database_url, n)
        for k in range(n):  # A B B A A B …: neither is always first
            for side in (before, after) if k % 2 == 0 else (after, before):
                side.measured(side.customers[WARM_UP + k])
    print(f"FAST lane, {n} applications each, asked in turn, PostgreSQL")
    print(
        "| checkout | median ms | server CPU ms/application | database CPU ms/application | total |"
    )
    print("| --- | --- | --- | --- | --- |")
    for side in (before, after):
        total = (side.server_cpu + side.database_cpu) / n * 1000
        print(f"| {side.tree} | {statistics.median(side.walls) * 1000:.1f} | "
              f"{side.server_cpu / n * 1000:.2f} | {side.database_cpu / n * 1000:.2f} | "
              f"{total:.2f} |")  # fmt: skip
    ratio = (after.server_cpu + after.database_cpu) / (before.server_cpu + before.database_cpu)
    print(f"after / before, CPU an application: server {after.server_cpu / before.server_cpu:.3f}, "
          f"database {after.database_cpu / before.database_cpu:.3f}, both {ratio:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
