"""On-time streaks counted in SQL: the same numbers on SQLite and PostgreSQL, edge cases too."""

from __future__ import annotations

import random
from datetime import date, timedelta

from domain.customer.models import Customer
from domain.daily.chunks import EVERYONE, Span
from domain.loan import streaks
from domain.loan.models import Installment, Loan
from tests import factories

DAY = date(2026, 6, 15)


async def _borrower(name: str, *disbursed: date) -> tuple[Customer, list[Loan]]:
    owner = await factories.customer(name, phone=f"1390000{abs(hash(name)) % 10000:04d}")
    return owner, [await factories.loan(owner, disbursed_on=on) for on in disbursed]


async def _pay(loan: Loan, seqs: range, late_days: int = 0) -> None:
    for row in await Installment.filter(loan_id=loan.id, seq__in=list(seqs)):
        row.paid_on = row.due_date + timedelta(days=late_days)
        await row.save(update_fields=["paid_on"])


async def test_streaks_count_back_from_the_latest_installment_due(db: str) -> None:
    # given: dues on the 10th from 2025-12-10, seven of them due by 06-15
    nothing, _ = await _borrower("无贷款")
    future, [later] = await _borrower("未到期", date(2026, 6, 1))  # first due 07-01
    await _pay(later, range(1, 3))  # paid ahead: not due yet, not counted
    steady, [s] = await _borrower("全准时", date(2025, 11, 10))
    await _pay(s, range(1, 8))
    unpaid, [u] = await _borrower("最近未还", date(2025, 11, 10))
    await _pay(u, range(1, 7))  # 06-10 unpaid
    late, [la] = await _borrower("最近逾期", date(2025, 11, 10))
    await _pay(la, range(1, 7))
    await _pay(la, range(7, 8), late_days=1)  # 06-10 paid on 06-11
    broken, [b] = await _borrower("中间逾期", date(2025, 11, 10))
    await _pay(b, range(1, 3))
    await _pay(b, range(3, 4), late_days=3)  # 02-10 paid late
    await _pay(b, range(4, 8))  # then four on time: paying on the due date is on time
    # when
    found = await streaks.on_time(DAY, EVERYONE)
    # then
    assert found.get(nothing.id, 0) == 0 and found.get(future.id, 0) == 0
    assert found[steady.id] == 7
    assert found.get(unpaid.id, 0) == 0
    assert found.get(late.id, 0) == 0
    assert found[broken.id] == 4
    assert await streaks.on_time(date(2026, 6, 9), EVERYONE) == {
        steady.id: 6, unpaid.id: 6, late.id: 6, broken.id: 3,
    }  # fmt: skip


async def test_installments_due_the_same_day_go_by_id(db: str) -> None:
    # given: two loans each, dues on the same days; the later loan's installments have higher ids
    first_bad, [old, new] = await _borrower("先坏", date(2025, 11, 10), date(2025, 11, 10))
    await _pay(old, range(1, 7))  # the older loan's 06-10 unpaid
    await _pay(new, range(1, 8))
    last_bad, [old2, new2] = await _borrower("后坏", date(2025, 11, 10), date(2025, 11, 10))
    await _pay(old2, range(1, 8))
    await _pay(new2, range(1, 7))  # the newer loan's 06-10 unpaid: it comes first
    # when
    found = await streaks.on_time(DAY, EVERYONE)
    # then: counting back, the newer loan's 06-10 comes before the older one's
    assert found[first_bad.id] == 1
    assert found.get(last_bad.id, 0) == 0


async def test_a_span_counts_its_own_customers_only(db: str) -> None:
    one, [a] = await _borrower("甲", date(2025, 11, 10))
    two, [b] = await _borrower("乙", date(2025, 11, 10))
    await _pay(a, range(1, 8))
    await _pay(b, range(1, 8))
    assert await streaks.on_time(DAY, Span(one.id, two.id)) == {one.id: 7}
    assert await streaks.on_time(DAY, Span(two.id, EVERYONE.hi)) == {two.id: 7}


async def test_random_schedules_give_what_walking_the_installments_gives(db: str) -> None:
    # given: borrowers with one to three loans, each installment paid on time, late or not
    rng = random.Random(14)
    for n in range(12):
        starts = [date(2025, rng.randint(1, 11), 10) for _ in range(rng.randint(1, 3))]
        _, made = await _borrower(f"随机{n}", *starts)
        for row in await Installment.filter(loan_id__in=[m.id for m in made]):
            fate = rng.choice(["on time", "on time", "on time", "late", "unpaid"])
            if fate != "unpaid":
                late = rng.randint(1, 9) if fate == "late" else rng.randint(-3, 0)
                row.paid_on = row.due_date + timedelta(days=late)
                await row.save(update_fields=["paid_on"])
    # when
    found = await streaks.on_time(DAY, EVERYONE)
    # then
    assert found == await _walked(DAY)
    assert any(found.values())


async def _walked(day: date) -> dict[int, int]:
    """The streaks as read one installment at a time, latest due first."""
    rows = (
        await Installment.filter(due_date__lte=day)
        .order_by("-due_date", "-id")
        .values("loan__customer_id", "due_date", "paid_on")
    )
    streak: dict[int, int] = {}
    broken: set[int] = set()
    for row in rows:
        cid = int(row["loan__customer_id"])
        if cid in broken:
            continue
        if row["paid_on"] is not None and row["paid_on"] <= row["due_date"]:
            streak[cid] = streak.get(cid, 0) + 1
        else:
            broken.add(cid)
    return streak
