"""A real lendgraph server in a child process, for benchmarks that go over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_servers(
    url: str,
    workers: int = 1,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    pids: list[int] | None = None,
) -> Iterator[list[httpx.Client]]:
    """`workers` `lendgraph serve` processes on free ports over a database, a client for each.

    `lendgraph serve` has no worker count of its own: several processes are several ports, and
    the caller spreads its requests over them (as bench/load.py does). `env` is added to the
    servers' environment (over ours). The per-caller rate limit is off unless the environment
    sets one: one client asking as fast as the server answers is what these benchmarks measure
    (at 25 applications a second the workflow benchmark's account manager would meet the
    default 50 requests a second). The servers' process ids are added to `pids` if given.
    """
    full = {"LENDGRAPH_RATE_LIMIT": "off", **os.environ, "DATABASE_URL": url,
            "LENDGRAPH_GRAPHIQL": "0", **(env or {})}  # fmt: skip
    children: list[tuple[subprocess.Popen[bytes], int]] = []
    clients: list[httpx.Client] = []
    try:
        for _ in range(workers):
            port = free_port()
            child = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                cwd=Path(__file__).resolve().parents[1], env=full,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            children.append((child, port))
            if pids is not None:
                pids.append(child.pid)
        for child, port in children:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout)
            clients.append(client)
            for _ in range(300):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    if child.poll() is not None:
                        code = child.returncode
                        raise SystemExit(f"lendgraph serve exited with {code}") from None
                    time.sleep(0.1)
        yield clients
    finally:
        for client in clients:
            client.close()
        for child, _ in children:
            child.terminate()
        for child, _ in children:
            child.wait(timeout=10)


@contextmanager
def running_server(
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    pids: list[int] | None = None,
) -> Iterator[httpx.Client]:
    """`lendgraph serve` on a free port over a database, and a client for it, for the block."""
    with running_servers(url, 1, env=env, timeout=timeout, pids=pids) as clients:
        yield clients[0]
