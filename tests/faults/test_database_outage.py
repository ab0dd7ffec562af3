"""An API process whose database connections die, or whose database goes away, answers 503
with Retry-After meanwhile and serves again afterwards, without a restart (PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from api import health
from domain.clock.models import BusinessDay
from domain.customer.models import Customer
from domain.db import is_postgres
from domain.product.models import Product
from domain.user.models import User
from tests.api.conftest import PASSWORD, password_hash
from tests.conftest import TEN_AM, TODAY, _empty
from tests.serving import _port, api_process

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"),
    reason="terminating backends and cutting the network are PostgreSQL matters",
)
TERMINATE = """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid()"""
LOCK_WAITERS = """SELECT count(*) FROM pg_stat_activity
  WHERE datname = current_database() AND wait_event_type = 'Lock'"""
LOGIN = """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p})
  { ... on LoginSuccess { token } } }"""
ME = "{ me { username } }"
CUSTOMERS = "{ customers(first: 5) { edges { node { name } } } }"
CREATE = """mutation ($name: String!) { createCustomer(input: {name: $name, kind: PERSON})
  { __typename ... on CreateCustomerSuccess { customer { name } } } }"""
TIMEOUT_MS = 1500


class Proxy:
    """A TCP forwarder to PostgreSQL that the test can cut (every connection closed, new ones
    refused) and restore on the same port: the database, as the API sees it, goes away."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, _port()
        self.loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _call(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(work(), self.loop).result(10)

    def up(self) -> None:
        async def start() -> None:
            self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port,
                                                      reuse_address=True)  # fmt: skip

        self._call(start)

    def down(self) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()

        self._call(stop)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()
                self._writers.discard(dst)

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@dataclass
class Served:
    """The API process (over the proxy), a signed-in user's token, the proxy, the database."""

    base: str
    token: str
    proxy: Proxy
    url: str

    async def post(self, query: str, **variables: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            return await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip

    async def admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))


