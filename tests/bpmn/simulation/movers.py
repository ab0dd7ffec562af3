"""Borrowers in two RFM segments and two risk ratings, and a limit-increase draft that moves
known ones in and out; the comments give each one's eligibility under both tables.

The shipped table: eligible with 6+ installments in a row paid on time, no DPD in 12 months,
risk LOW or MEDIUM. The draft: 3+ on time, risk LOW only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.customer.models import Customer
from domain.loan.models import Installment, Loan
from tests import factories
from tests.bpmn.simulation.history import PROCESSES

DAY = date(2026, 6, 15)
LIMIT_BPMN = (PROCESSES / "limit_increase.bpmn").read_text()
LIMIT = (PROCESSES / "limit_increase.dmn").read_text()
DRAFT_LIMIT = (
    LIMIT.replace("<text>&gt;= 6</text>", "<text>&gt;= 3</text>")
    .replace("<text>&lt; 6</text>", "<text>&lt; 3</text>")
    .replace('<text>? in ("LOW", "MEDIUM")</text>', '<text>"LOW"</text>')
)
# key: segment, rating, installments paid on time in a row by DAY, exposure
BORROWERS = {
    "c1": ("CHAMPIONS", "LOW", 4, "1000.10"),  # out -> in (3+ now): ENTERS
    "c2": ("CHAMPIONS", "LOW", 6, "2000.00"),  # in under both
    "c3": ("CHAMPIONS", "MEDIUM", 6, "3000.30"),  # in -> out (MEDIUM no longer): LEAVES
    "c4": ("CHAMPIONS", "LOW", 5, "800.08"),  # out -> in: ENTERS
    "a1": ("AT_RISK", "LOW", 3, "4000.40"),  # out -> in: ENTERS
    "a2": ("AT_RISK", "LOW", 0, "5000.00"),  # out under both (nothing due yet)
    "a3": ("AT_RISK", "MEDIUM", 8, "6000.60"),  # in -> out: LEAVES
    "a4": ("AT_RISK", "MEDIUM", 4, "7000.00"),  # out under both (too few, then MEDIUM)
}


def _disbursed(streak: int) -> date:
    """A disbursement whose monthly installments due by DAY (the 1st of each month) are
    ``streak``: the last is due on 1 June."""
    months = 2026 * 12 + 5 - streak  # 1 June 2026 minus ``streak`` months
    return date(months // 12, months % 12 + 1, 1)


async def seed() -> dict[str, int]:
    """The borrowers, each with one loan paid on time so far; their customer ids by key."""
    found: dict[str, int] = {}
    for key, (segment, rating, streak, exposure) in BORROWERS.items():
        owner = await factories.customer(f"借款人{key}")
        await Customer.filter(id=owner.id).update(risk_rating=rating, rfm_segment=segment)
        loan = await factories.loan(owner, term=12, disbursed_on=_disbursed(streak))
        await Loan.filter(id=loan.id).update(outstanding_principal=Decimal(exposure))
        due = await Installment.filter(loan_id=loan.id, due_date__lte=DAY)
        assert len(due) == streak, (key, [i.due_date for i in due])
        for installment in due:
            installment.paid_on = installment.due_date
            await installment.save(update_fields=["paid_on"])
        found[key] = owner.id
    return found
