"""`dailyRun(date)` and `runDailyJobs` show the nightly run chunk by chunk: what is done, what
failed and why, and how long the rest should take."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bpmn import daily
from domain.daily.chunks import CHUNK_ENV, Span
from tests import factories
from tests.api.conftest import GraphQLClient

RUN = """mutation { runDailyJobs { __typename ... on RunDailyJobsSuccess {
  done failed progress { done summary steps { step status chunks chunksDone } } } } }"""
PROGRESS = """query ($date: Date) { dailyRun(date: $date) { businessDate done summary steps {
  step status chunks chunksDone seconds workers estimatedSecondsLeft detail
  failures { customersFrom customersTo error attempts } } } }"""


async def _customers(count: int) -> list[int]:
    ids = []
    for n in range(count):
        owner = await factories.customer(f"客户{n}", phone=f"139{n:08d}")
        await factories.loan(owner, disbursed_on=date(2026, 5, 22))
        ids.append(owner.id)
    return ids


async def test_the_run_cut_in_chunks_reports_each_step_done(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHUNK_ENV, "2")
    await _customers(5)  # three chunks of customers: 2, 2 and the open last one
    ran = (await gql.data(RUN))["runDailyJobs"]
    shown = (await gql.data(PROGRESS))["dailyRun"]
    assert ran["done"] is True and ran["failed"] is None
    assert ran["progress"]["summary"] == "every step done"
    steps = {s["step"]: s for s in shown["steps"]}
    assert [s["step"] for s in shown["steps"]] == [name for name, _ in daily.STEPS]
    assert shown["done"] is True and shown["businessDate"] == "2026-06-15"
    assert (steps["delinquency"]["chunks"], steps["delinquency"]["chunksDone"]) == (3, 3)
    assert (steps["month_ends"]["chunks"], steps["month_ends"]["chunksDone"]) == (3, 3)
    summaries = steps["month_summaries"]
    assert (summaries["chunks"], summaries["chunksDone"]) == (1, 1)  # over everyone at once
    assert steps["reminders"]["detail"] == {"queued": 5, "already_queued": 0}  # over 3 chunks
    assert all(s["status"] == "DONE" and s["estimatedSecondsLeft"] == 0 for s in steps.values())
    assert steps["reminders"]["workers"] == 1 and steps["reminders"]["failures"] == []


async def test_a_failed_chunk_is_shown_with_its_customers_and_error_and_taken_again(
    gql: GraphQLClient, shipped_processes: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHUNK_ENV, "2")
    ids = await _customers(5)
    real = dict(daily.STEPS)["reminders"]

    async def flaky(day: date, span: Span) -> dict[str, Any]:
        if span.lo <= ids[2] < span.hi:
            raise RuntimeError("template store offline")
        return await real(day, span)

    monkeypatch.setattr(daily, "STEPS", tuple((n, flaky if n == "reminders" else s)
                                              for n, s in daily.STEPS))  # fmt: skip
    ran = (await gql.data(RUN))["runDailyJobs"]
    shown = (await gql.data(PROGRESS, date="2026-06-15"))["dailyRun"]
    reminders = {s["step"]: s for s in shown["steps"]}["reminders"]
    # then the other chunks are done, the failed one is shown, and the run is not done
    assert ran["done"] is False
    assert ran["failed"] == (
        "reminders: 1 of 3 chunks failed; the first: RuntimeError: template store offline"
    )
    assert (reminders["status"], reminders["chunks"], reminders["chunksDone"]) == ("FAILED", 3, 2)
    [failure] = reminders["failures"]
    assert failure["customersFrom"] <= ids[2] < failure["customersTo"]
    assert failure == {**failure, "error": "RuntimeError: template store offline", "attempts": 1}
    assert shown["summary"] == "reminders: 2/3 chunks, 1 failed, about 0 s left"
    # and once the store is back, the next run takes the failed chunk again, and only it
    monkeypatch.undo()
    monkeypatch.setenv(CHUNK_ENV, "2")
    again = (await gql.data(RUN))["runDailyJobs"]
    steps = {s["step"]: s for s in (await gql.data(PROGRESS))["dailyRun"]["steps"]}
    assert again["done"] is True
    assert steps["reminders"]["detail"] == {"queued": 5, "already_queued": 0}


async def test_only_administrators_see_the_run(gql: GraphQLClient) -> None:
    await gql.as_user("ro", ["risk_officer"])
    body = await gql(PROGRESS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
