"""An API process killed (kill -9) in the middle of postPayment or completeTask, and the client
replaying the same request on a fresh process: the money is posted once, the task done once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from api.relay import to_global_id
from bpmn import runner
from bpmn.deployments import deploy_bundled
from domain import faults
from domain.access.models import AuditEntry
from domain.application.models import Application, ApplicationStatus
from domain.customer.models import Customer
from domain.loan import service as loans
from domain.loan.models import Contract, Installment, Loan, Payment
from domain.process.models import ProcessInstance, TaskEvent, TaskEventKind, WorkTask
from tests import factories
from tests.api.conftest import GraphQLClient, password_hash
from tests.bpmn.test_runner import _application
from tests.serving import api_process

PAID_AT = "2026-06-15T09:30:00+00:00"  # the business date is 2026-06-15 (tests.conftest.TODAY)
AMOUNT = "6000.00"  # five installments are due; the rest prepays and re-amortizes the others
PAY = """mutation ($loan: ID!, $key: String!) {
  postPayment(input: {loanId: $loan, amount: "6000.00", paidAt: "2026-06-15T09:30:00Z",
                      idempotencyKey: $key}) {
    __typename
    ... on PostPaymentSuccess { duplicate payment { amount paidAt idempotencyKey }
      loan { outstandingPrincipal daysPastDue
             schedule { seq dueDate principalDue interestDue paidAmount status } } }
    ... on UserError { code message } } }"""
COMPLETE = """mutation ($id: ID!, $data: JSON!) { completeTask(input: {taskId: $id, data: $data}) {
    __typename ... on CompleteTaskSuccess { processInstance { status
      tasks { name status } } }
    ... on UserError { code message } } }"""


@contextmanager
def killed_at(url: str, point: str) -> Iterator[str]:
    """An API process that dies with SIGKILL when a request reaches the fault point."""
    with api_process(url, {faults.FAULT_ENV: point}) as base:
        yield base


@asynccontextmanager
async def client(base: str, username: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        gql = GraphQLClient(http)
        await gql.login(username)
        yield gql


async def _dropped(gql: GraphQLClient, query: str, **variables: Any) -> None:
    """Send a request the process dies in: the connection drops, and the process is gone."""
    with pytest.raises(httpx.TransportError):
        await gql(query, **variables)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the listening socket goes when the kernel reaps it
        try:
            await gql.http.get("/healthz")
        except httpx.ConnectError:
            return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    pytest.fail("the API process still answers after the fault point")


async def _schedule(loan_id: int) -> list[tuple[Any, ...]]:
    rows = await Installment.filter(loan_id=loan_id).order_by("seq")
    return [(r.seq, r.due_date, r.principal_due, r.interest_due, r.principal_paid,
             r.interest_paid, r.fee_paid, r.paid_on) for r in rows]  # fmt: skip


async def _books(loan_id: int) -> tuple[Any, ...]:
    """What a user sees of a loan's money: payments, the schedule to the cent, the balances."""
    loan = await Loan.get(id=loan_id)
    payments = await Payment.filter(loan_id=loan_id).values_list("amount", "idempotency_key")
    return (payments, await _schedule(loan_id), loan.outstanding_principal, loan.credit_balance,
            loan.days_past_due, loan.status)  # fmt: skip


async def test_a_payment_killed_mid_post_is_posted_once_when_replayed(db: str) -> None:
    # given three equal loans past due: one paid in the ordinary way, as the yardstick
    await factories.user("teller", ["admin"], password_hash=password_hash())
    owner = await factories.customer(phone="13800007001")
    control, before, after = [await factories.loan(owner, disbursed_on=date(2026, 1, 15))
                              for _ in range(3)]  # fmt: skip
    await loans.post_payment(loan_id=control.id, amount=Decimal(AMOUNT),
                             paid_at=datetime.fromisoformat(PAID_AT), idempotency_key="ctl-1")  # fmt: skip
    expected = await _books(control.id)
    # when the API dies with the allocations written but not committed, and, on another
    # loan, with everything committed but the answer not yet written
    for loan, point in ((before, "payment.before_commit"), (after, "payment.after_commit")):
        with killed_at(db, point) as base:
            async with client(base, "teller") as gql:
                await _dropped(gql, PAY, loan=to_global_id("Loan", loan.id), key=f"k-{loan.id}")
    # then the first left nothing, the second the whole payment
    assert await Payment.filter(loan_id=before.id).count() == 0
    assert await Payment.filter(loan_id=after.id).count() == 1
    # and the client's replays, on a fresh process, post each payment once
    with api_process(db) as base:
        async with client(base, "teller") as gql:
            answers = {
                loan.id: [
                    (await gql.data(PAY, loan=to_global_id("Loan", loan.id), key=f"k-{loan.id}"))[
                        "postPayment"
                    ]
                    for _ in range(2)
                ]
                for loan in (before, after)
            }
    assert [a["duplicate"] for a in answers[before.id]] == [False, True]
    assert [a["duplicate"] for a in answers[after.id]] == [True, True]
    for loan in (before, after):
        first, second = answers[loan.id]
        assert first["__typename"] == second["__typename"] == "PostPaymentSuccess"
        assert {**first, "duplicate": None} == {**second, "duplicate": None}
        assert first["payment"] == {"amount": AMOUNT, "paidAt": "2026-06-15T09:30:00+00:00",
                                    "idempotencyKey": f"k-{loan.id}"}  # fmt: skip
        assert first["loan"]["outstandingPrincipal"] == str(expected[2])
        payments, *rest = await _books(loan.id)
        assert payments == [(Decimal(AMOUNT), f"k-{loan.id}")]
        assert rest == list(expected[1:])  # to the cent, as if posted once


