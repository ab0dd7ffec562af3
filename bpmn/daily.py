"""The daily work of a business date: each step once, in order, shared by several workers.

Steps: bring delinquency (DPD, buckets) to the date, keep month-end positions (and their
sums by product and bucket), profile every
customer (RFM, risk rating, lifecycle, behaviour tags), start collections for loans now past
due, queue the pre-due reminders, offer limit increases to those who qualify, and send care
messages. A step that works customer by customer is cut into chunks of customer ids
(:mod:`domain.daily.chunks`) that any worker claims with ``FOR UPDATE SKIP LOCKED``: several
workers share one date, each chunk is one transaction done once, a crash leaves the chunk to
the next worker (steps are idempotent), and a chunk that fails is stored FAILED with the
reason and taken again by the next run while the other chunks go on. A step waits for the
steps it reads (``NEEDS``); the others go on. The date is done when every chunk of every step
is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from bpmn import collections, offers, profiling, reminders
from domain.clock import service as clock
from domain.daily import chunks
from domain.daily.chunks import Span
from domain.daily.models import DailyRun, DailyStepStatus
from domain.loan.service import refresh_delinquency
from domain.outreach import care
from domain.reports import snapshots

Step = Callable[[date, Span], Awaitable[dict[str, Any]]]


async def _delinquency(day: date, span: Span) -> dict[str, Any]:
    return {"loans_changed": await refresh_delinquency(day, customers=span)}


async def _month_ends(day: date, span: Span) -> dict[str, Any]:
    return await snapshots.keep_positions(day, span)


async def _month_summaries(day: date, span: Span) -> dict[str, Any]:
    return await snapshots.summarize_missing(day)


async def _collections(day: date, span: Span) -> dict[str, Any]:
    started = await collections.start_for_past_due(limit=10_000_000, customers=span)
    return {"started": len(started)}


async def _reminders(day: date, span: Span) -> dict[str, Any]:
    return await reminders.run(day, customers=span)


async def _care(day: date, span: Span) -> dict[str, Any]:
    return await care.produce(day, customers=span)


async def _offers(day: date, span: Span) -> dict[str, Any]:
    return await offers.run(day, customers=span)


async def _profiles_prepare(day: date, span: Span) -> dict[str, Any]:
    return await profiling.prepare_profiles(day)


async def _profiles(day: date, span: Span) -> dict[str, Any]:
    done = await profiling.profile_chunk(day, span.lo, span.hi if span.hi < chunks.OPEN else None)
    rules: dict[str, Any] = {"rules": done.pop("rules")}
    rules["tag_changes"] = done.pop("rule_tag_changes")
    if failed := done.pop("rule_failures"):
        rules["failed"] = failed  # customers whose rule could not be read: tags kept as were
    return {**done, "tag_rules": rules}


async def _profiles_finish(day: date, span: Span) -> dict[str, Any]:
    return await profiling.finish_profiles(day)


STEPS: tuple[tuple[str, Step], ...] = (
    ("delinquency", _delinquency),
    ("month_ends", _month_ends),  # loan positions of complete months, for roll and cure rates
    ("month_summaries", _month_summaries),  # …summed by product and bucket, once all are kept
    ("profiles_prepare", _profiles_prepare),  # the population's RFM cuts, for every chunk
    ("profiles", _profiles),  # before collections and reminders: they read ratings and tags
    ("profiles_finish", _profiles_finish),  # segment sizes, managers for valuable customers
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
    "month_summaries": ("month_ends",),
    "profiles_prepare": ("delinquency",),
    "profiles": ("delinquency", "profiles_prepare"),
    "profiles_finish": ("profiles",),
    "collections": ("delinquency", "profiles_finish"),
    "reminders": ("delinquency", "profiles_finish"),
    "offers": ("profiles_finish",),
    "care": (),
}
# steps that need the whole portfolio at once: one chunk of everyone
WHOLE = frozenset({"month_summaries", "profiles_prepare", "profiles_finish"})


@dataclass
class DailyReport:
    """What the daily run of a date did (or had done before), step by step."""

    business_date: date
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: bool = False
    busy: bool = False  # other workers hold chunks of this date
    failed: str | None = None  # the first step that failed today, with the reason
    failures: dict[str, str] = field(default_factory=dict)  # every failed step: the reason
    waiting: dict[str, str] = field(default_factory=dict)  # steps left for a failed one


async def _ensure_rows(day: date) -> None:
    for name, _ in STEPS:
        if not await DailyRun.exists(business_date=day, step=name):
            with contextlib.suppress(IntegrityError):  # another worker made it
                await DailyRun.create(business_date=day, step=name)


async def run(
    day: date | None = None,
    *,
    stop: Callable[[], bool] | None = None,
    notify: Callable[[str], None] | None = None,
) -> DailyReport:
    """Do what is left of the date's daily run (the business date by default).

    ``stop`` is asked before each chunk: once it answers True (the worker is shutting down)
    the run ends there, what is left to the next run. ``busy`` says that chunks are in other
    workers' hands: run again shortly to take what they leave (a dead worker's chunk).
    ``notify`` hears, after each chunk this worker did, where its step stands.
    """
    day = day or await clock.get()
    report = DailyReport(day)
    await _ensure_rows(day)
    rows = {r.step: r for r in await DailyRun.filter(business_date=day)}
    for name, step in STEPS:
        if stop is not None and stop():
            report.waiting[name] = "left for the next run: the worker is stopping"
            continue
        blocked = [need for need in NEEDS[name] if need not in report.steps]
        if blocked:
            report.waiting[name] = f"waits for {', '.join(blocked)}"
            continue
        if report.busy and rows[name].status != DailyStepStatus.DONE:
            # a step before it is in other workers' hands: steps go in order, so each
            # customer's messages are queued (and judged under the contact caps) in the same
            # order however many workers share the date
            report.waiting[name] = "waits for the steps before it"
            continue
        if rows[name].status == DailyStepStatus.DONE:
            report.steps[name] = dict(rows[name].detail or {})
            continue
        await _run_step(report, name, step, stop, notify)
    report.done = not report.failures and not report.waiting and not report.busy
    return report


async def _run_step(
    report: DailyReport,
    name: str,
    step: Step,
    stop: Callable[[], bool] | None,
    notify: Callable[[str], None] | None,
) -> None:
    """Take the step's chunks until none is left for this worker, then say where it stands."""
    day = report.business_date
    await chunks.ensure(day, name, whole=name in WHOLE)
    failed: set[int] = set()
    while not (stop is not None and stop()):
        outcome = await chunks.run_next(day, name, step, skip=failed)
        if outcome is None:
            break
        if outcome.error is not None:
            failed.add(outcome.chunk_id)
        if notify is not None:
            notify(f"{day} " + (await chunks.state(day, name, failed)).line(name))
    state = await chunks.state(day, name, failed)
    if state.done == state.total:
        detail = await chunks.details(day, name)
        not_done = Q(status__isnull=True) | Q(status=DailyStepStatus.FAILED)  # NULL: never ran
        await DailyRun.filter(not_done, business_date=day, step=name).update(
            status=DailyStepStatus.DONE, detail=detail, finished_at=datetime.now(UTC)
        )
        report.steps[name] = detail
    elif state.in_flight:
        report.busy = True
        report.waiting[name] = f"{state.in_flight} of {state.total} chunks in other workers' hands"
    elif not state.failed_here:
        report.waiting[name] = "left for the next run: the worker is stopping"
    else:
        error = state.errors[0] if state.errors else "a chunk failed"
        if state.total > 1:
            error = f"{state.failed_here} of {state.total} chunks failed; the first: {error}"
        await DailyRun.filter(business_date=day, step=name).update(
            status=DailyStepStatus.FAILED, detail={"error": error[:2000]},
            finished_at=datetime.now(UTC),
        )  # fmt: skip
        report.failures[name] = error
        report.failed = report.failed or f"{name}: {error}"
