"""Backpressure in a real API process: 413 for big bodies, 429 per caller, 503 when the gate is
full, and a SIGTERM that lets the request in flight finish."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import websockets

from api.limits import Gate
from domain.access import apikeys
from domain.user.models import User
from tests.api.conftest import PASSWORD, password_hash
from tests.conftest import _empty
from tests.serving import ROOT, SECRET, _port, api_process, wait_for_health

TYPENAME = {"query": "{ __typename }"}
ME = {"query": "{ me { username } }"}
LOGIN = """mutation ($u: String!, $p: String!) { login(input: {username: $u, password: $p})
  { ... on LoginSuccess { token } } }"""
LIMITED = {
    "LENDGRAPH_MAX_BODY_BYTES": "4096",
    "LENDGRAPH_MAX_VARIABLES_BYTES": "1024",
    "LENDGRAPH_RATE_LIMIT": "0.1,4",  # a token every 10 s: no refill while a test runs
    "LENDGRAPH_ANONYMOUS_RATE_LIMIT": "0.1,6",
}


@pytest.fixture(scope="module")
async def staff(orm: str) -> AsyncIterator[str]:
    """The session database with two staff users, for this module's API processes."""
    for name in ("ana", "ben"):
        await User.create(username=name, roles=["admin"], password_hash=password_hash())
    yield orm
    await _empty(orm)


@pytest.fixture(scope="module")
def limited(staff: str) -> Iterator[str]:
    """One API process with small limits for the module (each test calls from an address of
    its own, so the anonymous buckets of one test are not another's)."""
    with api_process(staff, LIMITED) as base:
        yield base


