"""Profiles from a hand-built portfolio whose right answers are known or computed independently."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bpmn import daily
from bpmn.deployments import deploy_bundled
from domain.credit.models import CreditReport
from domain.customer.models import Customer, CustomerTag
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.loan.models import Installment, Loan, LoanStatus
from domain.profile import lifecycle, rfm
from domain.profile.models import CustomerProfile, ProfileChange
from tests import factories
from tests.conftest import TODAY


async def _pay(loan: Loan, *, count: int, late_days: int = 0) -> None:
    """Mark the first `count` installments paid, `late_days` after (or before) their due date."""
    for row in await Installment.filter(loan_id=loan.id, seq__lte=count).order_by("seq"):
        row.paid_on = row.due_date + timedelta(days=late_days)
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
        await row.save()


async def _borrower(name: str, disbursed: date, paid: int, late: int = 0) -> Customer:
    owner = await factories.customer(name, phone=f"1370000{abs(hash(name)) % 10000:04d}")
    loan = await factories.loan(owner, disbursed_on=disbursed)
    await _pay(loan, count=paid, late_days=late)
    return owner


def _independent_scores(values: dict[int, float], higher_is_better: bool) -> dict[int, int]:
    n = len(values)
    out = {}
    for key, mine in values.items():
        worse = sum(1 for other in values.values()
                    if (other < mine if higher_is_better else other > mine))  # fmt: skip
        out[key] = 1 + (5 * worse) // n
    return out


async def test_rfm_quintiles_match_an_independent_computation(db: str) -> None:
    plan = [("客户A", date(2025, 1, 10), 17), ("客户B", date(2025, 6, 10), 12),
            ("客户C", date(2026, 1, 10), 5), ("客户D", date(2026, 5, 1), 1),
            ("客户E", date(2024, 9, 10), 12), ("客户F", date(2025, 12, 1), 6, 3)]  # fmt: skip
    owners = [await _borrower(*p) for p in plan]  # type: ignore[arg-type]
    result = await rfm.compute(TODAY)
    start = rfm.window_start(TODAY)
    assert start == date(2024, 6, 15)
    recency, frequency, margin = {}, {}, {}
    for owner in owners:
        loans = await Loan.filter(customer_id=owner.id)
        rows = await Installment.filter(loan__customer_id=owner.id, paid_on__isnull=False)
        on_time = [r for r in rows if r.paid_on <= r.due_date and start <= r.paid_on <= TODAY]
        events = [x.disbursed_on for x in loans if start <= x.disbursed_on <= TODAY]
        events += [r.paid_on for r in on_time]
        recency[owner.id] = (TODAY - max(events)).days
        frequency[owner.id] = len(events)
        margin[owner.id] = float(sum((r.interest_paid + r.fee_paid for r in rows
                                      if start <= r.paid_on <= TODAY), Decimal(0)))  # fmt: skip
    r = _independent_scores(recency, higher_is_better=False)
    f = _independent_scores(frequency, higher_is_better=True)
    m = _independent_scores(margin, higher_is_better=True)
    for owner in owners:
        mine = result[owner.id]
        assert (mine.recency_days, mine.frequency) == (recency[owner.id], frequency[owner.id])
        assert (mine.r, mine.f, mine.m) == (r[owner.id], f[owner.id], m[owner.id]), owner.name
        assert mine.segment == rfm.segment(mine.r, mine.f, mine.m)[0]
    late = result[owners[5].id]  # 客户F paid 3 days late: on-time repayments do not count
    assert late.frequency == 1


def test_segment_rules_in_order() -> None:
    assert rfm.segment(5, 5, 5) == ("CHAMPIONS", "R>=4, F>=4, M>=4")
    assert rfm.segment(3, 4, 1)[0] == "LOYAL"
    assert rfm.segment(5, 1, 1)[0] == "NEW"
    assert rfm.segment(1, 5, 5)[0] == "CANT_LOSE_THEM"
    assert rfm.segment(2, 3, 1)[0] == "AT_RISK"
    assert rfm.segment(1, 1, 1)[0] == "LOST"
    assert rfm.scores({1: 10, 2: 10, 3: 30, 4: 40, 5: 50}, higher_is_better=True) == {
        1: 1, 2: 1, 3: 3, 4: 4, 5: 5,
    }  # fmt: skip


async def test_the_daily_run_profiles_explains_and_records_changes(db: str) -> None:
    await deploy_bundled()
    newcomer = await _borrower("新客", date(2026, 5, 20), 0)  # first loan 26 days ago
    steady = await _borrower("稳定", date(2025, 9, 10), 9)
    late = await _borrower("常迟", date(2025, 9, 10), 9, late=3)  # 3 days late each time
    gone = await _borrower("流失", date(2024, 1, 5), 12)
    await Loan.filter(customer_id=gone.id).update(status=LoanStatus.CLOSED)
    troubled = await _borrower("逾期", date(2026, 2, 1), 1)  # 3rd installment 04-01 unpaid
    await CreditReport.create(customer_id=steady.id, bureau="T", score=790, total_debt=0,
                              pulled_at=datetime.now(UTC))  # fmt: skip
    await Customer.filter(id=steady.id).update(monthly_income=Decimal("20000"))
    for n in range(3):
        await Interaction.create(customer_id=steady.id, channel=InteractionChannel.APP,
                                 direction=Direction.INBOUND, type=InteractionType.SELF_SERVICE,
                                 occurred_at=datetime(2026, 6, 1 + n, tzinfo=UTC))  # fmt: skip

    report = await daily.run(TODAY)
    assert report.done, report.failed
    rows = {c.id: c for c in await Customer.all()}
    assert rows[newcomer.id].lifecycle_stage == "NEW"
    assert rows[steady.id].lifecycle_stage == "STABLE"
    assert rows[gone.id].lifecycle_stage in ("CHURN_WARNING", "LOST")
    assert rows[steady.id].risk_rating == "LOW"
    assert rows[troubled.id].risk_rating == "VERY_HIGH"
    profile = await CustomerProfile.get(customer_id=troubled.id)
    assert profile.risk is not None
    assert profile.risk["rule"] == "VERY_HIGH: more than 30 days past due now"
    assert profile.risk["inputs"]["current_dpd"] > 30
    assert "customer_risk_rating v1" in profile.risk["table"]
    assert profile.rfm is not None and profile.rfm["scores"]["R"] in range(1, 6)
    late_tag = await CustomerTag.get(customer_id=late.id, tag__name="HABITUAL_LATE")
    assert "late 1-5 days on 6 of the last 6 installments" in late_tag.explanation
    online = await CustomerTag.get(customer_id=steady.id, tag__name="PREFERS_ONLINE")
    assert online.explanation == "3 of 3 own contacts in the app or web"
    changes = await ProfileChange.filter(customer_id=troubled.id, label="risk_rating")
    assert [(c.old, c.new) for c in changes] == [(None, "VERY_HIGH")]

    before = await ProfileChange.all().count()
    assert (await daily.run(TODAY)).done  # the same date again: nothing new
    assert await ProfileChange.all().count() == before


async def test_a_sharp_drop_in_activity_is_a_churn_warning(db: str) -> None:
    quiet = await _borrower("骤降", date(2025, 6, 1), 9)  # paid to 2026-03-01, then nothing
    for n in range(4):
        await Interaction.create(customer_id=quiet.id, channel=InteractionChannel.PHONE,
                                 direction=Direction.INBOUND, type=InteractionType.CALL,
                                 occurred_at=datetime(2026, 2, 2 + n, tzinfo=UTC))  # fmt: skip
    steady = await _borrower("照常", date(2025, 9, 10), 9)  # paid every month to 2026-06-10
    stages = await lifecycle.compute(TODAY)
    stage, why = stages[quiet.id]
    assert stage == "CHURN_WARNING"
    # 2025-12-17..2026-03-17: payments 01-01, 02-01, 03-01 and four calls; since then nothing
    assert (why["inputs"]["activity_before"], why["inputs"]["activity_lately"]) == (7, 0)
    assert why["rule"] == (
        "CHURN_WARNING: sharp drop: 0 actions in the last 90 days against 7 in the 90 days before"
    )
    assert stages[steady.id][0] == "STABLE"
