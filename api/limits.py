"""Backpressure for one API process: body limits, rate limits, an admission gate, 503 on outages.

Every request but /healthz and the static pages passes, in this order:
1. the rate limit of its caller: a token bucket per signed-in user (a valid bearer token, read
   without the database) or API key (by its hash, once verified), else per client address;
   429 + Retry-After;
2. the body limits: Content-Length, then the bytes actually received (chunked bodies), then
   the size of the GraphQL variables; 413 naming the limit. A caller without credentials, or
   with an API key not yet verified, gets the small anonymous limit; a body over it with an
   API key is let through once the key is verified (one statement);
3. the admission gate, the database pool less a reserve (see `admission_slots`): a request
   that finds no slot free within a short wait gets 503 + Retry-After at once, instead of
   queueing for a connection until some timeout;
4. a database that is unreachable, dropped the connection or cancelled a statement (see
   `domain.pgclient`) answers 503 + Retry-After with a GraphQL-shaped error and a code,
   unless a transaction of the request had committed: then the GraphQL answer says which
   fields failed (a document of several mutations is never answered "retry" after one
   applied).
A websocket is rate-limited at its handshake and then per operation, and its queries and
mutations pass the gate as requests do (`api.wslimits`).
Buckets and the gate live in this process: with N API processes, a caller may make N times
the configured rate in all.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from api.answers import Message, Receive, Send, busy_answer, error_answer, respond
from api.ratelimit import Buckets, Caller, Rate, caller_of, header, remember_key, verified
from api.wslimits import SocketGuard
from authz import auth
from domain import db, pgclient
from domain.access.errors import AuthenticationError

log = logging.getLogger("lendgraph.limits")
Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
# a signed-in caller may send an import's file (importRecords takes up to 20 MiB, escaped in
# JSON); a caller without credentials only signs in or follows links: 64 KiB is plenty
SIGNED_IN_BODY, ANONYMOUS_BODY = 24 * MIB, 64 * 1024
USER_RATE, ANONYMOUS_RATE = Rate(50, 200), Rate(20, 60)
# health and the web pages (static files): never limited
BYPASS = ("/healthz", "/designer", "/dashboard", "/segments")


def _size(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of bytes, 1 or more (got {raw!r})")
    return int(raw)


def _millis(name: str, default: int) -> float:
    raw = os.environ.get(name, "").strip()
    if raw and not raw.isdigit():
        raise ValueError(f"{name} must be a whole number of milliseconds (got {raw!r})")
    return (int(raw) if raw else default) / 1000


def admission_slots(pool: int) -> int:
    """Requests admitted at once: the pool less a reserve, a quarter of it and at least one
    connection, for what a request needs beside its own (an outside call's transaction of its
    own, see `domain.credit.calls`) and for the health check."""
    return max(1, pool - max(1, pool // 4))


@dataclass(frozen=True)
class Limits:
    """This process's limits, from LENDGRAPH_* variables (see the README's configuration)."""

    max_body: int = SIGNED_IN_BODY
    max_variables: int = SIGNED_IN_BODY
    anonymous_max_body: int = ANONYMOUS_BODY
    user_rate: Rate | None = USER_RATE
    anonymous_rate: Rate | None = ANONYMOUS_RATE
    slots: int = admission_slots(db.DEFAULT_POOL_SIZE)
    admission_wait: float = 0.2
    max_loop_lag: float = 0.25
    test_delay: float = 0.0

    @classmethod
    def from_env(cls) -> Limits:
        """The limits of this process; a setting that is not valid raises ValueError naming it."""
        test = os.environ.get("LENDGRAPH_MODE") == "test"

        def rate(name: str, default: str) -> Rate | None:
            raw = os.environ.get(name)
            if raw is None and test:  # the test suite runs unlimited unless a test sets one
                return None
            return Rate.parse(name, raw if raw is not None else default)

        return cls(
            max_body=_size("LENDGRAPH_MAX_BODY_BYTES", SIGNED_IN_BODY),
            max_variables=_size("LENDGRAPH_MAX_VARIABLES_BYTES", SIGNED_IN_BODY),
            anonymous_max_body=_size("LENDGRAPH_ANONYMOUS_MAX_BODY_BYTES", ANONYMOUS_BODY),
            user_rate=rate("LENDGRAPH_RATE_LIMIT", "50,200"),
            anonymous_rate=rate("LENDGRAPH_ANONYMOUS_RATE_LIMIT", "20,60"),
            slots=admission_slots(db.pool_size()),
            admission_wait=_millis("LENDGRAPH_ADMISSION_WAIT_MS", 200),
            max_loop_lag=_millis("LENDGRAPH_MAX_LOOP_LAG_MS", 250),
            test_delay=_millis("LENDGRAPH_TEST_DELAY_MS", 0) if test else 0.0,
        )


class Gate:
    """At most `slots` requests at once; the rest wait briefly for a slot, then are refused.

    It also sheds load when the event loop itself is behind (`max_lag`): a process whose loop
    answers timers late is short of CPU, not of connections, and a request admitted then would
    only wait its turn until the client's timeout. While the loop's lag is over the limit and
    a quarter of the slots are busy, new requests get 503 at once.
    """

    def __init__(self, slots: int, max_lag: float = 0.0) -> None:
        self.slots, self.max_lag = slots, max_lag
        self.in_flight = 0
        self.lag = 0.0  # seconds the loop was late on its last tick, decaying
        self._free = asyncio.Semaphore(slots)

    def overloaded(self) -> bool:
        """Whether the loop is behind while there is work in flight."""
        return (
            bool(self.max_lag)
            and self.lag > self.max_lag
            and self.in_flight >= max(1, self.slots // 4)
        )

    async def enter(self, wait: float) -> bool:
        """Take a slot within `wait` seconds; False when none came free or the loop is behind."""
        if self.overloaded():
            return False
        if not self._free.locked():
            await self._free.acquire()  # a free slot is taken without yielding
        else:
            try:
                async with asyncio.timeout(wait):
                    await self._free.acquire()
            except TimeoutError:
                return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        """Give the slot back."""
        self.in_flight -= 1
        self._free.release()

    async def watch(self, tick: float = 0.025) -> None:
        """Measure the loop's lag for as long as the process serves (a task of the lifespan)."""
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(tick)
            late = max(0.0, loop.time() - started - tick)
            self.lag = max(late, self.lag * 0.5)  # a spike lasts a few ticks, not forever


