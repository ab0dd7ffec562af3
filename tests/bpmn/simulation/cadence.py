"""Hand-built installments and a draft of reminder_cadence.dmn to simulate on them.

The window is 1 to 10 June 2026. A reminder ``d`` days before a due date is weighed on
``due - d``; each installment's comment gives its days in the window and what the shipped
table (T-7, T-3, T-1; T-5 and T-2 too for habitual late payers) and the draft (T-10 added for
HIGH risk, T-2 dropped for habitual late payers) say on them. The tests write the expected
confusion table and movements out by hand from these comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.customer.models import Customer, CustomerTag, Tag
from domain.loan.models import Installment, Loan, LoanStatus
from domain.outreach.reminders import LATE_TAG
from tests import factories
from tests.bpmn.simulation.history import PROCESSES

START, END = date(2026, 6, 1), date(2026, 6, 10)
REMINDERS_BPMN = (PROCESSES / "pre_due_reminders.bpmn").read_text()
_RULES_START = "      <rule id="
_RULES_END = "    </decisionTable>"
_CADENCE = (PROCESSES / "reminder_cadence.dmn").read_text()


def _rule(key: str, days: str, late: str, rating: str, remind: str, reason: str) -> str:
    entries = "".join(
        f'\n        <inputEntry id="draft_{key}_{n}"><text>{text}</text></inputEntry>'
        for n, text in enumerate((days, late, rating, ""))
    )
    return (
        f'      <rule id="draft_{key}">{entries}\n'
        f'        <outputEntry id="draft_{key}_remind"><text>{remind}</text></outputEntry>\n'
        f'        <outputEntry id="draft_{key}_reason"><text>"{reason}"</text></outputEntry>\n'
        "      </rule>\n"
    )


# the draft: T-7, T-3, T-1 for everyone; T-5 (no longer T-2) for habitual late payers; T-10
# for HIGH risk
DRAFT_RULES = "".join((
    _rule("everyone", "? in (7, 3, 1)", "", "", "True", "every borrower: 7, 3 and 1 days"),
    _rule("late", "5", "True", "", "True", "habitually late payers: also 5 days before"),
    _rule("punctual", "5", "? is not True", "", "False", "punctual payers: not 5 days before"),
    _rule("high", "10", "", '"HIGH"', "True", "high risk: also 10 days before"),
    _rule("not_high", "10", "", '? != "HIGH"', "False", "10 days before: high risk only"),
    _rule("other", "? not in (10, 7, 5, 3, 1)", "", "", "False", "no reminder on this day"),
))  # fmt: skip
DRAFT_CADENCE = (
    _CADENCE[: _CADENCE.index(_RULES_START)] + DRAFT_RULES + _CADENCE[_CADENCE.index(_RULES_END) :]
)


@dataclass
class Seeded:
    """The loan and customer of each installment, by the key the comments use."""

    loans: dict[str, int]
    customers: dict[str, int]


async def _customer(name: str, segment: str, rating: str, *, late: bool = False) -> int:
    owner = await factories.customer(name)
    await Customer.filter(id=owner.id).update(rfm_segment=segment, risk_rating=rating)
    if late:
        tag, _ = await Tag.get_or_create(name=LATE_TAG)
        await CustomerTag.create(customer_id=owner.id, tag_id=tag.id)
    return owner.id


async def _loan(owner: int, disbursed: date, *installments: tuple[date, str, str, str]) -> int:
    """A loan whose schedule is the installments given: (due, principal, interest, fee)."""
    loan = await factories.loan(await Customer.get(id=owner), disbursed_on=disbursed)
    await Installment.filter(loan_id=loan.id).delete()
    for seq, (due, principal, interest, fee) in enumerate(installments, start=1):
        await Installment.create(
            loan_id=loan.id, seq=seq, due_date=due, principal_due=Decimal(principal),
            interest_due=Decimal(interest), fee_due=Decimal(fee),
        )  # fmt: skip
    return loan.id


async def seed() -> Seeded:
    """Four borrowers in two segments and two ratings, one of them a habitual late payer."""
    early = date(2026, 1, 15)
    a = await _customer("提醒甲", "CHAMPIONS", "LOW")
    b = await _customer("提醒乙", "CHAMPIONS", "HIGH")
    c = await _customer("提醒丙", "AT_RISK", "HIGH", late=True)
    d = await _customer("提醒丁", "AT_RISK", "LOW")
    loans = {
        # a1 due 12 June (1,000.11): days 11..2; 7 and 3 under both; a2 due 12 July: its first
        # day (T-31) is 11 June, past the window; a3 due 12 May, paid: before the window
        "a": await _loan(a, early, (date(2026, 6, 12), "800.00", "200.10", "0.01"),
                         (date(2026, 7, 12), "800.00", "200.10", "0.01"),
                         (date(2026, 5, 12), "800.00", "200.10", "0.01")),
        # f1 due 9 June, unpaid, but its loan is CLOSED with no closing day: left out
        "f": await _loan(a, early, (date(2026, 6, 9), "100.00", "0.00", "0.00")),
        # b1 due 15 June (2,000.22): days 14..5; 7 under both, 10 under the draft (HIGH)
        "b": await _loan(b, early, (date(2026, 6, 15), "1900.00", "100.20", "0.02")),
        # e1 due 13 June (500.05), its loan charged off on 3 June: days 12..10 (1 to 3 June);
        # 10 under the draft only
        "e": await _loan(b, early, (date(2026, 6, 13), "500.00", "0.05", "0.00")),
        # c1 due 8 June (3,000.33), a late payer: days 7..1; 7, 5, 3, 2, 1 in force, the
        # draft drops 2; c2 due 20 June (3,100.31): days 19..10, 10 under the draft only
        "c": await _loan(c, early, (date(2026, 6, 8), "3000.00", "0.33", "0.00"),
                         (date(2026, 6, 20), "3000.00", "100.30", "0.01")),
        # d1 due 11 June (4,000.44), paid early on 5 June: days 10..6 only (1 to 5 June), 7
        # under both (its T-3 and T-1 fall after the payment); LOW: no T-10
        "d": await _loan(d, early, (date(2026, 6, 11), "4000.00", "0.44", "0.00")),
        # g1 due 5 July (600.06) of a loan disbursed on 5 June: days 30..25 (5 to 10 June)
        "g": await _loan(d, date(2026, 6, 5), (date(2026, 7, 5), "600.00", "0.06", "0.00")),
    }  # fmt: skip
    await Installment.filter(loan_id=loans["a"], seq=3).update(paid_on=date(2026, 5, 12))
    await Loan.filter(id=loans["f"]).update(status=LoanStatus.CLOSED, closed_on=None)
    await Loan.filter(id=loans["e"]).update(
        status=LoanStatus.CHARGED_OFF, closed_on=date(2026, 6, 3)
    )
    await Installment.filter(loan_id=loans["d"]).update(paid_on=date(2026, 6, 5))
    return Seeded(loans, {"a": a, "b": b, "c": c, "d": d})