async def _review_waiting() -> tuple[WorkTask, int]:
    """A STANDARD-lane application (score 680) waiting for a risk officer's review."""
    _, data = await _application("120000.00", score=680)
    data["debt_to_income"] = Decimal("0.4")
    await deploy_bundled()
    view = await runner.start("credit_approval", data, business_key=f"application:{data['application_id']}")  # fmt: skip
    [review] = view.open_tasks
    assert review.element_id == "review_application"
    return await WorkTask.get(id=review.id), int(data["application_id"])


async def test_a_task_completion_killed_mid_way_is_done_once_when_replayed(db: str) -> None:
    # given two reviews waiting for a risk officer
    officer = await factories.user("risk", ["risk_officer"], password_hash=password_hash())
    (first, first_app), (second, second_app) = [await _review_waiting() for _ in range(2)]
    revisions = {r.id: (await ProcessInstance.get(id=r.instance_id)).revision  # type: ignore[attr-defined]
                 for r in (first, second)}  # fmt: skip
    approve = {"decision": "APPROVED", "comment": "income verified"}
    # when the API dies with the engine advanced (contract written) but nothing committed,
    # and, for the other, after the commit but before the answer
    for task, point in ((first, "task.before_commit"), (second, "task.after_commit")):
        with killed_at(db, point) as base:
            async with client(base, "risk") as gql:
                await _dropped(gql, COMPLETE, id=to_global_id("Task", task.id), data=approve)
    # then the first review is still open with no contract, the second done with its contract
    assert (await WorkTask.get(id=first.id)).status == "OPEN"
    assert await Contract.filter(application_id=first_app).count() == 0
    assert (await WorkTask.get(id=second.id)).status == "COMPLETED"
    assert await Contract.filter(application_id=second_app).count() == 1
    # and replaying on a fresh process completes the first once, and says the second is done
    with api_process(db) as base:
        async with client(base, "risk") as gql:
            replies = {
                task.id: [
                    (await gql.data(COMPLETE, id=to_global_id("Task", task.id), data=approve))[
                        "completeTask"
                    ]
                    for _ in range(2)
                ]
                for task in (first, second)
            }
    done, again = replies[first.id]
    assert done == {"__typename": "CompleteTaskSuccess", "processInstance": {  # the signature
        "status": "RUNNING", "tasks": [{"name": "Review application", "status": "COMPLETED"}]}}  # fmt: skip
    for task, reply in ((first, again), *((second, r) for r in replies[second.id])):
        assert reply["__typename"] == "ConflictError"
        assert reply["message"].startswith(
            f"task {task.id} (Review application) was already completed by risk at "
        ) and reply["message"].endswith("; nothing was done again")  # fmt: skip
    for task, application_id in ((first, first_app), (second, second_app)):
        instance = await ProcessInstance.get(id=task.instance_id)  # type: ignore[attr-defined]
        assert instance.revision == revisions[task.id] + 1  # the instance advanced once
        assert await Contract.filter(application_id=application_id).count() == 1
        application = await Application.get(id=application_id)
        assert (application.status, application.decision) == (ApplicationStatus.CONTRACTED,
                                                               "APPROVED")  # fmt: skip
        completed = TaskEvent.filter(task_id=task.id, kind=TaskEventKind.COMPLETED)
        assert await completed.count() == 1
        audited = AuditEntry.filter(action="task.complete", object_id=str(task.id))
        assert await audited.count() == 1
        signs = WorkTask.filter(instance_id=instance.id, element_id="sign_contract")
        assert await signs.count() == 1
    assert (await WorkTask.get(id=first.id)).completed_by_id == officer.id
    assert await Customer.all().count() == 2
