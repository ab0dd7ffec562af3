"""bpmn.runner against the database: credit_approval end to end with the real operations."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bpmn import registry, runner
from bpmn.deployments import deploy_bundled
from domain.application import service as applications
from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.credit.models import CreditReport
from domain.db import is_postgres
from domain.errors import ConflictError, ForbiddenError, ValidationError
from domain.loan.models import Contract, Installment, Loan
from domain.process.models import (
    ProcessInstance,
    TaskEvent,
    TaskEventKind,
    WorkTask,
    WorkTaskStatus,
)
from tests import factories

POLICY = {"max_report_age_days": 30, "second_approval_above": Decimal("500000")}


async def _application(amount: str, score: int = 780) -> tuple[Application, dict[str, Any]]:
    await factories.product("PL")
    owner = await factories.customer(
        monthly_income=Decimal("30000"), id_type="OTHER", id_number="TEST-0001"
    )
    await CreditReport.create(
        customer_id=owner.id, bureau="TEST", score=score, pulled_at=datetime.now(UTC)
    )
    app = await applications.submit(
        customer_id=owner.id,
        product_code="PL",
        amount=Decimal(amount),
        term_months=24,
        channel=ApplicationChannel.APP,
    )
    data = {
        **POLICY,
        "application_id": app.id,
        "customer_id": owner.id,
        "amount": app.amount,
        "term_months": 24,
        "product_code": "PL",
        "bureau_score": score,
        "debt_to_income": Decimal("0.20"),
        "worst_dpd_12m": 0,
        "report_age_days": 3,
    }
    return app, data


async def _start(data: dict[str, Any]) -> runner.InstanceView:
    await deploy_bundled()
    return await runner.start(
        "credit_approval", data, business_key=f"application:{data['application_id']}"
    )


async def test_fast_lane_signs_then_disburses_with_a_schedule(db: str) -> None:
    app, data = await _application("20000.00")
    manager = await factories.user("am", ["account_manager"])
    view = await _start(data)
    assert (view.data["lane"], view.data["decision"]) == ("FAST", "APPROVED")
    [sign] = view.open_tasks
    assert (sign.element_id, sign.candidate_role, sign.form) == (
        "sign_contract",
        "account_manager",
        None,
    )
    assert (await Application.get(id=app.id)).status == ApplicationStatus.CONTRACTED
    contract = await Contract.get(application_id=app.id)
    assert (contract.principal, contract.term_months) == (Decimal("20000.00"), 24)
    assert contract.annual_rate == Decimal(str(view.data["annual_rate"]))
    assert await Loan.all().count() == 0

    done = await runner.complete_task(
        sign.id, {}, user_id=manager.id, expected_revision=view.revision
    )
    assert done.status == "COMPLETED" and done.open_tasks == []
    assert done.revision == view.revision + 1
    loan = await Loan.get(contract_id=contract.id)
    assert loan.principal == Decimal("20000.00")
    assert loan.annual_rate == Decimal(str(done.data["annual_rate"]))
    assert await Installment.filter(loan_id=loan.id).count() == 24
    assert (await Application.get(id=app.id)).status == ApplicationStatus.DISBURSED
    assert done.data["disbursement"]["loan_id"] == loan.id
    row = await WorkTask.get(id=sign.id)
    assert (row.status, row.completed_by_id) == (WorkTaskStatus.COMPLETED, manager.id)
    # and the task's events, written with its row: created, then completed, once each
    happened = await TaskEvent.filter(task_id=sign.id).order_by("id")
    assert [(e.kind, e.instance_id) for e in happened] == [  # type: ignore[attr-defined]
        (TaskEventKind.CREATED, view.id), (TaskEventKind.COMPLETED, view.id),
    ]  # fmt: skip


async def test_standard_lane_waits_for_a_risk_officer(db: str) -> None:
    app, data = await _application("120000.00", score=680)
    data["debt_to_income"] = Decimal("0.4")
    officer = await factories.user("ro", ["risk_officer"])
    manager = await factories.user("am", ["account_manager"])
    view = await _start(data)
    [review] = view.open_tasks
    assert (review.element_id, review.candidate_role) == ("review_application", "risk_officer")
    assert await Contract.all().count() == 0

    with pytest.raises(ValidationError) as bad:
        await runner.complete_task(review.id, {"decision": "MAYBE"}, user_id=officer.id)
    assert bad.value.problems[0].field == "decision"
    with pytest.raises(ValidationError) as extra:
        await runner.complete_task(
            review.id, {"decision": "APPROVED", "amount": "9999999"}, user_id=officer.id
        )
    assert extra.value.problems[0].field == "amount"
    with pytest.raises(ForbiddenError):
        await runner.complete_task(review.id, {"decision": "APPROVED"}, user_id=manager.id)
    with pytest.raises(ConflictError):
        await runner.complete_task(
            review.id, {"decision": "APPROVED"}, user_id=officer.id, expected_revision=99
        )

    claimed = await runner.claim_task(review.id, user_id=officer.id)
    assert claimed.status == WorkTaskStatus.CLAIMED
    # restored from the stored state: the review's decision drives the rest of the run
    after = await runner.complete_task(
        review.id, {"decision": "APPROVED", "comment": "fine"}, user_id=officer.id
    )
    [sign] = after.open_tasks
    assert sign.element_id == "sign_contract"
    assert (await Application.get(id=app.id)).status == ApplicationStatus.CONTRACTED
    final = await runner.complete_task(sign.id, {}, user_id=manager.id)
    assert final.status == "COMPLETED"
    assert (await Loan.get(customer_id=app.customer_id)).principal == Decimal("120000.00")


async def test_second_completion_conflicts(db: str) -> None:
    _, data = await _application("20000.00")
    manager = await factories.user("am", ["account_manager"])
    view = await _start(data)
    [sign] = view.open_tasks
    first, second = await asyncio.gather(
        runner.complete_task(sign.id, {}, user_id=manager.id),
        runner.complete_task(sign.id, {}, user_id=manager.id),
        return_exceptions=True,
    )
    outcomes = sorted(type(r).__name__ for r in (first, second))
    assert outcomes == ["ConflictError", "InstanceView"]
    assert await Loan.all().count() == 1
    with pytest.raises(ConflictError):  # and later, once committed
        await runner.complete_task(sign.id, {}, user_id=manager.id)


async def test_service_failure_rolls_back_the_run_and_stores_the_instance_failed(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = await _application("20000.00")
    data["report_age_days"] = None  # pull_report runs first and stores a CreditReport

    async def broken(application_id: int) -> dict[str, Any]:
        raise RuntimeError("scoring service down")

    real = registry.implementation("credit.score_application")
    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.score_application", broken)
    await deploy_bundled()
    reports = await CreditReport.all().count()
    view = await runner.start("credit_approval", data, business_key="x")
    assert view.status == "FAILED"
    assert view.error is not None and view.error.startswith("score_application: ")
    assert "scoring service down" in view.error
    # the run's writes are gone, but for the bureau's answer: on PostgreSQL it is kept on its
    # own (an inquiry is billed), on SQLite it went with the run (one writer per file)
    kept = 1 if is_postgres(db) else 0
    assert await CreditReport.all().count() == reports + kept
    stored = await ProcessInstance.get(id=view.id)
    assert stored.status == "FAILED" and stored.error == view.error

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "credit.score_application", real)
    again = await runner.retry(view.id)
    assert again.status == "RUNNING" and again.error is None
    assert await CreditReport.all().count() == reports + 1  # pulled once, by the retry
    with pytest.raises(ConflictError):
        await runner.retry(view.id)  # a running instance is not retried


async def test_failed_disbursement_keeps_the_signature_and_a_retry_disburses_once(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, data = await _application("20000.00")
    manager = await factories.user("am", ["account_manager"])
    view = await _start(data)
    [sign] = view.open_tasks
    real = registry.implementation("loan.disburse")
    assert real is not None

    async def disburse_then_fail(loan_id: int, amount: Decimal | None = None) -> Any:
        await real(loan_id=loan_id, amount=amount)  # the loan row is written, then ...
        raise RuntimeError("ledger unavailable")

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "loan.disburse", disburse_then_fail)
    failed = await runner.complete_task(sign.id, {}, user_id=manager.id)
    assert failed.status == "FAILED" and "disburse: " in (failed.error or "")
    assert await Loan.all().count() == 0
    assert (await WorkTask.get(id=sign.id)).status == WorkTaskStatus.COMPLETED
    assert (await Application.get(id=app.id)).status == ApplicationStatus.CONTRACTED
    with pytest.raises(ConflictError):
        await runner.complete_task(sign.id, {}, user_id=manager.id)

    monkeypatch.setitem(registry._IMPLEMENTATIONS, "loan.disburse", real)
    done = await runner.retry(view.id)
    assert done.status == "COMPLETED"
    assert await Loan.all().count() == 1
    assert (await Application.get(id=app.id)).status == ApplicationStatus.DISBURSED


async def test_journal_answers_a_repeated_call(db: str) -> None:
    _, data = await _application("20000.00")
    view = await _start(data)
    instance = await ProcessInstance.get(id=view.id)
    assert instance.state is not None
    journal = instance.state["services"]
    assert {key.split(":")[0] for key in journal} == {"score_application", "create_contract"}


def test_form_validation_names_each_field() -> None:
    form = {"decision": ["APPROVED", "DECLINED"], "comment": "text"}
    assert runner.validate_form(form, {"decision": "APPROVED"}) == {"decision": "APPROVED"}
    with pytest.raises(ValidationError) as err:
        runner.validate_form(form, {"comment": 5})
    assert {p.field for p in err.value.problems} == {"decision", "comment"}
    with pytest.raises(ValidationError):
        runner.validate_form(None, {"anything": 1})
