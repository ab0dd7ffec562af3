"""Timers on the business clock, retries of unavailable services, and shared workers."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from bpmn import registry, runner
from bpmn.deployments import deploy_bundled
from domain.clock import service as clock
from domain.credit.models import CreditReport
from domain.db import is_postgres
from domain.errors import UnavailableError
from domain.process.models import ProcessInstance, ProcessWait, WaitKind, WorkTask
from tests.bpmn.test_runner import _application
from tests.conftest import TODAY


async def _review_waiting(score: int = 680) -> runner.InstanceView:
    """A STANDARD-lane application waiting for a risk officer, with its SLA timer armed."""
    _, data = await _application("120000.00", score=score)
    data["debt_to_income"] = Decimal("0.4")
    await deploy_bundled()
    view = await runner.start(
        "credit_approval", data, business_key=f"application:{data['application_id']}"
    )
    assert [t.element_id for t in view.open_tasks] == ["review_application"]
    return view


async def _move_to(day: date) -> None:
    await clock.set_(day)


async def test_sla_timer_is_due_two_business_days_later_and_fires_once(db: str) -> None:
    view = await _review_waiting()
    [wait] = await ProcessWait.filter(instance_id=view.id)
    assert (wait.kind, wait.element_id) == (WaitKind.TIMER, "review_sla")
    assert clock.local_date(wait.due_at) == TODAY + timedelta(days=2)

    await _move_to(TODAY + timedelta(days=1))
    assert await runner.run_due() == 0
    assert (await WorkTask.get(instance_id=view.id)).status == "OPEN"

    await _move_to(TODAY + timedelta(days=3))
    assert await runner.run_due() == 1
    tasks = {t.element_id: t.status for t in await WorkTask.filter(instance_id=view.id)}
    assert tasks == {"review_application": "CANCELLED", "escalated_review": "OPEN"}
    escalated = await WorkTask.get(instance_id=view.id, element_id="escalated_review")
    assert escalated.candidate_role == "senior_risk_officer"
    assert await ProcessWait.filter(instance_id=view.id).count() == 0
    assert await runner.run_due() == 0  # nothing fires twice


async def test_a_review_done_in_time_disarms_the_timer(db: str) -> None:
    from tests import factories

    view = await _review_waiting()
    officer = await factories.user("ro", ["risk_officer"])
    [review] = view.open_tasks
    await runner.complete_task(review.id, {"decision": "DECLINED"}, user_id=officer.id)
    assert await ProcessWait.filter(instance_id=view.id).count() == 0
    await _move_to(TODAY + timedelta(days=5))
    assert await runner.run_due() == 0
    assert (await ProcessInstance.get(id=view.id)).status == "COMPLETED"


async def test_an_unavailable_service_makes_the_instance_wait_and_retry(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LENDGRAPH_RETRY_FIRST_SECONDS", "0")
    monkeypatch.setenv("LENDGRAPH_RETRY_ATTEMPTS", "3")
    calls: list[int] = []
    real = registry.implementation("credit.pull_report")
    assert real is not None

    async def down(customer_id: int, bureau: str = "SIMULATED") -> Any:
        calls.append(customer_id)
        raise UnavailableError("bureau", "connection refused")

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.pull_report", down)
    _, data = await _application("20000.00")
    data["report_age_days"] = None
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key="application:x")
    assert view.status == "RETRYING"
    assert view.error is not None and "pull_report" in view.error and "attempt 1" in view.error
    [wait] = await ProcessWait.filter(instance_id=view.id)
    assert (wait.kind, wait.attempt) == (WaitKind.RETRY, 1)

    assert await runner.run_due() == 1  # attempt 2, still down
    stored = await ProcessInstance.get(id=view.id)
    assert stored.status == "RETRYING" and "attempt 2" in (stored.error or "")

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.pull_report", real)
    assert await runner.run_due() == 1
    stored = await ProcessInstance.get(id=view.id)
    assert (stored.status, stored.error) == ("RUNNING", None), stored.error
    assert len(calls) == 2
    assert await CreditReport.filter(source="bpmn").count() == 1  # pulled by the third attempt
    assert await WorkTask.filter(instance_id=view.id).count() == 1  # and on to a person


async def test_retries_give_up_visibly(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDGRAPH_RETRY_FIRST_SECONDS", "0")
    monkeypatch.setenv("LENDGRAPH_RETRY_ATTEMPTS", "2")

    async def down(customer_id: int, bureau: str = "SIMULATED") -> Any:
        raise UnavailableError("bureau", "HTTP 503")

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.pull_report", down)
    _, data = await _application("20000.00")
    data["report_age_days"] = None
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key="application:x")
    assert await runner.run_due() == 1
    stored = await ProcessInstance.get(id=view.id)
    assert stored.status == "FAILED"
    assert "HTTP 503" in (stored.error or "") and "gave up after 2 attempts" in (stored.error or "")
    assert await ProcessWait.filter(instance_id=view.id).count() == 0


async def test_concurrent_workers_fire_each_timer_once(db: str) -> None:
    views = [await _review_waiting() for _ in range(6)]
    await _move_to(TODAY + timedelta(days=3))
    counts = await asyncio.gather(*(runner.run_due() for _ in range(3)))
    assert sum(counts) == 6
    for view in views:
        escalated = WorkTask.filter(instance_id=view.id, element_id="escalated_review")
        assert await escalated.count() == 1


async def test_a_killed_workers_claim_is_taken_again(db: str) -> None:
    if not is_postgres(db):
        pytest.skip("row claims by other connections need PostgreSQL")
    view = await _review_waiting()
    await _move_to(TODAY + timedelta(days=3))
    other = await asyncpg.connect(db.replace("postgres://", "postgresql://", 1))
    try:
        transaction = other.transaction()
        await transaction.start()  # a worker mid-way through this instance ...
        await other.execute("SELECT id FROM process_instance WHERE id = $1 FOR UPDATE", view.id)
        assert await runner.run_due() == 0  # ... is skipped, not waited for nor doubled
    finally:
        await other.close()  # ... and dies without committing
    assert await runner.run_due() == 1
    assert await WorkTask.filter(instance_id=view.id, element_id="escalated_review").count() == 1


async def test_a_bureau_outage_over_http_waits_then_pulls_when_it_is_back(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.httpfake import Answer, serve

    monkeypatch.setenv("LENDGRAPH_RETRY_FIRST_SECONDS", "0")
    monkeypatch.setenv("LENDGRAPH_BUREAU_ATTEMPTS", "2")
    monkeypatch.setenv("LENDGRAPH_BUREAU_BACKOFF", "0.01")
    monkeypatch.setenv("LENDGRAPH_BUREAU_NAME", "LOCALBUREAU")
    app, data = await _application("20000.00")
    data["report_age_days"] = None
    await deploy_bundled()
    with serve() as server:
        monkeypatch.setenv("LENDGRAPH_BUREAU_URL", server.url)
        server.script = [Answer(status=503)]
        view = await runner.start("credit_approval", data, business_key="application:b")
        assert view.status == "RETRYING", view.error
        assert "credit bureau unavailable: HTTP 503 after 2 attempts" in (view.error or "")
        assert len(server.requests) == 2

        server.script = [Answer(body={"reference": "LB-9", "score": 801, "total_debt": "0"})]
        assert await runner.run_due() == 1
    stored = await ProcessInstance.get(id=view.id)
    assert (stored.status, stored.error) == ("RUNNING", None)
    report = await CreditReport.get(source="bpmn")
    assert (report.bureau, report.score, report.customer_id) == (
        "LOCALBUREAU",
        801,
        app.customer_id,
    )  # type: ignore[attr-defined]
    assert report.details is not None and report.details["reference"] == "LB-9"
