"""/healthz: liveness, the database's reachability and the admission gate's load.

Load balancers and orchestrators ask often and all at once, and /healthz is neither
rate-limited nor gated: so the database is probed at most once per `CACHE_SECONDS` by one
request, and every request meanwhile shares that probe's answer.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from tortoise import Tortoise

from domain import pgclient

TIMEOUT_SECONDS = 3.0
CACHE_SECONDS = 1.0


class DatabaseProbe:
    """`SELECT 1`, shared: one probe at a time, its answer kept for `cache` seconds."""

    def __init__(self, cache: float = CACHE_SECONDS, timeout: float = TIMEOUT_SECONDS) -> None:
        self.cache, self.timeout = cache, timeout
        self.probes = 0  # how many times the database was asked
        self._answer: tuple[float, str | None] | None = None  # (as of, the problem or None)
        self._running: asyncio.Future[str | None] | None = None

    async def problem(self) -> str | None:
        """None while the database answers, else why it does not."""
        now = time.monotonic()
        if self._answer is not None and now - self._answer[0] < self.cache:
            return self._answer[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self._probe())
            self._running.add_done_callback(self._done)
        return await asyncio.shield(self._running)

    def _done(self, probe: asyncio.Future[str | None]) -> None:
        self._running = None
        if not probe.cancelled() and probe.exception() is None:
            self._answer = (time.monotonic(), probe.result())

    async def _probe(self) -> str | None:
        self.probes += 1
        try:
            async with asyncio.timeout(self.timeout):
                await self.ask()
        except Exception as exc:  # any failure to answer is the database's state, not ours
            if isinstance(exc, TimeoutError):
                return f"no answer within {self.timeout:g} s"
            error = pgclient.unavailable(exc)
            return error.reason if error else f"{type(exc).__name__}: {exc}"[:200]
        return None

    async def ask(self) -> None:
        """The probe itself."""
        await Tortoise.get_connection("default").execute_query("SELECT 1")


async def healthz(request: Request) -> Response:
    """Liveness and database reachability (503 "degraded" with the reason while unreachable),
    and the requests in flight against the admission gate's slots."""
    gate = request.app.state.gate
    probe: DatabaseProbe = request.app.state.health
    requests = {"inFlight": gate.in_flight, "slots": gate.slots,
                "loopLagMs": round(gate.lag * 1000)}  # fmt: skip
    problem = await probe.problem()
    if problem is not None:
        return JSONResponse({"status": "degraded", "database": problem, "requests": requests},
                            status_code=503, headers={"Retry-After": "1"})  # fmt: skip
    return JSONResponse({"status": "ok", "database": "ok", "requests": requests})
