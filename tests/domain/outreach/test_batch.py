"""Many messages queued at once leave the outbox rows that queueing them one by one leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from domain.enums import Channel
from domain.errors import NotFoundError, ValidationError
from domain.interaction.models import Direction, Interaction, InteractionChannel, InteractionType
from domain.outreach import service as outbox
from domain.outreach.batch import Message, Queued, enqueue_many
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.statements import count_statements
from tests import factories

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, 22:00 in New York
REMINDER, CARE, COLLECTION = MessagePurpose.REMINDER, MessagePurpose.CARE, MessagePurpose.COLLECTION
SMS = Channel.SMS


class _Undo(Exception):
    """Raised to leave a transaction rolled back."""


async def _sent(customer_id: int, point: str, key: str, at: datetime, loan: int | None) -> None:
    await OutboxMessage.create(
        customer_id=customer_id, loan_id=loan, channel=SMS, contact_point=point,
        purpose=COLLECTION if loan else REMINDER, status=MessageStatus.SENT, dedupe_key=key,
        body="旧", scheduled_at=at, sent_at=at,
    )  # fmt: skip


async def _call(customer_id: int, at: datetime, loan: int | None = None) -> None:
    await Interaction.create(
        customer_id=customer_id, loan_id=loan, channel=InteractionChannel.PHONE,
        direction=Direction.OUTBOUND, type=InteractionType.CALL, occurred_at=at,
    )  # fmt: skip


async def _world() -> tuple[list[Message], dict[str, int]]:
    """Customers at and near their caps, without consent or contact points, in another time
    zone, and the messages a day might queue for them (a key twice, keys used before)."""
    busy = await factories.customer("六条", phone="13900000001", preferred_channel=SMS)
    for hour in range(6):  # six messages at the number already today: the cap
        await _sent(busy.id, "13900000001", f"old:{hour}", NOW - timedelta(hours=hour, minutes=5),
                    None)  # fmt: skip
    near = await factories.customer("六次", phone="13900000002", preferred_channel=SMS)
    for n in range(6):  # six calls at the number today: the cap too
        await _call(near.id, NOW - timedelta(minutes=10 * n + 5))
    owing = await factories.customer("欠款", phone="13900000003", consent_sms=True)
    debt = (await factories.loan(owing)).id
    other = (await factories.loan(owing, principal="3000.00")).id
    for day in range(7):  # seven contacts about the debt in seven days: the debt cap
        moment = NOW - timedelta(days=day, hours=20)
        if day % 2:
            await _sent(owing.id, "13900000003", f"old:debt:{day}", moment, debt)
        else:
            await _call(owing.id, moment, debt)
    shy = await factories.customer("无同意", phone="13900000004", preferred_channel=SMS)
    mute = await factories.customer("无号码", phone=None)
    mailed = await factories.customer("邮件", phone=None, email="a@example.com",
                                      consent_email=True)  # fmt: skip
    far = await factories.customer("纽约", phone="13900000005", time_zone="America/New_York",
                                   consent_sms=True)  # fmt: skip
    app = await factories.customer("应用", phone="13900000006", preferred_channel=Channel.APP_PUSH)
    await outbox.enqueue(customer_id=shy.id, purpose=REMINDER, body="早已排队",
                         dedupe_key="before:shy", now=NOW - timedelta(hours=1))  # fmt: skip

    def m(who: int, key: str, purpose: MessagePurpose = REMINDER, **more: Any) -> Message:
        return Message(customer_id=who, purpose=purpose, body=f"给{who}: {key}", dedupe_key=key,
                       **more)  # fmt: skip

    messages = [
        *(m(busy.id, f"busy:{n}") for n in range(3)),  # each deferred to tomorrow
        m(busy.id, "busy:email", channel=Channel.EMAIL),  # no address: dropped
        m(near.id, "near:1"),
        m(near.id, "near:2"),
        m(near.id, "near:3", CARE),
        m(owing.id, "owing:collect", COLLECTION, loan_id=debt, channel=Channel.PHONE),
        m(owing.id, "owing:other", COLLECTION, loan_id=other, process_instance_id=41),
        m(owing.id, "owing:remind", REMINDER, loan_id=debt, installment_id=None),
        m(shy.id, "shy:care", CARE),
        m(shy.id, "before:shy"),
        m(shy.id, "shy:remind"),
        m(mute.id, "mute:care", CARE),
        m(mute.id, "mute:remind"),
        m(mailed.id, "mailed:care", CARE),
        m(mailed.id, "mailed:sms", channel=SMS),
        m(far.id, "far:care", CARE),
        m(far.id, "far:collect", COLLECTION),
        m(app.id, "app:remind"),
        m(app.id, "app:care", CARE),
        m(app.id, "twice"),
        m(busy.id, "twice", CARE),  # one key twice: the first stands
        *(m(app.id, f"many:{n}") for n in range(8)),  # more than any cap, none of them sent
    ]
    return messages, {"busy": busy.id, "owing": owing.id, "shy": shy.id, "app": app.id}


async def _rows() -> list[dict[str, Any]]:
    """The outbox as stored (ids and insertion times aside), by dedupe key."""
    found = await connections.get("default").execute_query_dict(
        "SELECT * FROM outbox_message ORDER BY dedupe_key"
    )
    return [{k: v for k, v in row.items() if k not in ("id", "created_at")} for row in found]


async def _keys(answers: list[Queued]) -> list[tuple[str, str, str | None, bool]]:
    """The answers with each row named by its dedupe key."""
    keys = dict(await OutboxMessage.filter(id__in=[a.id for a in answers]).values_list(
        "id", "dedupe_key"))  # fmt: skip
    return [(keys[a.id], a.status.value, a.reason, a.new) for a in answers]


async def _one_by_one(messages: list[Message]) -> tuple[list[dict[str, Any]], list[Any]]:
    """What ``enqueue`` message after message leaves, then undone."""
    got: tuple[list[dict[str, Any]], list[Any]] = ([], [])
    before = {str(k) for k in await OutboxMessage.all().values_list("dedupe_key", flat=True)}
    try:
        async with in_transaction():
            seen = set(before)
            answers = []
            for message in messages:
                row = await outbox.enqueue(
                    customer_id=message.customer_id, purpose=message.purpose, body=message.body,
                    dedupe_key=message.dedupe_key, loan_id=message.loan_id,
                    channel=message.channel, process_instance_id=message.process_instance_id,
                    installment_id=message.installment_id, now=NOW,
                )  # fmt: skip
                answers.append((row.dedupe_key, row.status.value, row.reason,
                                row.dedupe_key not in seen))  # fmt: skip
                seen.add(row.dedupe_key)
            got = (await _rows(), answers)
            raise _Undo
    except _Undo:
        pass
    return got


async def test_a_batch_queues_the_rows_one_by_one_queues(db: str) -> None:
    # given
    messages, who = await _world()
    want_rows, want_answers = await _one_by_one(messages)
    assert len(await OutboxMessage.all()) == 1 + 6 + 3  # undone: what was there before
    # when
    with count_statements() as log:
        answers = await enqueue_many(messages, now=NOW)
    # then
    assert await _rows() == want_rows
    assert await _keys(answers) == want_answers
    assert log.count <= 8, log.statements  # whatever the number of messages
    # what the one-by-one path decided, so the comparison covers every rule
    rows = {row["dedupe_key"]: row for row in want_rows}

    def said(key: str) -> tuple[str, str | None]:
        return rows[key]["status"], rows[key]["reason"]

    assert said("busy:0") == ("DEFERRED", "6 attempts at this contact point today (cap 6)")
    assert said("busy:email") == ("DROPPED", "no EMAIL contact point on file")
    assert said("near:1") == ("DEFERRED", "6 attempts at this contact point today (cap 6)")
    assert said("many:7") == ("QUEUED", None)  # queued messages count against no cap
    assert said("near:3") == ("DROPPED", "no consent to care by SMS")
    assert said("owing:collect") == ("DEFERRED", "7 contacts about this debt in 7 days (cap 7)")
    assert said("owing:other") == said("owing:remind") == ("QUEUED", None)
    assert said("mute:remind") == ("DROPPED", "no SMS contact point on file")
    assert said("mailed:care") == ("QUEUED", None)
    assert said("far:care")[1] == "outside 08:00-21:00 customer local time"
    assert rows["twice"]["customer_id"] == who["app"] and rows["twice"]["purpose"] == "REMINDER"
    assert rows["app:remind"]["channel"] == "APP_PUSH"
    assert rows["before:shy"]["body"] == "早已排队"  # a key used before keeps its row
    assert [a.new for a in answers if a.id == answers[-9].id] == [True, False]  # "twice"


async def test_a_batch_queued_again_adds_nothing(db: str) -> None:
    messages, _ = await _world()
    first = await enqueue_many(messages, now=NOW)
    rows = await _rows()
    again = await enqueue_many(messages, now=NOW + timedelta(hours=3))
    assert await _rows() == rows
    assert [a.id for a in again] == [a.id for a in first] and not any(a.new for a in again)


async def test_a_bad_message_stops_the_batch_before_anything_is_written(db: str) -> None:
    messages, who = await _world()
    before = await _rows()
    with pytest.raises(ValidationError):
        await enqueue_many([*messages, Message(who["busy"], REMINDER, "x", "k" * 201)], now=NOW)
    with pytest.raises(NotFoundError):
        await enqueue_many([*messages, Message(10**9, REMINDER, "x", "nobody")], now=NOW)
    assert await _rows() == before
    # a key in the outbox already answers its row, whoever the message is for
    [old] = await enqueue_many([Message(10**9, REMINDER, "x", "before:shy")], now=NOW)
    assert (old.status, old.new) == (MessageStatus.QUEUED, False)


async def test_customers_far_apart_are_judged_alike(db: str) -> None:
    # given: the batch's customers are a few among many (read by their ids, not a range)
    messages, who = await _world()
    for n in range(40):
        await factories.customer(f"旁人{n}", phone=f"1370000{n:04d}")
    last = await factories.customer("最后", phone="13900000009", preferred_channel=SMS)
    await _sent(last.id, "13900000009", "old:last", NOW - timedelta(hours=1), None)
    ours = {who["busy"], who["owing"]}
    mine = [m for m in messages if m.customer_id in ours]
    mine.append(Message(last.id, REMINDER, "最后一条", "last:remind"))
    want_rows, want_answers = await _one_by_one(mine)
    # when
    answers = await enqueue_many(mine, now=NOW)
    # then
    assert await _rows() == want_rows
    assert await _keys(answers) == want_answers
    assert {key for key, status, _, _ in want_answers if status == "DEFERRED"} == {
        "busy:0", "busy:1", "busy:2", "owing:collect"
    }  # fmt: skip
