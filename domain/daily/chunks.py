"""Chunks of the daily run: ranges of customers, made once per step and date, each done once.

A step that works customer by customer (delinquency, profiles, reminders, collections,
offers, care) is cut into ranges of customer ids; a step that needs the whole portfolio at
once (month-end positions) is one chunk of everyone. Workers claim chunks with ``FOR UPDATE
SKIP LOCKED`` inside the transaction that does the chunk's work: a chunk is done once, by
whoever claims it first; a worker killed mid-chunk loses its transaction and the chunk is
taken by the next; a chunk that fails is FAILED with its error (visible to administrators)
and taken again by a later run, while the other chunks go on.
"""

from __future__ import annotations

import itertools
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max, Min
from tortoise.transactions import in_transaction

from domain import faults, pgclient
from domain.customer.models import Customer
from domain.daily.models import ChunkStatus, DailyChunk, DailyRun
from domain.db import positive_setting

WORKER = f"{socket.gethostname()[:48]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
CHUNK_ENV = "LENDGRAPH_DAILY_CHUNK_CUSTOMERS"
DEFAULT_CHUNK = 20_000
OPEN = 2**31 - 1  # the largest customer id: the last chunk has no upper bound


@dataclass(frozen=True, slots=True)
class Span:
    """Customers with ``lo`` ≤ id < ``hi``: what one chunk of a step works on."""

    lo: int
    hi: int

    def q(self, field: str = "customer_id") -> Q:
        """The filter of rows whose ``field`` (a customer id) is in the span."""
        bounds: dict[str, Any] = {f"{field}__gte": self.lo}
        if self.hi < OPEN:  # the last chunk also takes customers created since it was cut
            bounds[f"{field}__lt"] = self.hi
        return Q(**bounds)

    def where(self, column: str) -> str:
        """The same filter as SQL over ``column``, with the parameters ``:lo`` and ``:hi``."""
        return f"{column} >= :lo" + (f" AND {column} < :hi" if self.hi < OPEN else "")


EVERYONE = Span(0, OPEN)
Work = Callable[[date, Span], Awaitable[dict[str, Any]]]


def chunk_size() -> int:
    """Customers per chunk (``LENDGRAPH_DAILY_CHUNK_CUSTOMERS``, default 20,000)."""
    return positive_setting(CHUNK_ENV, DEFAULT_CHUNK)


async def spans(size: int) -> list[Span]:
    """Ranges of ``size`` ids over the customers there are; the first starts at 0 and the
    last is open, so every customer falls in exactly one."""
    bounds = await Customer.all().annotate(low=Min("id"), high=Max("id")).values("low", "high")
    low, high = (bounds[0]["low"], bounds[0]["high"]) if bounds else (None, None)
    if low is None or high is None or high - low < size:
        return [EVERYONE]
    cuts = list(range(int(low) + size, int(high) + 1, size))
    edges = [0, *cuts, OPEN]
    return [Span(a, b) for a, b in itertools.pairwise(edges)]