class TooLarge(Exception):
    """A body, a websocket message or the variables exceeded their limit."""

    def __init__(self, what: str, limit: int, setting: str) -> None:
        super().__init__(f"{what} is larger than the limit of {limit} bytes ({setting})")
        self.limit, self.setting = limit, setting

    def answer(self) -> Message:
        """The 413 response."""
        return error_answer(413, f"{self}.", "PAYLOAD_TOO_LARGE", {}, limit=self.limit,
                     setting=self.setting)  # fmt: skip


def unavailable_answer(error: pgclient.DatabaseUnavailableError) -> Message:
    """The 503 response of a database outage or a cancelled statement."""
    wait = pgclient.RETRY_AFTER_SECONDS
    message = f"{error.reason}; retry in {wait} s."
    if not isinstance(error, pgclient.StatementTimeoutError):
        message = f"The database is unavailable ({error.reason}); retry in {wait} s."
    return error_answer(503, message, error.code, {"retry-after": str(wait)}, retryAfter=wait)


class Backpressure:
    """The ASGI middleware that applies `Limits` (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: Limits, gate: Gate) -> None:
        self.app, self.limits, self.gate = app, limits, gate
        self.users = Buckets(limits.user_rate) if limits.user_rate else None
        self.anonymous = Buckets(limits.anonymous_rate) if limits.anonymous_rate else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or str(scope["path"]).startswith(BYPASS):
            await self.app(scope, receive, send)
            return
        caller = caller_of(scope)
        refused = self.rate_limited(caller)
        if kind == "websocket":
            if refused is not None:
                await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
                return
            guard = SocketGuard(self, caller, scope, receive, send)
            try:
                await self.app(scope, guard.receive, guard.send)
            finally:
                guard.release_all()
            return
        if refused is not None:
            await respond(send, refused)
            return
        try:
            body = await self._body(scope, receive, caller)
        except TooLarge as exc:
            await respond(send, exc.answer())
            return
        except Exception as exc:  # the key's verification met an outage
            error = pgclient.unavailable(exc)
            if error is None:
                raise
            await respond(send, unavailable_answer(error))
            return
        if not await self.gate.enter(self.limits.admission_wait):
            await respond(send, busy_answer())
            return
        try:
            await self._admitted(scope, self._replay(body, receive), send)
        finally:
            self.gate.leave()

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        record = pgclient.RequestRecord()
        token = pgclient.record.set(record)
        try:
            if self.limits.test_delay:
                await asyncio.sleep(self.limits.test_delay)
            await self.app(scope, receive, tracked)
        except Exception as exc:
            error = pgclient.unavailable(exc)
            if error is None or started:
                raise
            log.warning("503 for %s: %s", scope["path"], error.reason)
            await respond(send, unavailable_answer(error))
        finally:
            pgclient.record.reset(token)

    def rate_limited(self, caller: Caller) -> Message | None:
        """The 429 answer when the caller's bucket is empty (one token taken otherwise)."""
        buckets = self.anonymous if caller.anonymous else self.users
        if buckets is None:
            return None
        wait = buckets.take(f"{caller.kind}:{caller.who}", time.monotonic())
        if not wait:
            return None
        seconds = max(1, math.ceil(wait))
        rate = buckets.rate
        message = (
            f"Too many requests for this {caller.kind}: the limit is {rate.per_second:g} a "
            f"second (bursts of {rate.burst}) per API process; retry in {seconds} s."
        )
        setting = "LENDGRAPH_ANONYMOUS_RATE_LIMIT" if caller.anonymous else "LENDGRAPH_RATE_LIMIT"
        return error_answer(429, message, "RATE_LIMITED", {"retry-after": str(seconds)},
                     retryAfter=seconds, limit=caller.kind, setting=setting)  # fmt: skip

    def _body_limit(self, caller: Caller) -> tuple[int, str]:
        if caller.anonymous and self.limits.anonymous_max_body < self.limits.max_body:
            return self.limits.anonymous_max_body, "LENDGRAPH_ANONYMOUS_MAX_BODY_BYTES"
        return self.limits.max_body, "LENDGRAPH_MAX_BODY_BYTES"

    async def _larger_limit(self, caller: Caller) -> Caller:
        """The caller whose body is over the anonymous limit, its API key verified if it has
        one (a key verified once is known to every later request of this process)."""
        if caller.key is None:
            return caller
        try:
            await auth.subject_for_api_key(caller.key)
        except AuthenticationError:
            return caller
        remember_key(caller.key)
        return verified(caller)

    async def _body(self, scope: Scope, receive: Receive, caller: Caller) -> bytes:
        limit, setting = self._body_limit(caller)
        declared = header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            caller = await self._larger_limit(caller)
            limit, setting = self._body_limit(caller)
            if int(declared) > limit:
                raise TooLarge("the request body", limit, setting)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit and caller.key is not None:
                caller = await self._larger_limit(caller)
                limit, setting = self._body_limit(caller)
            if size > limit:
                raise TooLarge("the request body", limit, setting)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self._check_variables(scope, body)
        return body

    def _check_variables(self, scope: Scope, body: bytes) -> None:
        limit = self.limits.max_variables
        query = bytes(scope.get("query_string") or b"")
        if len(body) <= limit and len(query) <= limit:
            return  # the variables are smaller than all that holds them
        size = 0
        if len(query) > limit:
            size = max(len(v) for v in parse_qs(query.decode("latin-1")).get("variables", [""]))
        if len(body) > limit:
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError:
                document = None  # refused as bad JSON by the GraphQL view
            documents = document if isinstance(document, list) else [document]
            for item in documents:
                if isinstance(item, dict) and item.get("variables") is not None:
                    size = max(size, len(orjson.dumps(item["variables"])))
        if size > limit:
            raise TooLarge("the GraphQL variables", limit, "LENDGRAPH_MAX_VARIABLES_BYTES")

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then only http.disconnect

        return replayed
