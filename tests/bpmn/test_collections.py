"""collections.bpmn + collection_strategy.dmn against the database: every strategy's path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bpmn import collections, runner
from bpmn.deployments import deploy_bundled
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel, RiskRating
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.loan import service as loans
from domain.loan.models import Installment, Loan, LoanStatus
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.process.models import ProcessInstance, ProcessWait, WorkTask
from domain.reports.models import CollectionCase
from domain.user.models import User
from tests import factories
from tests.conftest import TODAY


async def _past_due_loan(
    *, disbursed_on: date = date(2026, 5, 10), risk: RiskRating | None = RiskRating.MEDIUM,
    rfm_segment: str | None = None, phone: str = "13800001111",
) -> Loan:  # fmt: skip
    """A loan whose first installment (due 2026-06-10) is unpaid on 2026-06-15: M1."""
    manager = await User.get_or_none(username="am1") or await factories.user(
        "am1", ["account_manager"]
    )
    owner = await factories.customer(
        phone=phone, preferred_channel=Channel.SMS, account_manager_id=manager.id, branch="SH",
    )  # fmt: skip
    await Customer.filter(id=owner.id).update(risk_rating=risk, rfm_segment=rfm_segment)
    loan = await factories.loan(owner, disbursed_on=disbursed_on)
    await loans.refresh_delinquency(TODAY)
    return await Loan.get(id=loan.id)


async def _collectors() -> list[User]:
    return [
        await factories.user("col1", ["collector"], branch="SH"),
        await factories.user("col2", ["collector"], branch="SH"),
    ]


async def _start(loan: Loan) -> runner.InstanceView:
    await deploy_bundled()
    [view] = await collections.start_for_past_due()
    assert view.business_key == f"loan:{loan.id}"
    return view


async def _open(instance_id: int) -> list[WorkTask]:
    return list(await WorkTask.filter(instance_id=instance_id, status__in=("OPEN", "CLAIMED")))


async def _complete(task: WorkTask, data: dict[str, Any]) -> runner.InstanceView:
    users = [u for u in await User.all() if task.candidate_role in (u.roles or [])]
    user = users[0] if users else await factories.user(f"u_{task.id}", [str(task.candidate_role)])
    return await runner.complete_task(task.id, data, user_id=user.id)


async def _pay_overdue(loan: Loan) -> None:
    due = await Installment.filter(loan_id=loan.id, due_date__lt=await clock.get(), paid_on=None)
    amount = sum((i.principal_due + i.interest_due for i in due), Decimal("0"))
    await loans.post_payment(
        loan_id=loan.id, amount=amount, paid_at=await clock.now(), idempotency_key=f"pay-{loan.id}"
    )
    await loans.refresh_delinquency(await clock.get())


async def test_a_past_due_loan_gets_one_collections_instance(db: str) -> None:
    loan = await _past_due_loan()
    assert (loan.bucket, loan.days_past_due) == ("M1", 5)
    await _collectors()
    view = await _start(loan)
    assert view.status == "RUNNING", view.error
    [case] = await CollectionCase.all()  # the dashboard counts contacts and cures by strategy
    assert (case.loan_id, case.instance_id, case.strategy, case.bucket) == (  # type: ignore[attr-defined]
        loan.id,
        view.id,
        view.data["strategy"],
        "M1",
    )
    assert await collections.start_for_past_due() == []  # not twice
    current = await factories.customer("current", phone="13800002222")
    await factories.loan(current, disbursed_on=date(2026, 6, 1))  # first due 07-01: current
    await loans.refresh_delinquency(TODAY)
    assert await collections.start_for_past_due() == []


async def test_standard_strategy_reminds_assigns_and_offers_a_collector_call(db: str) -> None:
    loan = await _past_due_loan()
    first, _ = await _collectors()
    view = await _start(loan)
    [reminder] = await OutboxMessage.filter(loan_id=loan.id)
    assert (reminder.purpose, reminder.status, reminder.channel) == (
        MessagePurpose.COLLECTION, MessageStatus.QUEUED, Channel.SMS,
    )  # fmt: skip
    assert "逾期 5 天" in reminder.body and reminder.dedupe_key.startswith(
        f"process:{view.id}:remind:"
    )
    assert (await Loan.get(id=loan.id)).collector_id == first.id  # type: ignore[attr-defined]
    [call] = await _open(view.id)
    assert (call.element_id, call.candidate_role) == ("collection_call", "collector")


async def test_a_payment_while_a_promise_is_pending_cures_the_loan_and_ends_the_process(
    db: str,
) -> None:
    loan = await _past_due_loan()
    await _collectors()
    view = await _start(loan)
    [call] = await _open(view.id)
    promised_on = (TODAY + timedelta(days=3)).isoformat()
    after = await _complete(call, {"outcome": "PROMISED", "promise_date": promised_on,
                                   "promise_amount": "1066.19", "note": "will pay Thursday"})  # fmt: skip
    assert after.status == "RUNNING"
    promise = await Interaction.get(loan_id=loan.id)
    assert (promise.outcome, promise.promise_date) == ("PROMISE_TO_PAY", TODAY + timedelta(days=3))
    assert promise.agent_id is not None  # type: ignore[attr-defined]
    waits = await ProcessWait.filter(instance_id=view.id)
    assert [w.element_id for w in waits] == ["promise_due"]

    await clock.set_(TODAY + timedelta(days=2))
    await _pay_overdue(loan)
    [delivered] = await runner.correlate_message("payment_received", f"loan:{loan.id}",
                                                 {"amount": "1066.19"})  # fmt: skip
    assert delivered.status == "COMPLETED"
    stored = await ProcessInstance.get(id=view.id)
    assert stored.state is not None and stored.state["data"]["loan_status"]["cured"] is True
    assert await ProcessWait.filter(instance_id=view.id).count() == 0


async def test_a_broken_promise_is_checked_the_day_after_and_collection_goes_on(db: str) -> None:
    loan = await _past_due_loan()
    await _collectors()
    view = await _start(loan)
    [call] = await _open(view.id)
    await _complete(call, {"outcome": "PROMISED", "promise_date": "2026-06-17",
                           "promise_amount": "500.00"})  # fmt: skip
    await clock.set_(date(2026, 6, 17))
    assert await runner.run_due() == 0  # checked at 09:00 local the day after the promise
    await clock.set_(date(2026, 6, 18))
    await loans.refresh_delinquency(await clock.get())
    assert await runner.run_due() == 1
    stored = await ProcessInstance.get(id=view.id)
    assert stored.status == "RUNNING" and stored.state is not None
    assert stored.state["data"]["promise"] == {"kept": False, "paid": "0.00"}
    [again] = await _open(view.id)
    assert again.element_id == "collection_call" and again.id != call.id
    promise = await Interaction.get(loan_id=loan.id, outcome="PROMISE_TO_PAY")
    assert promise.promise_amount == Decimal("500.00")


async def test_no_answer_waits_five_days_then_calls_again(db: str) -> None:
    loan = await _past_due_loan()
    await _collectors()
    view = await _start(loan)
    [call] = await _open(view.id)
    await _complete(call, {"outcome": "NO_ANSWER"})
    [wait] = await ProcessWait.filter(instance_id=view.id)
    assert wait.element_id == "cadence"
    assert clock.local_date(wait.due_at) == TODAY + timedelta(days=5)
    await clock.set_(TODAY + timedelta(days=4))
    assert await runner.run_due() == 0
    await clock.set_(TODAY + timedelta(days=5))
    await loans.refresh_delinquency(await clock.get())
    assert await runner.run_due() == 1
    [again] = await _open(view.id)
    assert again.element_id == "collection_call" and again.id != call.id
    reminders = await OutboxMessage.filter(loan_id=loan.id).order_by("id")
    assert len(reminders) == 2 and "逾期 10 天" in reminders[1].body


async def test_valuable_low_risk_customers_get_a_gentle_reminder_and_their_managers_call(
    db: str,
) -> None:
    loan = await _past_due_loan(risk=RiskRating.LOW, rfm_segment="CHAMPIONS")
    await _collectors()
    view = await _start(loan)
    [reminder] = await OutboxMessage.filter(loan_id=loan.id)
    assert "可能是一时疏忽" in reminder.body
    [call] = await _open(view.id)
    assert (call.element_id, call.candidate_role) == ("courtesy_call", "account_manager")
    assert (await Loan.get(id=loan.id)).collector_id is None  # type: ignore[attr-defined]


async def test_calls_over_the_weekly_cap_are_not_offered(db: str) -> None:
    loan = await _past_due_loan()
    await _collectors()
    now = await clock.now()
    for n in range(7):
        await Interaction.create(
            customer_id=loan.customer_id, loan_id=loan.id, channel=InteractionChannel.PHONE,  # type: ignore[attr-defined]
            direction=Direction.OUTBOUND, type=InteractionType.CALL,
            occurred_at=now - timedelta(days=n % 6, hours=n + 1),
        )  # fmt: skip
    view = await _start(loan)
    assert await _open(view.id) == []  # no call task: the cap holds
    [reminder] = await OutboxMessage.filter(loan_id=loan.id)
    assert reminder.status == MessageStatus.DEFERRED  # the reminder counts against it too
    [wait] = await ProcessWait.filter(instance_id=view.id)
    assert wait.element_id == "cadence"
    [case] = await CollectionCase.all()  # resting at the timer, the case still has its strategy
    assert case.strategy == "STANDARD"


async def test_from_m3_a_field_visit_and_legal_review_can_write_the_loan_off(db: str) -> None:
    loan = await _past_due_loan(disbursed_on=date(2026, 2, 10))  # first due 03-10: 97 days
    assert loan.bucket == "M4"
    await _collectors()
    await factories.user("senior", ["senior_risk_officer"])
    view = await _start(loan)
    [visit] = await _open(view.id)
    assert (visit.element_id, visit.candidate_role) == ("field_visit", "collector")
    await _complete(visit, {"outcome": "REFUSED", "note": "refused to talk"})
    [review] = await _open(view.id)
    assert (review.element_id, review.candidate_role) == ("legal_review", "senior_risk_officer")
    done = await _complete(review, {"legal_decision": "WRITE_OFF"})
    assert done.status == "COMPLETED"
    written = await Loan.get(id=loan.id)
    assert written.status == LoanStatus.CHARGED_OFF
    visit_row = await Interaction.get(loan_id=loan.id)
    assert (visit_row.type, visit_row.outcome) == ("VISIT", "REFUSED_TO_PAY")
    assert await collections.start_for_past_due() == []  # written off: not collected again


async def test_every_strategy_row_of_the_table(db: str) -> None:
    from bpmn import validation
    from bpmn.deployments import BUNDLED

    bundle = validation.deploy_check(
        (BUNDLED / "collections.bpmn").read_bytes(),
        [(BUNDLED / "collection_strategy.dmn").read_bytes()],
    )
    assert bundle.process_ids == ["collections"]
    cases = {
        ("M1", "LOW", "HIGH"): ("GENTLE", "P5D"),
        ("M1", "MEDIUM", "HIGH"): ("GENTLE", "P5D"),
        ("M1", "HIGH", "HIGH"): ("STANDARD", "P5D"),
        ("M1", None, "MEDIUM"): ("STANDARD", "P5D"),
        ("M2", "LOW", "HIGH"): ("GENTLE", "P3D"),
        ("M2", "MEDIUM", "HIGH"): ("INTENSIVE", "P3D"),
        ("M2", "LOW", "LOW"): ("INTENSIVE", "P3D"),
        ("M3", "LOW", "HIGH"): ("LEGAL", "P7D"),
        ("M7", None, "LOW"): ("LEGAL", "P7D"),
    }
    for (bucket, risk, value), expected in cases.items():
        data = {"loan_id": 1, "customer_id": 1, "bucket": bucket, "risk_rating": risk,
                "value_segment": value}  # fmt: skip
        seen = _strategy(bundle, data)
        assert seen == expected, (bucket, risk, value, seen)
    assert datetime.now(UTC)


def _strategy(bundle: Any, data: dict[str, Any]) -> tuple[str, str]:
    from bpmn import engine

    calls: list[str] = []

    def services(name: str, args: dict[str, Any]) -> Any:
        calls.append(name)
        if name == "contact.check":
            return {"allowed": False, "reason": "test", "next_at": None}
        return {"message_id": 1, "status": "QUEUED", "reason": None, "collector_id": None}

    handle = engine.new_workflow(
        bundle, "collections", engine.make_engine(service_handler=services), data
    )
    engine.run_engine_steps(handle)
    for task in handle._workflow.get_tasks():
        if task.task_spec.bpmn_id == "decide_strategy" and "strategy" in task.data:
            return task.data["strategy"], task.data["wait"]
    raise AssertionError("no strategy decided")


async def test_legal_review_may_continue_collecting_on_a_weekly_cadence(db: str) -> None:
    loan = await _past_due_loan(disbursed_on=date(2026, 3, 10))  # first due 04-10: 66 days
    assert loan.bucket == "M3"
    await _collectors()
    await factories.user("senior", ["senior_risk_officer"])
    view = await _start(loan)
    [visit] = await _open(view.id)
    await _complete(visit, {"outcome": "NO_ANSWER"})
    [review] = await _open(view.id)
    after = await _complete(review, {"legal_decision": "LEGAL_ACTION", "note": "file the claim"})
    assert after.status == "RUNNING"
    [wait] = await ProcessWait.filter(instance_id=view.id)
    assert (wait.element_id, clock.local_date(wait.due_at)) == (
        "cadence",
        TODAY + timedelta(days=7),
    )
    assert (await Loan.get(id=loan.id)).status == LoanStatus.ACTIVE


async def test_at_night_nobody_is_asked_to_call_and_the_reminder_waits_for_morning(
    db: str,
) -> None:
    from datetime import time

    loan = await _past_due_loan(risk=RiskRating.LOW, rfm_segment="CHAMPIONS")
    await clock.set_(TODAY, pinned_time=time(22, 0))
    view = await _start(loan)
    assert await _open(view.id) == []  # not even the account manager's courtesy call
    [reminder] = await OutboxMessage.filter(loan_id=loan.id)
    assert reminder.status == MessageStatus.DEFERRED
    assert clock.local_date(reminder.scheduled_at) == TODAY + timedelta(days=1)
    [case] = await CollectionCase.all()
    assert case.strategy == "GENTLE"


async def test_cases_started_at_night_carry_the_strategy_the_table_gives_once_per_kind(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: past-due loans of three kinds, started at night (no call allowed: every
    # instance but the field visits rests at its cadence timer)
    from datetime import time

    from bpmn import engine

    kinds = {  # disbursed on, risk, RFM segment: the strategy the table gives
        (date(2026, 5, 10), RiskRating.MEDIUM, None): "STANDARD",
        (date(2026, 5, 10), RiskRating.LOW, "CHAMPIONS"): "GENTLE",
        (date(2026, 2, 10), RiskRating.HIGH, None): "LEGAL",
    }
    expected = {}
    for n in range(9):
        (disbursed, risk, segment), strategy = list(kinds.items())[n % 3]
        loan = await _past_due_loan(disbursed_on=disbursed, risk=risk, rfm_segment=segment,
                                    phone=f"138000{n:05d}")  # fmt: skip
        expected[loan.id] = strategy
    await clock.set_(TODAY, pinned_time=time(22, 0))
    await deploy_bundled()
    evaluations = []
    real = engine.evaluate

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        evaluations.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "evaluate", counting)
    # when
    views = await collections.start_for_past_due()
    # then
    assert len(views) == 9 and all(v.status == "RUNNING" for v in views)
    cases = await CollectionCase.all().values_list("loan_id", "strategy")
    assert dict(cases) == expected
    assert len(evaluations) <= len(kinds)  # once per kind at most, never once per loan
    waits = await ProcessWait.filter(element_id="cadence").count()
    assert waits == 6