async def ensure(day: date, step: str, *, whole: bool) -> int:
    """Make the step's chunks for the date unless they exist; returns how many there are.

    Made under the lock of the step's ``daily_run`` row, so two workers never cut the same
    step differently (say, with different chunk sizes): the second finds the first's chunks.
    """
    async with in_transaction():
        run = await DailyRun.filter(business_date=day, step=step).select_for_update().first()
        count = await DailyChunk.filter(business_date=day, step=step).count()
        if count:
            return count
        made = [EVERYONE] if whole else await spans(chunk_size())
        await DailyChunk.bulk_create(
            [DailyChunk(business_date=day, step=step, lo=s.lo, hi=s.hi) for s in made]
        )
        if run is not None and run.started_at is None:
            run.started_at = datetime.now(UTC)
            await run.save(update_fields=["started_at"])
        return len(made)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one chunk this worker took."""

    chunk_id: int
    span: Span
    detail: dict[str, Any] | None
    error: str | None = None


async def run_next(day: date, step: str, work: Work, *, skip: set[int]) -> Outcome | None:
    """Claim one chunk of the step not done (nor in ``skip``), do it and commit; None when
    every chunk left is done, skipped or in another worker's hands.

    The chunk's work and its DONE commit together. A chunk that raises is rolled back whole
    and stored FAILED with the error, in a transaction of its own.
    """
    started = time.perf_counter()
    chunk: DailyChunk | None = None
    counter = [0]
    token = pgclient.statements.set(counter)
    try:
        async with in_transaction():
            chunk = await (
                DailyChunk.filter(business_date=day, step=step)
                .exclude(status=ChunkStatus.DONE).exclude(id__in=skip or [0])
                .order_by("lo").select_for_update(skip_locked=True).first()
            )  # fmt: skip
            if chunk is None:
                return None
            span = Span(int(chunk.lo), int(chunk.hi))
            detail = await work(day, span)
            await DailyChunk.filter(id=chunk.id).update(
                status=ChunkStatus.DONE, detail=detail, error=None, worker=WORKER,
                attempts=chunk.attempts + 1, seconds=round(time.perf_counter() - started, 3),
                statements=counter[0] + 1 if counter[0] else None,  # this UPDATE too (PostgreSQL)
                finished_at=datetime.now(UTC),
            )  # fmt: skip
            faults.reach(f"daily.{step}.before_commit")  # all written, nothing committed
            return Outcome(chunk.id, span, detail)
    except Exception as exc:
        if chunk is None:
            raise
        error = f"{type(exc).__name__}: {exc}"[:2000]
        await DailyChunk.filter(id=chunk.id).update(
            status=ChunkStatus.FAILED, error=error, worker=WORKER, attempts=chunk.attempts + 1,
            seconds=round(time.perf_counter() - started, 3), finished_at=datetime.now(UTC),
        )  # fmt: skip
        return Outcome(chunk.id, Span(int(chunk.lo), int(chunk.hi)), None, error)
    finally:
        pgclient.statements.reset(token)


@dataclass(frozen=True, slots=True)
class StepState:
    """The chunks of a step after this worker took all it could."""

    total: int
    done: int
    failed_here: int  # chunks that failed in this worker's run
    errors: list[str]
    seconds: float = 0.0  # spent on the chunks done

    def line(self, step: str) -> str:
        """Where the step stands, for a person watching a worker."""
        left = ""
        if self.done and self.done < self.total:
            eta = self.seconds / self.done * (self.total - self.done)
            left = f", about {eta:.0f} s left for one worker"
        failed = f", {self.failed_here} failed" if self.failed_here else ""
        return f"{step}: {self.done}/{self.total} chunks{failed}{left}"

    @property
    def in_flight(self) -> int:
        """Chunks neither done nor failed here: in another worker's hands (or failed there)."""
        return self.total - self.done - self.failed_here


async def state(day: date, step: str, skip: set[int]) -> StepState:
    """Where the step's chunks stand for this worker."""
    rows = await DailyChunk.filter(business_date=day, step=step).values_list(
        "id", "status", "error", "seconds"
    )
    done = [float(t or 0) for _, status, _, t in rows if status == ChunkStatus.DONE]
    failed = [(i, e) for i, status, e, _ in rows if status != ChunkStatus.DONE and i in skip]
    errors = [str(e) for _, e in failed if e]
    return StepState(len(rows), len(done), len(failed), errors, round(sum(done), 3))


# counts every chunk reports alike (the rules applied, the segments kept): taken once
SAME_IN_EVERY_CHUNK = frozenset({"rules", "segments"})
# counts of things every chunk does its part of (the month ends kept): the most any chunk did
LARGEST_OF_CHUNKS = frozenset({"months"})


def merge(details: list[dict[str, Any]]) -> dict[str, Any]:
    """The chunks' details as one step's: numbers added (but `SAME_IN_EVERY_CHUNK`, and the
    largest of `LARGEST_OF_CHUNKS`), mappings merged, lists joined, any other value the first
    chunk's."""
    out: dict[str, Any] = {}
    for detail in details:
        for key, value in detail.items():
            if key not in out:
                out[key] = merge([value]) if isinstance(value, dict) else value
            elif isinstance(value, dict) and isinstance(out[key], dict):
                out[key] = merge([out[key], value])
            elif isinstance(value, list) and isinstance(out[key], list):
                out[key] = [*out[key], *value]
            elif _number(value) and _number(out[key]) and key in LARGEST_OF_CHUNKS:
                out[key] = max(out[key], value)
            elif _number(value) and _number(out[key]) and key not in SAME_IN_EVERY_CHUNK:
                out[key] = out[key] + value
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def details(day: date, step: str) -> dict[str, Any]:
    """The step's detail: its chunks' merged, in id order."""
    rows = await DailyChunk.filter(business_date=day, step=step).order_by("lo")
    return merge([dict(r.detail or {}) for r in rows])
