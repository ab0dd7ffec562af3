"""The contact policy and the outbox: windows, caps, consent, once-only sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.enums import Channel
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import History, Person, Rules, Verdict, decide
from tests import factories

SHANGHAI = "Asia/Shanghai"  # UTC+8, no daylight saving
PERSON = Person(SHANGHAI, frozenset({Channel.SMS}), {Channel.SMS: "13800000001",
                                                      Channel.PHONE: "13800000001"})  # fmt: skip


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in Shanghai time, as UTC."""
    return (
        datetime(2026, 6, day, hour - 8, minute, tzinfo=UTC)
        if hour >= 8
        else datetime(2026, 6, day - 1, hour + 16, minute, tzinfo=UTC)
    )


def _decide(now: datetime, purpose: MessagePurpose = MessagePurpose.REMINDER,
            channel: Channel = Channel.SMS, history: History | None = None,
            person: Person = PERSON, debt: bool = False):  # type: ignore[no-untyped-def]  # fmt: skip
    return decide(purpose=purpose, channel=channel, person=person, now=now,
                  history=history or History(), debt_related=debt, rules=Rules())  # fmt: skip


def test_inside_the_window_a_message_goes() -> None:
    assert _decide(local(15, 8, 0)).verdict == Verdict.SEND
    assert _decide(local(15, 20, 59)).verdict == Verdict.SEND


def test_at_2130_local_it_waits_for_0800_next_morning() -> None:
    decision = _decide(local(15, 21, 30))
    assert decision.verdict == Verdict.DEFER
    assert decision.at == local(16, 8, 0)
    assert "outside 08:00-21:00 customer local time" in (decision.reason or "")
    early = _decide(local(15, 6, 45))
    assert early.at == local(15, 8, 0)


def test_the_window_is_the_customers_own_time_zone() -> None:
    new_york = Person("America/New_York", frozenset(), {Channel.SMS: "+12125550100"})
    # 10:00 in Shanghai is 22:00 the evening before in New York (EDT, UTC-4)
    decision = _decide(local(15, 10, 0), person=new_york)
    assert decision.verdict == Verdict.DEFER
    assert decision.at == datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_marketing_needs_consent_for_the_channel_service_messages_do_not() -> None:
    no_email_consent = Person(SHANGHAI, frozenset({Channel.SMS}),
                              {Channel.SMS: "1", Channel.EMAIL: "a@b.cn"})  # fmt: skip
    offer = _decide(local(15, 10), MessagePurpose.OFFER, Channel.EMAIL, person=no_email_consent)
    assert (offer.verdict, offer.reason) == (Verdict.DROP, "no consent to offer by EMAIL")
    reminder = _decide(local(15, 10), MessagePurpose.REMINDER, Channel.EMAIL,
                       person=no_email_consent)  # fmt: skip
    assert reminder.verdict == Verdict.SEND
    nowhere = _decide(local(15, 10), channel=Channel.EMAIL)
    assert (nowhere.verdict, nowhere.reason) == (Verdict.DROP, "no EMAIL contact point on file")


def test_the_eighth_contact_about_a_debt_in_seven_days_waits() -> None:
    now = local(15, 10)
    six = [now - timedelta(days=d, hours=1) for d in range(6)]
    assert _decide(
        now, MessagePurpose.COLLECTION, history=History(debt=six), debt=True
    ).verdict == (Verdict.SEND)  # the seventh is allowed
    seven = [*six, now - timedelta(days=6, hours=20)]
    eighth = _decide(now, MessagePurpose.COLLECTION, history=History(debt=seven), debt=True)
    assert eighth.verdict == Verdict.DEFER
    assert "7 contacts about this debt in 7 days (cap 7)" in (eighth.reason or "")
    # allowed again when the oldest of the seven leaves the window, inside contact hours
    assert eighth.at == local(15, 14, 0)


def test_the_seventh_attempt_at_one_number_in_a_day_waits_for_tomorrow() -> None:
    now = local(15, 16)
    six = [local(15, 9 + h) for h in range(6)]
    decision = _decide(now, history=History(point=six))
    assert decision.verdict == Verdict.DEFER
    assert decision.at == local(16, 8, 0)
    assert _decide(now, history=History(point=six[:5])).verdict == Verdict.SEND


@pytest.fixture
def outbox_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "outbox.log"
    monkeypatch.setenv("LENDGRAPH_OUTBOX_LOG", str(path))
    return path


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


async def test_a_message_queued_at_2130_is_sent_at_0800_exactly_once(
    db: str, outbox_log: Path
) -> None:
    customer = await factories.customer(phone="13800000002", preferred_channel=Channel.SMS)
    message = await outbox.enqueue(
        customer_id=customer.id, purpose=MessagePurpose.REMINDER, body="还款提醒",
        dedupe_key="reminder:1:7", now=local(15, 21, 30),
    )  # fmt: skip
    assert (message.status, message.scheduled_at) == (MessageStatus.DEFERRED, local(16, 8))
    again = await outbox.enqueue(
        customer_id=customer.id, purpose=MessagePurpose.REMINDER, body="还款提醒",
        dedupe_key="reminder:1:7", now=local(15, 21, 31),
    )  # fmt: skip
    assert again.id == message.id and await OutboxMessage.all().count() == 1
    assert await outbox.dispatch_due(now=local(16, 7, 59)) == 0
    assert _lines(outbox_log) == []
    assert await outbox.dispatch_due(now=local(16, 8, 0)) == 1
    assert await outbox.dispatch_due(now=local(16, 9, 0)) == 0
    [line] = _lines(outbox_log)
    assert (line["to"], line["channel"], line["body"]) == ("13800000002", "SMS", "还款提醒")
    row = await OutboxMessage.get(id=message.id)
    assert (row.status, row.sent_at) == (MessageStatus.SENT, local(16, 8, 0))


async def test_calls_by_collectors_count_against_the_debt_cap(db: str, outbox_log: Path) -> None:
    customer = await factories.customer(phone="13800000003")
    loan = await factories.loan(customer)
    now = local(15, 10)
    for n in range(7):
        await Interaction.create(
            customer_id=customer.id, loan_id=loan.id, channel=InteractionChannel.PHONE,
            direction=Direction.OUTBOUND, type=InteractionType.CALL,
            occurred_at=now - timedelta(days=n % 6, hours=n + 1),
        )  # fmt: skip
    message = await outbox.enqueue(
        customer_id=customer.id, loan_id=loan.id, purpose=MessagePurpose.COLLECTION,
        body="逾期提醒", dedupe_key="collection:x", now=now,
    )  # fmt: skip
    assert message.status == MessageStatus.DEFERRED
    assert "contacts about this debt" in (message.reason or "")
    # a service reminder about another matter is not capped by the debt
    other = await outbox.enqueue(
        customer_id=customer.id, purpose=MessagePurpose.REMINDER, body="提醒",
        dedupe_key="reminder:x", now=now,
    )  # fmt: skip
    assert other.status == MessageStatus.QUEUED


async def test_a_message_without_any_contact_point_is_dropped(db: str, outbox_log: Path) -> None:
    customer = await factories.customer(phone=None)
    message = await outbox.enqueue(
        customer_id=customer.id, purpose=MessagePurpose.CARE, body="生日快乐",
        dedupe_key="care:1", now=local(15, 10),
    )  # fmt: skip
    assert message.status == MessageStatus.DROPPED and "contact point" in (message.reason or "")
    assert await outbox.dispatch_due(now=local(20, 10)) == 0
    assert _lines(outbox_log) == []
