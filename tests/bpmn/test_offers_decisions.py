"""The offers' decision, taken once per combination of its inputs and kept across chunks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bpmn import offers
from bpmn.deployments import BUNDLED, deploy, deploy_bundled
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerTag
from domain.daily.chunks import EVERYONE, Span
from domain.enums import RiskRating
from domain.loan.models import Installment
from domain.process.models import ProcessInstance
from tests import factories
from tests.conftest import TODAY


async def _payer(name: str, paid: int) -> Customer:
    """A LOW-risk borrower with dues from 2025-12-10, the first ``paid`` paid on time."""
    owner = await factories.customer(name, phone=f"1370000{abs(hash(name)) % 10000:04d}")
    await Customer.filter(id=owner.id).update(risk_rating=RiskRating.LOW)
    loan = await factories.loan(owner, disbursed_on=date(2025, 11, 10))
    for row in await Installment.filter(loan_id=loan.id, seq__lte=paid):
        row.paid_on = row.due_date
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
        await row.save()
    await CreditReport.create(customer_id=owner.id, bureau="T", score=790, total_debt=0,
                              pulled_at=datetime.now(UTC))  # fmt: skip
    return owner


async def _eligible() -> set[int]:
    rows = CustomerTag.filter(tag__name=offers.TAG).values_list("customer_id", flat=True)
    return {int(c) for c in await rows}  # type: ignore[call-overload]


async def test_chunks_decide_as_one_run_does(db: str) -> None:
    # given: alike borrowers on both sides of a chunk boundary, and one who falls short
    await deploy_bundled()
    first = await _payer("甲", paid=7)
    second = await _payer("乙", paid=7)
    short = await _payer("丙", paid=5)
    # when: the first chunk decides, the second reuses its answer
    one = await offers.run(TODAY, customers=Span(0, second.id))
    two = await offers.run(TODAY, customers=Span(second.id, EVERYONE.hi))
    # then
    assert (one, two) == ({"eligible": 1, "offered": 1}, {"eligible": 1, "offered": 1})
    assert await _eligible() == {first.id, second.id}
    assert short.id not in await _eligible()
    keys = await ProcessInstance.all().order_by("id").values_list("business_key", flat=True)
    assert keys == [f"limit:{first.id}:2026-06", f"limit:{second.id}:2026-06"]


async def test_an_edited_table_decides_the_next_run(db: str) -> None:
    # given: a borrower with seven on-time installments, eligible under the bundled table
    await deploy_bundled()
    payer = await _payer("丁", paid=7)
    assert await offers.run(TODAY) == {"eligible": 1, "offered": 1}
    # when: an analyst asks for eight in a row
    table = (BUNDLED / "limit_increase.dmn").read_text()
    stricter = table.replace("&gt;= 6", "&gt;= 8").replace("&lt; 6", "&lt; 8")
    assert stricter != table
    await deploy((BUNDLED / "limit_increase.bpmn").read_bytes(), [stricter.encode()],
                 deployed_by="analyst")  # fmt: skip
    # then: the answer kept for the old version is not used
    assert await offers.run(TODAY + timedelta(days=1)) == {"eligible": 0, "offered": 0}
    assert payer.id not in await _eligible()
