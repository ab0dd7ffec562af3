"""The daily work of a business date: each step once, in order, safe with several workers.

Steps: bring delinquency (DPD, buckets) to the date, profile every customer (RFM, risk
rating, lifecycle, behaviour tags), start collections for loans now past due, queue the
pre-due reminders, and offer limit increases to those who qualify. Each step runs in a
transaction holding its ``daily_run`` row, so it is done once; a crash leaves it to the next
run (steps are idempotent); a step that fails is stored FAILED with the reason and retried by
the next run, while the steps that do not need it go on (``NEEDS``); a worker that finds a
step in another worker's hands stops and leaves the rest of the date to that worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bpmn import collections, offers, ratings, tag_rules
from domain import faults
from domain.clock import service as clock
from domain.daily.models import DailyRun, DailyStepStatus
from domain.loan.service import refresh_delinquency
from domain.outreach import care, reminders
from domain.profile import assignment, segments
from domain.profile import service as profiles
from domain.reports import snapshots

Step = Callable[[date], Awaitable[dict[str, Any]]]


async def _delinquency(day: date) -> dict[str, Any]:
    return {"loans_changed": await refresh_delinquency(day)}


async def _month_ends(day: date) -> dict[str, Any]:
    return await snapshots.ensure(day)


async def _collections(day: date) -> dict[str, Any]:
    started = await collections.start_for_past_due(limit=1_000_000)
    return {"started": len(started)}


async def _reminders(day: date) -> dict[str, Any]:
    return await reminders.produce(day)


async def _care(day: date) -> dict[str, Any]:
    return await care.produce(day)


async def _offers(day: date) -> dict[str, Any]:
    return await offers.run(day)


async def _profiles(day: date) -> dict[str, Any]:
    done: dict[str, Any] = {**await profiles.apply(day, await ratings.compute(day))}
    faults.reach("daily.profiles.rated")  # ratings and labels written, tags not yet
    done["tag_rules"] = await tag_rules.apply(day)  # over today's labels and system tags
    return {**done, **await segments.refresh(day), **await assignment.assign(day)}


STEPS: tuple[tuple[str, Step], ...] = (
    ("delinquency", _delinquency),
    ("month_ends", _month_ends),  # loan positions of complete months, for roll and cure rates
    ("profiles", _profiles),  # before collections and reminders: they read ratings and tags
    ("collections", _collections),
    ("reminders", _reminders),
    ("offers", _offers),
    ("care", _care),
)
# what each step reads from the steps before it: a step waits while one of these is not done
# today, and the others go on (retiring limit_increase stops offers, not care)
NEEDS: dict[str, tuple[str, ...]] = {
    "delinquency": (),
    "month_ends": ("delinquency",),
    "profiles": ("delinquency",),
    "collections": ("delinquency", "profiles"),
    "reminders": ("delinquency", "profiles"),
    "offers": ("profiles",),
    "care": (),
}


@dataclass
class DailyReport:
    """What the daily run of a date did (or had done before), step by step."""

    business_date: date
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: bool = False
    busy: bool = False  # another worker holds a step of this date
    failed: str | None = None  # the first step that failed today, with the reason
    failures: dict[str, str] = field(default_factory=dict)  # every failed step: the reason
    waiting: dict[str, str] = field(default_factory=dict)  # steps left for a failed one


async def _ensure_rows(day: date) -> None:
    for name, _ in STEPS:
        if not await DailyRun.exists(business_date=day, step=name):
            with contextlib.suppress(IntegrityError):  # another worker made it
                await DailyRun.create(business_date=day, step=name)


async def run(day: date | None = None, *, stop: Callable[[], bool] | None = None) -> DailyReport:
    """Run the steps of the date not done yet (the business date by default).

    ``stop`` is asked before each step: once it answers True (the worker is shutting down)
    the run ends there, the steps left to the next run.
    """
    day = day or await clock.get()
    report = DailyReport(day)
    await _ensure_rows(day)
    for name, step in STEPS:
        if stop is not None and stop():
            report.waiting[name] = "left for the next run: the worker is stopping"
            continue
        blocked = [need for need in NEEDS[name] if need not in report.steps]
        if blocked:
            report.waiting[name] = f"waits for {', '.join(blocked)}"
            continue
        try:
            async with in_transaction():
                row = await (
                    DailyRun.filter(business_date=day, step=name)
                    .select_for_update(skip_locked=True).first()
                )  # fmt: skip
                if row is None:
                    report.busy = True
                    return report
                if row.status == DailyStepStatus.DONE:
                    report.steps[name] = dict(row.detail or {})
                    continue
                row.started_at = datetime.now(UTC)
                detail = await step(day)
                row.status, row.detail, row.finished_at = (
                    DailyStepStatus.DONE, detail, datetime.now(UTC)
                )  # fmt: skip
                await row.save()
                faults.reach(f"daily.{name}.before_commit")  # all written, nothing committed
                report.steps[name] = detail
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            await DailyRun.filter(business_date=day, step=name).update(
                status=DailyStepStatus.FAILED, detail={"error": error[:2000]},
                finished_at=datetime.now(UTC),
            )  # fmt: skip
            report.failures[name] = error
            report.failed = report.failed or f"{name}: {error}"
    report.done = not report.failures and not report.waiting
    return report
