"""Pre-due reminders from a hand-built portfolio whose right answers are known."""

from __future__ import annotations

from datetime import date, timedelta

from bpmn import daily
from domain.clock import service as clock
from domain.customer.models import CustomerTag
from domain.daily.chunks import Span
from domain.daily.models import DailyRun
from domain.enums import Channel
from domain.loan.models import Installment
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.conftest import TODAY


async def _borrower(name: str, first_due: date, *, late: bool = False) -> int:
    owner = await factories.customer(name, phone=f"1390000{abs(hash(name)) % 10000:04d}",
                                     preferred_channel=Channel.SMS)  # fmt: skip
    loan = await factories.loan(owner, disbursed_on=first_due - timedelta(days=31))
    first = await Installment.get(loan_id=loan.id, seq=1)
    assert first.due_date == first_due, (first.due_date, first_due)
    if late:  # an older loan paid 2 days late each month: profiling tags HABITUAL_LATE
        older = await factories.loan(owner, disbursed_on=date(2025, 11, 10), term=6)
        for row in await Installment.filter(loan_id=older.id):
            if row.due_date < TODAY:
                row.paid_on = row.due_date + timedelta(days=2)
                await row.save()
    return first.id


async def _sent_keys() -> set[str]:
    return set(await OutboxMessage.filter(purpose=MessagePurpose.REMINDER).values_list(
        "dedupe_key", flat=True))  # fmt: skip


async def test_who_gets_which_reminder_on_which_date(shipped_processes: str) -> None:
    a = await _borrower("甲", date(2026, 6, 22))  # T-7 today
    b = await _borrower("乙", date(2026, 6, 18))  # T-3 today
    c = await _borrower("丙", date(2026, 6, 16))  # T-1 today, but already paid
    await Installment.filter(id=c).update(paid_on=TODAY)
    d = await _borrower("丁", date(2026, 6, 20), late=True)  # T-5: only for the habitually late
    e = await _borrower("戊", date(2026, 6, 20))  # T-5: nothing for the punctual

    first = await daily.run(TODAY)
    assert first.done and first.steps["reminders"] == {"queued": 3, "already_queued": 0}
    tag = await CustomerTag.get(tag__name="HABITUAL_LATE")
    assert tag.explanation.startswith("late 1-5 days on 6 of the last 6 installments")
    assert await _sent_keys() == {f"reminder:{a}:T-7", f"reminder:{b}:T-3", f"reminder:{d}:T-5"}
    again = await daily.run(TODAY)  # the same date: nothing happens twice
    assert again.steps == first.steps
    assert await OutboxMessage.all().count() == 3

    await clock.set_(date(2026, 6, 17))
    assert (await daily.run()).done
    assert await _sent_keys() == {
        f"reminder:{a}:T-7", f"reminder:{b}:T-3", f"reminder:{d}:T-5",
        f"reminder:{b}:T-1", f"reminder:{d}:T-3", f"reminder:{e}:T-3",
    }  # fmt: skip
    assert await DailyRun.filter(business_date=date(2026, 6, 17)).count() == len(daily.STEPS)
    message = await OutboxMessage.get(dedupe_key=f"reminder:{b}:T-1")
    assert "2026-06-18" in message.body and "还有 1 天" in message.body
    assert message.installment_id == b  # type: ignore[attr-defined]


async def test_a_reminder_for_an_installment_paid_meanwhile_is_never_sent(
    shipped_processes: str,
) -> None:
    a = await _borrower("甲", date(2026, 6, 22))
    await daily.run(TODAY)
    [message] = await OutboxMessage.all()
    await Installment.filter(id=a).update(paid_on=TODAY)
    assert await outbox.dispatch_due() == 0
    await message.refresh_from_db()
    assert (message.status, message.reason) == (
        MessageStatus.DROPPED, "the installment was paid before sending"
    )  # fmt: skip


async def test_a_failed_step_is_recorded_and_run_again(shipped_processes: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def broken(day: date, span: Span) -> dict[str, int]:
        raise RuntimeError("template store offline")

    steps = tuple((n, broken if n == "reminders" else s) for n, s in daily.STEPS)
    monkeypatch.setattr(daily, "STEPS", steps)
    report = await daily.run(TODAY)
    assert report.failed == "reminders: RuntimeError: template store offline"
    row = await DailyRun.get(business_date=TODAY, step="reminders")
    assert row.status == "FAILED" and "offline" in (row.detail or {})["error"]
    monkeypatch.undo()
    assert (await daily.run(TODAY)).done
