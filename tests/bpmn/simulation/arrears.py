"""A hand-built arrears history for the collections replay: four loans over 1-10 June 2026.

Contacts are replayed at 10:00 in Shanghai (02:00 UTC). The shipped strategy table gives, in
M1, STANDARD every 5 days (GENTLE for HIGH value and LOW or MEDIUM risk), in M2 INTENSIVE every
3 days (GENTLE for HIGH value and LOW risk); the draft calls STANDARD loans every 3 days and
makes M2 GENTLE for MEDIUM risk too. Each loan's comment gives its cycles on both sides; the
tests write the expected figures out from them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.customer.models import Customer
from domain.loan.models import Installment
from domain.user.models import User
from tests import factories
from tests.bpmn.simulation.portfolio import DRAFT_STRATEGY

FIRST, LAST = date(2026, 6, 1), date(2026, 6, 10)
# the draft: STANDARD calls every 3 days (was 5), and portfolio's GENTLE in M2 for MEDIUM risk
STANDARD_EVERY_3 = DRAFT_STRATEGY.replace(
    '<outputEntry id="rule_standard_wait">\n          <text>"P5D"</text>',
    '<outputEntry id="rule_standard_wait">\n          <text>"P3D"</text>',
)


@dataclass
class Arrears:
    """Ids the tests look for: loans by key, collectors by branch."""

    loans: dict[str, int]
    collectors: dict[str, int]


async def loan(
    key: str, *, branch: str, risk: str, segment: str | None, due: date, paid: date | None,
    **contact: str | None,
) -> int:  # fmt: skip
    """A customer's loan with one installment, due ``due`` and paid ``paid`` (if at all)."""
    owner = await factories.customer(f"逾期{key}")
    await Customer.filter(id=owner.id).update(
        branch=branch, risk_rating=risk, rfm_segment=segment, **contact
    )
    made = await factories.loan(owner, principal="10000.00")
    await Installment.filter(loan_id=made.id).delete()
    await Installment.create(
        loan_id=made.id, seq=1, due_date=due, principal_due=Decimal("800"),
        interest_due=Decimal("100"), paid_on=paid,
    )  # fmt: skip
    return made.id


async def collectors() -> dict[str, int]:
    """A collector in Beijing and one in Shanghai, by branch."""
    found = {}
    for branch in ("BJ", "SH"):
        made = await User.create(
            username=f"collector_{branch.lower()}", roles=["collector"], branch=branch
        )
        found[branch] = made.id
    return found


async def seed() -> Arrears:
    """Two collectors (Beijing, Shanghai) and four loans past due in the window."""
    staff = await collectors()
    loans = {}
    # A (Beijing, MEDIUM risk and value): due 31 May, unpaid; past due from 1 June, M1 ->
    # STANDARD. In force: cycles 1 and 6 June; draft: 1, 4, 7 and 10 June. Each cycle an SMS
    # and a call, by the Beijing collector.
    loans["A"] = await loan("A", branch="BJ", risk="MEDIUM", segment=None,
                             due=date(2026, 5, 31), paid=None)  # fmt: skip
    # B (Shanghai, no phone, an email): due 29 May, paid 5 June; past due 30 May to 4 June,
    # STANDARD, cured on 5 June. In force: cycles 30 May and 4 June; draft: 30 May and
    # 2 June. Each cycle an email; the call is dropped (no phone on file).
    loans["B"] = await loan("B", branch="SH", risk="MEDIUM", segment=None,
                             due=date(2026, 5, 29), paid=date(2026, 6, 5),
                             phone=None, email="b@example.com")  # fmt: skip
    # C (Beijing, in New York: 10:00 in Shanghai is 22:00 there; LOW risk, CHAMPIONS so HIGH
    # value): due 2 June, unpaid; M1 GENTLE every 5 days on both sides: cycles 3 and 8 June.
    # The SMS waits for 08:00 in New York (20:00 in Shanghai, the same day) and is sent then;
    # the call is not made (outside the window).
    loans["C"] = await loan("C", branch="BJ", risk="LOW", segment="CHAMPIONS",
                             due=date(2026, 6, 2), paid=None,
                             time_zone="America/New_York")  # fmt: skip
    # D (Shanghai, MEDIUM risk, CHAMPIONS): due 30 April, paid 8 June; GENTLE in M1 every 5
    # days from 1 May, then on 31 May (31 days, M2) INTENSIVE in force, GENTLE under the
    # draft, every 3 days: cycles 3 and 6 June, cured on 8 June. In force the Shanghai
    # collector calls (given on 31 May); under the draft the account manager does.
    loans["D"] = await loan("D", branch="SH", risk="MEDIUM", segment="CHAMPIONS",
                             due=date(2026, 4, 30), paid=date(2026, 6, 8))  # fmt: skip
    return Arrears(loans, staff)
