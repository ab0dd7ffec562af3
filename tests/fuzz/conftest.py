"""A real `lendgraph serve` over its own seeded database, and a signed-in client per role."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.db import is_postgres
from tests.fuzz.seed import PASSWORD
from tests.pgdatabase import fresh_database
from tests.serving import ROOT, api_process


@pytest.fixture(scope="session")
def fuzz_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own (the fuzzer's mutations must not leak into other tests), seeded."""
    configured = os.environ.get("DATABASE_URL", "")
    if not is_postgres(configured or "sqlite://x"):
        url = f"sqlite://{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        _seed(url)
        yield url
        return
    with fresh_database(configured, "lendgraph_fuzz") as url:
        _seed(url)
        yield url


def _seed(url: str) -> None:
    subprocess.run([sys.executable, "-m", "tests.fuzz.seed", url], cwd=ROOT, check=True,
                   env={**os.environ, "LENDGRAPH_MODE": "test"}, timeout=300)  # fmt: skip


class Server:
    """The running API: its base URL and the log its errors go to."""

    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log
        self.http = httpx.Client(base_url=base, timeout=60)

    def token(self, username: str) -> str:
        """A bearer token for a seeded demo user."""
        query = """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p})
            { __typename ... on LoginSuccess { token } } }"""
        body = self.post(query, variables={"u": username, "p": PASSWORD})
        assert body["data"]["login"]["__typename"] == "LoginSuccess", body
        return str(body["data"]["login"]["token"])

    def post(self, query: str, token: str | None = None, **extra: Any) -> dict[str, Any]:
        """A GraphQL POST; the decoded body (the status must not be a server error)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.post("/graphql", json={"query": query, **extra}, headers=headers)
        assert response.status_code < 500, f"{response.status_code}: {response.text[:2000]}"
        body: dict[str, Any] = response.json()
        return body

    def log_tail(self, error_id: str | None = None) -> str:
        """The server log around an error id (or its end)."""
        text = self.log.read_text(errors="replace")
        at = text.find(error_id) if error_id else -1
        return text[at : at + 6000] if at >= 0 else text[-6000:]


@pytest.fixture(scope="session")
def fuzz_server(fuzz_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`lendgraph serve` over the seeded fuzz database."""
    log = tmp_path_factory.mktemp("fuzz-log") / "server.log"
    with api_process(fuzz_database, log=log) as base:
        server = Server(base, log)
        yield server
        server.http.close()
