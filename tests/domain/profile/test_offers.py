"""Limit-increase eligibility from the decision table, tagged, offered once a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bpmn import daily, runner
from bpmn.deployments import deploy_bundled
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerTag
from domain.enums import Channel
from domain.interaction.models import Interaction
from domain.loan.models import Installment
from domain.outreach.models import MessagePurpose, OutboxMessage
from domain.process.models import WorkTask
from tests import factories
from tests.conftest import TODAY


async def _payer(name: str, paid: int, late_days: int = 0, **customer: object) -> Customer:
    manager = await factories.user(f"am_{name}", ["account_manager"])
    owner = await factories.customer(name, phone=f"1350000{abs(hash(name)) % 10000:04d}",
                                     account_manager_id=manager.id, **customer)  # fmt: skip
    loan = await factories.loan(owner, disbursed_on=date(2025, 11, 10))  # dues from 12-10
    for row in await Installment.filter(loan_id=loan.id, seq__lte=paid):
        row.paid_on = row.due_date + timedelta(days=late_days)
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
        await row.save()
    await CreditReport.create(customer_id=owner.id, bureau="T", score=790, total_debt=0,
                              pulled_at=datetime.now(UTC))  # fmt: skip
    return owner


async def test_six_on_time_installments_qualify_and_the_manager_is_asked_to_call(db: str) -> None:
    await deploy_bundled()
    good = await _payer("守信", paid=7, preferred_channel=Channel.SMS, consent_sms=True)
    short = await _payer("新近", paid=6)  # 06-10 is unpaid and past due: no streak
    late = await _payer("迟缓", paid=7, late_days=2)  # paid, but late
    report = await daily.run(TODAY)
    assert report.done, report.failed
    assert report.steps["offers"] == {"eligible": 1, "offered": 1}
    tag = await CustomerTag.get(tag__name="LIMIT_INCREASE_ELIGIBLE")
    assert tag.customer_id == good.id  # type: ignore[attr-defined]
    assert tag.explanation.startswith("6+ on-time installments in a row")
    [offer] = await OutboxMessage.filter(purpose=MessagePurpose.OFFER)
    assert offer.customer_id == good.id and "提高借款额度" in offer.body  # type: ignore[attr-defined]
    [task] = await WorkTask.filter(element_id="am_call")
    assert task.candidate_role == "account_manager"
    assert short.id and late.id

    manager = await factories.user("am2", ["account_manager"])
    done = await runner.complete_task(task.id, {"outcome": "DECLINED_RATE"}, user_id=manager.id)
    assert done.status == "COMPLETED"
    call = await Interaction.get(customer_id=good.id)
    assert call.outcome == "OFFER_DECLINED_RATE"
    # the next day: still eligible, but this month's offer was made
    from domain.clock import service as clock

    await clock.set_(TODAY + timedelta(days=1))
    nxt = await daily.run()
    assert nxt.steps["offers"] == {"eligible": 1, "offered": 0}
    rate = await CustomerTag.get(customer_id=good.id, tag__name="RATE_SENSITIVE")
    assert rate.explanation == "declined 1 offer(s) over the rate"
