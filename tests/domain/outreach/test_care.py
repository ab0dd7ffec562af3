"""Birthday and holiday care: once per occasion, only with consent for the channel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.enums import Channel
from domain.outreach import care
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from tests import factories
from tests.conftest import TODAY


async def test_birthdays_get_a_greeting_once_and_only_with_consent(db: str) -> None:
    glad = await factories.customer("寿星", phone="13200000001", birth_date=date(1990, 6, 15),
                                    preferred_channel=Channel.SMS, consent_sms=True)  # fmt: skip
    shy = await factories.customer("无同意", phone="13200000002", birth_date=date(1985, 6, 15),
                                   preferred_channel=Channel.SMS)  # fmt: skip
    await factories.customer("别天", phone="13200000003", birth_date=date(1990, 6, 16))
    assert await care.produce(TODAY) == {"queued": 2}
    assert await care.produce(TODAY) == {"queued": 0}
    sent = {m.customer_id: m for m in await OutboxMessage.filter(purpose=MessagePurpose.CARE)}  # type: ignore[attr-defined]
    assert sent[glad.id].status == MessageStatus.QUEUED and "生日快乐" in sent[glad.id].body
    assert (sent[shy.id].status, sent[shy.id].reason) == (
        MessageStatus.DROPPED, "no consent to care by SMS"
    )  # fmt: skip


async def test_holidays_come_from_the_calendar(db: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    await factories.customer("节日", phone="13200000004", consent_sms=True)
    assert await care.produce(date(2026, 6, 19)) == {"queued": 1}  # 端午节
    [message] = await OutboxMessage.all()
    assert "端午节快乐" in message.body
    calendar = tmp_path / "holidays.txt"
    calendar.write_text("# our own\n2026-06-20 公司周年\n", encoding="utf-8")
    monkeypatch.setenv("LENDGRAPH_HOLIDAYS", str(calendar))
    assert await care.produce(date(2026, 6, 19)) == {"queued": 0}  # not in our calendar
    assert await care.produce(date(2026, 6, 20)) == {"queued": 1}
    calendar.write_text("20-06-2026 wrong\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1: expected 'YYYY-MM-DD name'"):
        care.holidays(2026)


def test_the_default_calendar_knows_every_year() -> None:
    assert care.china(2026) == {
        date(2026, 1, 1): "元旦", date(2026, 2, 17): "春节", date(2026, 4, 5): "清明节",
        date(2026, 5, 1): "劳动节", date(2026, 6, 19): "端午节", date(2026, 9, 25): "中秋节",
        date(2026, 10, 1): "国庆节",
    }  # fmt: skip
    # lunar holidays move: 2027's Spring Festival, Dragon Boat and Mid-Autumn
    later = care.china(2027)
    assert later[date(2027, 2, 6)] == "春节" and later[date(2027, 6, 9)] == "端午节"
    assert later[date(2027, 9, 15)] == "中秋节"
    # make-up days and the eve are no occasions; two holidays on one day are named together
    assert date(2027, 2, 9) not in later and date(2027, 2, 5) not in later
    assert care.china(2028)[date(2028, 10, 3)] == "中秋节"