@pytest.fixture(scope="module")
async def served(orm: str) -> AsyncIterator[Served]:
    """One API process for the module, reaching PostgreSQL through a proxy we can cut."""
    await BusinessDay.create(id=1, current=TODAY, pinned_time=TEN_AM.isoformat())
    await User.create(username="ana", roles=["admin"], password_hash=password_hash())
    server, _, name = orm.partition("://")[2].rpartition("/")
    host, _, port = server.rpartition("@")[2].partition(":")
    proxy = Proxy((host, int(port or 5432)))
    proxy.up()
    user = server.rpartition("@")[0]
    through = f"postgres://{user}@127.0.0.1:{proxy.port}/{name}"
    # a pool of 5 admits 4 requests at once (one connection is kept in reserve)
    env = {"LENDGRAPH_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS), "LENDGRAPH_DB_POOL_SIZE": "5"}
    try:
        with api_process(through, env) as base:
            async with httpx.AsyncClient(base_url=base) as http:
                login = await http.post("/graphql", json={"query": LOGIN,
                                        "variables": {"u": "ana", "p": PASSWORD}})  # fmt: skip
            yield Served(base, login.json()["data"]["login"]["token"], proxy, orm)
    finally:
        proxy.close()
        await _empty(orm)


def _unavailable(answer: httpx.Response, code: str = "DATABASE_UNAVAILABLE") -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "1"
    [error] = answer.json()["errors"]
    assert error["extensions"] == {"code": code, "retryAfter": 1}


async def test_the_request_after_pg_terminate_backend_succeeds(served: Served) -> None:
    warm = await asyncio.gather(*(served.post(ME) for _ in range(4)))  # the pool is full
    admin = await served.admin()
    try:
        assert await admin.fetchval(TERMINATE) >= 4
    finally:
        await admin.close()
    after = await served.post(ME)
    together = await asyncio.gather(*(served.post(CUSTOMERS) for _ in range(4)))
    assert [a.status_code for a in warm] == [200] * 4
    assert after.status_code == 200 and after.json() == {"data": {"me": {"username": "ana"}}}
    assert [a.status_code for a in together] == [200] * 4
    assert all("errors" not in a.json() for a in together)


async def _waiting_for_lock(admin: asyncpg.Connection, count: int) -> None:
    deadline = time.monotonic() + 10
    while await admin.fetchval(LOCK_WAITERS) < count:
        assert time.monotonic() < deadline, "the requests never reached the lock"
        await asyncio.sleep(0.02)


async def test_a_terminated_write_gets_503_and_is_not_applied_a_terminated_read_is_answered(
    served: Served,
) -> None:
    admin = await served.admin()
    try:
        async with admin.transaction():  # the requests queue behind this lock, in flight
            await admin.execute("LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")
            write = asyncio.ensure_future(served.post(CREATE, name="Wang Fang"))
            read = asyncio.ensure_future(served.post(CUSTOMERS))
            await _waiting_for_lock(admin, 2)
            assert await admin.fetchval(TERMINATE) >= 2
        written, answered = await write, await read
    finally:
        await admin.close()
    _unavailable(written)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {"data": {"customers": {"edges": []}}}
    assert await Customer.filter(name="Wang Fang").count() == 0
    again = await served.post(CREATE, name="Wang Fang")
    assert again.json()["data"]["createCustomer"]["__typename"] == "CreateCustomerSuccess"
    assert await Customer.filter(name="Wang Fang").count() == 1


async def test_a_statement_over_the_timeout_gets_503_with_its_code(served: Served) -> None:
    admin = await served.admin()
    try:
        async with admin.transaction():
            await admin.execute("LOCK TABLE customer IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            answer = await served.post(CUSTOMERS)
            waited = time.monotonic() - started
    finally:
        await admin.close()
    _unavailable(answer, "STATEMENT_TIMEOUT")
    assert "statement timeout" in answer.json()["errors"][0]["message"]
    assert TIMEOUT_MS / 1000 <= waited < TIMEOUT_MS / 1000 + 3
    assert (await served.post(CUSTOMERS)).status_code == 200


async def test_healthz_and_requests_follow_the_database_away_and_back(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as http:
        before = await http.get("/healthz")
        served.proxy.down()
        try:
            await asyncio.sleep(health.CACHE_SECONDS)  # the probe's answer is kept this long
            down = await http.get("/healthz")
            refused = await served.post(ME)
        finally:
            served.proxy.up()
        await asyncio.sleep(health.CACHE_SECONDS)
        back = await http.get("/healthz")
    after = await served.post(ME)
    assert before.status_code == 200
    assert {k: before.json()[k] for k in ("status", "database")} == {"status": "ok",
                                                                     "database": "ok"}  # fmt: skip
    assert down.status_code == 503 and down.headers["retry-after"] == "1"
    assert down.json()["status"] == "degraded"
    assert "cannot connect" in down.json()["database"]
    _unavailable(refused)
    assert back.status_code == 200 and back.json()["database"] == "ok"
    assert after.status_code == 200 and after.json() == {"data": {"me": {"username": "ana"}}}


BOTH = """mutation ($name: String!) {
  customer: createCustomer(input: {name: $name, kind: PERSON})
    { __typename ... on CreateCustomerSuccess { customer { name } } }
  product: saveProduct(input: {code: "OUTAGE", name: "Outage", method: EQUAL_INSTALLMENT,
      minRate: "0.0600", maxRate: "0.2400", minTerm: 6, maxTerm: 36,
      minAmount: "1000.00", maxAmount: "100000.00"}) { __typename } }"""


async def test_a_document_whose_first_mutation_committed_is_not_answered_retry(
    served: Served,
) -> None:
    admin = await served.admin()
    try:
        async with admin.transaction():  # the second mutation waits behind this lock
            await admin.execute("LOCK TABLE product IN ACCESS EXCLUSIVE MODE")
            both = asyncio.ensure_future(served.post(BOTH, name="Han Mei"))
            await _waiting_for_lock(admin, 1)
            assert await admin.fetchval(TERMINATE) >= 1
        answer = await both
    finally:
        await admin.close()
    # the customer was created: a 503 "retry" would create it twice. The answer names the
    # field that failed (its null result voids `data`: mutation results are non-null)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["path"] == ["product"]
    assert error["extensions"] == {"code": "DATABASE_UNAVAILABLE", "retryAfter": 1}
    assert "this field was not done" in error["message"]
    assert await Customer.filter(name="Han Mei").count() == 1
    assert await Product.filter(code="OUTAGE").count() == 0