def _client(base: str, address: str, **options: Any) -> httpx.AsyncClient:
    """A client calling from `address` (any of 127.0.0.0/8 reaches the local server)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport, **options)


async def _token(http: httpx.AsyncClient, username: str) -> str:
    answer = await http.post("/graphql", json={"query": LOGIN, "variables": {"u": username,
                                                                            "p": PASSWORD}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["login"]["token"])


def _error(answer: httpx.Response) -> dict[str, Any]:
    errors = answer.json()["errors"]
    assert len(errors) == 1, errors
    return dict(errors[0])


async def test_a_body_over_the_limit_gets_413_naming_it_whether_declared_or_chunked(
    limited: str,
) -> None:
    async with _client(limited, "127.0.0.2") as http:
        declared = await http.post("/graphql", content=b"{" + b" " * 5000 + b"}",
                                   headers={"content-type": "application/json"})  # fmt: skip

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
            yield b'{"query": "{ __typename }", "x": "'
            for _ in range(10):
                yield b"y" * 1000
            yield b'"}'

        chunked = await http.post("/graphql", content=chunks(),
                                  headers={"content-type": "application/json"})  # fmt: skip
        variables = await http.post("/graphql", json={**TYPENAME, "variables": {"v": "z" * 2000}})
        small = await http.post("/graphql", json={**TYPENAME, "variables": {"v": "z" * 500}})
    assert "content-length" not in chunked.request.headers
    for answer in (declared, chunked):
        assert answer.status_code == 413
        error = _error(answer)
        assert error["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "limit": 4096,
                                       "setting": "LENDGRAPH_MAX_BODY_BYTES"}  # fmt: skip
        assert "4096 bytes" in error["message"]
    assert variables.status_code == 413
    assert _error(variables)["extensions"]["setting"] == "LENDGRAPH_MAX_VARIABLES_BYTES"
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


async def test_a_websocket_message_over_the_limit_closes_the_socket_with_1009(
    limited: str,
) -> None:
    url = limited.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send('{"type": "connection_init", "payload": {"x": "' + "y" * 5000 + '"}}')
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_each_signed_in_user_has_a_bucket_and_the_one_over_it_gets_429(
    limited: str,
) -> None:
    async with _client(limited, "127.0.0.3") as http:
        ana, ben = await _token(http, "ana"), await _token(http, "ben")

        async def me(token: str) -> httpx.Response:
            return await http.post("/graphql", json=ME,
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip

        burst = [await me(ana) for _ in range(4)]
        over = await me(ana)
        other = await me(ben)
        health = await http.get("/healthz")
    assert [a.status_code for a in burst] == [200] * 4
    assert burst[-1].json() == {"data": {"me": {"username": "ana"}}}
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) >= 5  # the next token is 10 s away
    error = _error(over)
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "user"
    assert error["extensions"]["setting"] == "LENDGRAPH_RATE_LIMIT"
    assert "per API process" in error["message"]
    assert other.status_code == 200 and other.json() == {"data": {"me": {"username": "ben"}}}
    assert health.status_code == 200  # health checks are never limited


async def test_an_api_key_has_a_bucket_of_its_own_once_verified(limited: str) -> None:
    ana = await User.get(username="ana")
    _, key = await apikeys.create_api_key(user_id=ana.id, role="admin", name="ledger sync",
                                          now=datetime.now(UTC))  # fmt: skip
    async with _client(limited, "127.0.0.5") as http:
        answers = [await http.post("/graphql", json=ME, headers={"X-API-Key": key})
                   for _ in range(6)]  # fmt: skip
        unsigned = [await http.post("/graphql", json=TYPENAME) for _ in range(6)]
    # the first request, its key not yet verified, was its address's; then 4 of the key's own
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert answers[0].json() == {"data": {"me": {"username": "ana"}}}
    assert _error(answers[-1])["extensions"]["limit"] == "api key"
    assert [a.status_code for a in unsigned] == [200] * 5 + [429]  # 6 less the key's first


async def test_keys_that_do_not_verify_are_charged_to_their_address(limited: str) -> None:
    async with _client(limited, "127.0.0.7") as http:
        answers = [await http.post("/graphql", json=TYPENAME,
                                   headers={"X-API-Key": f"lgk_made-up-{n}"})
                   for n in range(7)]  # fmt: skip
    # each random key is a bucket nobody gets: they all drain the address's
    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert _error(answers[-1])["extensions"]["limit"] == "address"


async def test_anonymous_callers_are_limited_by_address(limited: str) -> None:
    async with _client(limited, "127.0.0.4") as http:
        answers = [await http.post("/graphql", json=TYPENAME) for _ in range(7)]
        forged = await http.post("/graphql", json=TYPENAME,
                                 headers={"Authorization": "Bearer not.a.token"})  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 6 + [429]
    assert _error(answers[-1])["extensions"]["limit"] == "address"
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert forged.status_code == 429  # a token that does not verify counts as its address


async def test_callers_without_credentials_may_send_only_small_bodies(staff: str) -> None:
    env = {"LENDGRAPH_ANONYMOUS_MAX_BODY_BYTES": "2048"}  # the signed-in limit stays 24 MiB
    big = {**ME, "variables": {"note": "z" * 3000}}
    ana = await User.get(username="ana")
    _, key = await apikeys.create_api_key(user_id=ana.id, role="admin", name="nightly import",
                                          now=datetime.now(UTC))  # fmt: skip
    with api_process(staff, env) as base:
        async with _client(base, "127.0.0.6") as http:
            token = await _token(http, "ana")
            anonymous = await http.post("/graphql", json=big)
            forged = await http.post("/graphql", json=big,
                                     headers={"Authorization": "Bearer not.a.token"})  # fmt: skip
            made_up = await http.post("/graphql", json=big, headers={"X-API-Key": "lgk_nope"})
            signed_in = await http.post("/graphql", json=big,
                                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            # an integration's first request after a restart may be its big import
            with_key = await http.post("/graphql", json=big, headers={"X-API-Key": key})
    assert with_key.status_code == 200, with_key.text
    assert with_key.json() == {"data": {"me": {"username": "ana"}}}
    for answer in (anonymous, forged, made_up):
        assert answer.status_code == 413
        assert _error(answer)["extensions"] == {
            "code": "PAYLOAD_TOO_LARGE", "limit": 2048,
            "setting": "LENDGRAPH_ANONYMOUS_MAX_BODY_BYTES"}  # fmt: skip
    assert signed_in.status_code == 200
    assert signed_in.json() == {"data": {"me": {"username": "ana"}}}


async def _socket(base: str, token: str) -> Any:
    """A graphql-transport-ws connection signed in with `token`."""
    socket = await websockets.connect(base.replace("http://", "ws://") + "/graphql",
                                      subprotocols=["graphql-transport-ws"])  # fmt: skip
    await socket.send(orjson.dumps({"type": "connection_init",
                                    "payload": {"Authorization": f"Bearer {token}"}}).decode())  # fmt: skip
    assert orjson.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
    return socket


async def _operation(socket: Any, op: str, query: str) -> list[dict[str, Any]]:
    """Run one operation over the socket: the messages up to its complete or error."""
    await socket.send(orjson.dumps({"id": op, "type": "subscribe",
                                    "payload": {"query": query}}).decode())  # fmt: skip
    messages: list[dict[str, Any]] = []
    while not messages or messages[-1]["type"] not in ("complete", "error"):
        messages.append(orjson.loads(await asyncio.wait_for(socket.recv(), 10)))
        assert messages[-1].get("id") == op, messages
    return messages


async def test_every_operation_over_a_websocket_is_charged_to_its_user(limited: str) -> None:
    await User.create(username="cy", roles=["admin"], password_hash=password_hash())
    async with _client(limited, "127.0.0.8") as http:
        token = await _token(http, "cy")
    socket = await _socket(limited, token)
    try:
        answers = [await _operation(socket, f"q{n}", ME["query"]) for n in range(5)]
        # the socket stays open: the refusal was the operation's, not the connection's
        await socket.send(orjson.dumps({"type": "ping"}).decode())
        pong = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
    finally:
        await socket.close()
    for answer in answers[:4]:
        assert [m["type"] for m in answer] == ["next", "complete"]
        assert answer[0]["payload"] == {"data": {"me": {"username": "cy"}}}
    [refused] = answers[4]
    assert refused["type"] == "error"
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == "user" and error["extensions"]["retryAfter"] >= 5
    assert pong["type"] == "pong"


async def test_a_query_over_a_websocket_waits_for_a_slot_like_a_request(staff: str) -> None:
    env = {"LENDGRAPH_DB_POOL_SIZE": "3", "LENDGRAPH_ADMISSION_WAIT_MS": "50",
           "LENDGRAPH_TEST_DELAY_MS": "800"}  # fmt: skip
    with api_process(staff, env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            token = await _token(http, "ana")
            socket = await _socket(base, token)
            try:
                slow = [asyncio.ensure_future(http.post("/graphql", json=TYPENAME))
                        for _ in range(2)]  # fmt: skip
                await _settled(http, 2)
                busy = await _operation(socket, "busy", ME["query"])
                await asyncio.gather(*slow)
                served = await _operation(socket, "served", ME["query"])
                await _settled(http, 0)  # the socket's query gave its slot back
            finally:
                await socket.close()
    [refused] = busy
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "SERVER_BUSY"
    assert [m["type"] for m in served] == ["next", "complete"]
    assert served[0]["payload"] == {"data": {"me": {"username": "ana"}}}


async def _settled(http: httpx.AsyncClient, in_flight: int) -> None:
    """Wait until the process reports this many requests inside the gate."""
    deadline = time.monotonic() + 10
    while (await http.get("/healthz")).json()["requests"]["inFlight"] != in_flight:
        assert time.monotonic() < deadline, "the requests never reached the server"
        await asyncio.sleep(0.02)


async def test_a_request_that_finds_every_slot_taken_gets_503_at_once(staff: str) -> None:
    # a pool of 3 admits 2 requests: one connection stays for outside calls and health
    env = {"LENDGRAPH_DB_POOL_SIZE": "3", "LENDGRAPH_ADMISSION_WAIT_MS": "50",
           "LENDGRAPH_TEST_DELAY_MS": "800"}  # fmt: skip
    with api_process(staff, env) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            slow = [asyncio.ensure_future(http.post("/graphql", json=TYPENAME)) for _ in range(2)]
            await _settled(http, 2)
            started = time.monotonic()
            refused = await http.post("/graphql", json=TYPENAME)
            waited = time.monotonic() - started
            health = await http.get("/healthz")
            done = await asyncio.gather(*slow)
            after = await http.post("/graphql", json=TYPENAME)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert _error(refused)["extensions"]["code"] == "SERVER_BUSY"
    assert waited < 0.6  # refused after the 50 ms wait, not after the slow requests
    assert health.status_code == 200
    assert {k: health.json()["requests"][k] for k in ("inFlight", "slots")} == {
        "inFlight": 2,
        "slots": 2,
    }
    assert [a.status_code for a in done] == [200, 200]
    assert after.status_code == 200


@contextmanager
def _serve(url: str, env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _port()
    env = {**os.environ, "DATABASE_URL": url, "LENDGRAPH_SECRET": SECRET,
           "LENDGRAPH_MODE": "test", **env}  # fmt: skip
    child = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, [child], lambda: "the API process did not start")
        yield base, child
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        assert child.stdout is not None
        child.stdout.close()


async def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(staff: str) -> None:
    env = {"LENDGRAPH_TEST_DELAY_MS": "800", "LENDGRAPH_SHUTDOWN_GRACE_SECONDS": "20"}
    with _serve(staff, env) as (base, child):
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            login = asyncio.ensure_future(http.post(
                "/graphql", json={"query": LOGIN, "variables": {"u": "ana", "p": PASSWORD}}))  # fmt: skip
            await _settled(http, 1)
            child.send_signal(signal.SIGTERM)
            answer = await login
        code = await asyncio.to_thread(child.wait, 20)
        assert child.stdout is not None
        log = child.stdout.read().decode(errors="replace")
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["login"]["token"]
    assert code == 0, log
    assert "Waiting for application shutdown" in log and "Application shutdown complete" in log


async def test_a_process_whose_loop_is_behind_refuses_new_work_at_once() -> None:
    gate = Gate(slots=8, max_lag=0.1)
    watching = asyncio.create_task(gate.watch(tick=0.01))
    try:
        assert all([await gate.enter(0.05) for _ in range(2)])  # two requests in flight
        await asyncio.sleep(0.02)  # the watcher is ticking
        time.sleep(0.3)  # noqa: ASYNC251  the loop is held: CPU-bound work, as under overload
        await asyncio.sleep(0.02)  # the watcher sees how late its tick came
        assert gate.lag > 0.1
        started = time.monotonic()
        assert await gate.enter(5.0) is False  # refused without waiting, though slots are free
        assert time.monotonic() - started < 0.05
        for _ in range(2):
            gate.leave()
        assert gate.overloaded() is False  # nothing in flight: a lone slow request is no load
        await asyncio.sleep(0.2)  # the lag decays once the loop keeps time again
        assert gate.lag < 0.1 and await gate.enter(0.05)
    finally:
        watching.cancel()
