"""Throughput of one GraphQL page: closed-loop clients, a fixed number of requests, requests/s.

Each of `clients` clients (no think time, one HTTP/1.1 keep-alive connection each) sends the
page, waits for the answer, and sends it again, until `requests` answers have come back; the
clients are spread round-robin over the servers' addresses (one per worker process). Two
untimed requests per server process come first (a fresh process's first answers are slow).
"""

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Throughput:
    """What one run measured."""

    requests: int
    seconds: float
    median_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        """Answers a second, errors included (they are counted apart)."""
        return self.requests / self.seconds


async def throughput(
    bases: list[str], payload: dict[str, Any], *, headers: list[dict[str, str]],
    clients: int, requests: int,
) -> Throughput:  # fmt: skip
    """Run `clients` clients against `bases` (headers[i] goes with bases[i]) for `requests`."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    pools = [httpx.AsyncClient(base_url=b, timeout=300, limits=limits) for b in bases]
    tickets = requests
    samples: list[float] = []
    errors = 0

    async def ask(n: int) -> float:
        nonlocal errors
        started = time.perf_counter()
        response = await pools[n % len(pools)].post(
            "/graphql", json=payload, headers=headers[n % len(pools)]
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or b'"errors"' in response.content:
            errors += 1
        return elapsed

    async def client(n: int) -> None:
        nonlocal tickets
        while tickets > 0:
            tickets -= 1
            samples.append(await ask(n))

    try:
        await asyncio.gather(*(ask(n) for n in range(2 * len(pools))))  # warm-up
        errors = 0
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        seconds = time.perf_counter() - started
    finally:
        for pool in pools:
            await pool.aclose()
    return Throughput(requests, seconds, statistics.median(samples) * 1000, errors)
