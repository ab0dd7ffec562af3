"""A real lendgraph server in a child process, for benchmarks that go over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(url: str, *, timeout: float = 60) -> Iterator[httpx.Client]:
    """`lendgraph serve` on a free port over a database, and a client for it, for the block.

    The per-caller rate limit is off unless the environment sets one: one client asking as
    fast as the server answers is what these benchmarks measure (at 25 applications a second
    the workflow benchmark's account manager would meet the default 50 requests a second).
    """
    port = free_port()
    env = {"LENDGRAPH_RATE_LIMIT": "off", **os.environ, "DATABASE_URL": url,
           "LENDGRAPH_GRAPHIQL": "0"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            for _ in range(300):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=10)
