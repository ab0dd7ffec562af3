"""Real lendgraph API processes (uvicorn) over the test database, for cross-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-secret-shared-by-every-api-process-0123456789"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(
    base: str, children: Sequence[subprocess.Popen[bytes]], failure: Callable[[], str]
) -> None:
    """Wait until `base` answers /healthz; `failure()` says why when a child dies or 60 s pass."""
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if any(c.poll() is not None for c in children) or time.monotonic() > deadline:
                raise RuntimeError(failure()) from None
            time.sleep(0.1)


@contextmanager
def api_process(
    url: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[str]:
    """`lendgraph serve` on a free port; yields its base URL, stops it after the block.

    With `log`, the process's stderr goes to that file (read it for a crash's traceback);
    otherwise to a pipe, shown only when the process fails to start.
    """
    port = _port()
    env = {**os.environ, "DATABASE_URL": url, "LENDGRAPH_SECRET": SECRET,
           "LENDGRAPH_MODE": "test", "LENDGRAPH_GRAPHIQL": "0", **(env or {})}  # fmt: skip
    stderr = log.open("ab") if log is not None else subprocess.PIPE
    child = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def failure() -> str:
        err = child.stderr.read().decode() if child.stderr else ""
        if log is not None:
            err = log.read_text(errors="replace")[-4000:]
        return f"the API process did not start:\n{err}"

    try:
        wait_for_health(base, [child], failure)
        yield base
    finally:
        child.terminate()
        child.wait(timeout=15)
        if child.stderr:
            child.stderr.close()
        if log is not None and not isinstance(stderr, int):
            stderr.close()


@contextmanager
def api_processes(url: str, count: int, env: dict[str, str] | None = None) -> Iterator[list[str]]:
    """Several API processes over one database."""
    with ExitStack() as stack:
        yield [stack.enter_context(api_process(url, env)) for _ in range(count)]


async def sign_in_token(base: str, username: str) -> str:
    """A staff user's token from the server at ``base`` (the tests' password)."""
    from tests.api.conftest import PASSWORD

    login = """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p})
      { ... on LoginSuccess { token } } }"""
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.post(
            "/graphql", json={"query": login, "variables": {"u": username, "p": PASSWORD}}
        )
    body = answer.json()
    return str(body["data"]["login"]["token"])


async def ask(base: str, token: str, query: str, **variables: Any) -> dict[str, Any]:
    """The data the server at ``base`` answers to ``query`` for that token (no errors)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.post(
            "/graphql", json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    body = answer.json()
    assert "errors" not in body, body
    return dict(body["data"])
