"""`dailyRun(date)`: how far the nightly run of a business date has come, for administrators."""

from __future__ import annotations

from datetime import date
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.access import require
from api.context import Info
from bpmn import daily
from domain.clock import service as clock
from domain.daily import progress


@strawberry.type(description="A chunk of a step that failed; the next run takes it again.")
class DailyChunkFailure:
    customers_from: int = strawberry.field(description="The first customer id of the chunk.")
    customers_to: int = strawberry.field(
        description="Past the last customer id of the chunk (2147483647: no upper bound)."
    )
    error: str
    attempts: int


@strawberry.type(description="One step of a date's daily run.")
class DailyRunStep:
    step: str
    status: str = strawberry.field(description="DONE, FAILED, RUNNING or NOT_STARTED.")
    chunks: int = strawberry.field(description="Ranges of customers the step is cut into.")
    chunks_done: int
    failures: list[DailyChunkFailure]
    seconds: float = strawberry.field(description="Spent on the chunks done, in all workers.")
    workers: int = strawberry.field(description="Workers that did its chunks.")
    estimated_seconds_left: float | None = strawberry.field(
        description="The chunks left at the mean time of those done, for one worker."
    )
    detail: JSON | None = strawberry.field(description="What the step did, once done.")


@strawberry.type(description="The daily run of a business date: its steps in order.")
class DailyRun:
    business_date: date
    done: bool = strawberry.field(description="Every step is done.")
    summary: str = strawberry.field(description="The step under way, its chunks, the estimate.")
    steps: list[DailyRunStep]


async def daily_run_of(day: date) -> DailyRun:
    """The progress of a date's daily run, as `dailyRun` answers it."""
    steps = await progress.progress(day, [name for name, _ in daily.STEPS])
    return DailyRun(
        business_date=day,
        done=all(s.status == "DONE" for s in steps),
        summary=progress.summary(steps),
        steps=[
            DailyRunStep(
                step=s.step, status=s.status, chunks=s.chunks, chunks_done=s.done,
                failures=[DailyChunkFailure(customers_from=f.lo, customers_to=f.hi,
                                            error=f.error, attempts=f.attempts)
                          for f in s.failures],
                seconds=s.seconds, workers=s.workers, estimated_seconds_left=s.estimate,
                detail=cast(JSON, s.detail),
            )
            for s in steps
        ],
    )  # fmt: skip


@strawberry.type
class DailyRunQueries:
    @strawberry.field(
        description="How far the daily run of a date (the business date by default) has come: "
        "chunks done and failed per step, time spent and an estimate. Administrators."
    )
    async def daily_run(self, info: Info, date: date | None = None) -> DailyRun:
        require(info, "daily_jobs", "run")
        return await daily_run_of(date or await clock.get())
