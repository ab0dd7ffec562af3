"""Campaign invitations to a segment: consent only, sent once, opened and converted tracked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.application import service as applications
from domain.application.models import ApplicationChannel
from domain.campaign import service as campaigns
from domain.campaign.models import CampaignResponse
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import ConflictError, ValidationError
from domain.outreach import service as outbox
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.profile import segments
from tests import factories
from tests.conftest import TODAY

ASK = campaigns.Launch(code="SPRING-SME", name="春季经营贷", product_code="SME",
                       segment="loyal_low_risk", conversion_days=14)  # fmt: skip


async def _portfolio() -> dict[str, Customer]:
    await factories.product("SME")
    await factories.product("CONSUMER")
    people = {
        "agree": await factories.customer("同意", phone="13500000001", consent_sms=True,
                                          preferred_channel=Channel.SMS),
        "email": await factories.customer("邮件", phone="13500000002", email="a@example.com",
                                          consent_email=True, preferred_channel=Channel.EMAIL),
        "refuse": await factories.customer("拒绝", phone="13500000003",
                                           preferred_channel=Channel.SMS),
        "outside": await factories.customer("圈外", phone="13500000004", consent_sms=True),
    }  # fmt: skip
    for key in ("agree", "email", "refuse"):
        await Customer.filter(id=people[key].id).update(rfm_segment="LOYAL", risk_rating="LOW")
    await segments.define("loyal_low_risk", "", {"rfm_segment": ["LOYAL"], "risk_rating": ["LOW"]},
                          by="admin")  # fmt: skip
    await segments.refresh(TODAY)
    return people


async def _apply(customer: Customer, product: str = "SME") -> int:
    made = await applications.submit(customer_id=customer.id, product_code=product,
                                      amount=Decimal("50000.00"), term_months=12,
                                      channel=ApplicationChannel.APP)  # fmt: skip
    return made.id


async def test_a_campaign_reaches_only_those_who_agreed_and_tracks_their_answers(db: str) -> None:
    people = await _portfolio()
    campaign, figures = await campaigns.launch(ASK, by="admin")
    assert figures["invited"] == 3 and figures["blocked"] == 1 and figures["waiting"] == 2
    rows = {r.customer_id: r for r in await OutboxMessage.filter(purpose=MessagePurpose.CAMPAIGN)}  # type: ignore[attr-defined]
    assert people["outside"].id not in rows
    assert rows[people["refuse"].id].status == MessageStatus.DROPPED
    assert rows[people["refuse"].id].reason == "no consent to campaign by SMS"
    assert rows[people["email"].id].channel == Channel.EMAIL
    response = await CampaignResponse.get(campaign_id=campaign.id, customer_id=people["agree"].id)
    assert response.token and f"/c/{response.token}" in rows[people["agree"].id].body
    assert rows[people["agree"].id].body.startswith("同意，您好：春季经营贷，Sme诚邀您了解")

    delivered: list[int] = []

    async def send(message: OutboxMessage) -> str:
        delivered.append(message.customer_id)  # type: ignore[attr-defined]
        return f"ref-{message.id}"

    assert await outbox.dispatch_due(send=send) == 2
    assert await outbox.dispatch_due(send=send) == 0  # nothing is sent twice
    assert sorted(delivered) == sorted([people["agree"].id, people["email"].id])
    assert (await campaigns.counts(campaign.id))["sent"] == 2

    first = await campaigns.opened(response.token or "", clicked=True)
    opened_at = first.opened_at
    await campaigns.opened(response.token or "", clicked=True)  # a second visit changes nothing
    again = await CampaignResponse.get(id=response.id)
    assert again.opened_at == opened_at and again.clicked_at is not None

    await _apply(people["email"], "CONSUMER")  # another product: no conversion
    converted = await _apply(people["agree"])
    await _apply(people["refuse"])  # never received the invitation
    figures = await campaigns.counts(campaign.id)
    assert (figures["opened"], figures["clicked"], figures["converted"]) == (1, 1, 1)
    assert (await CampaignResponse.get(id=response.id)).application_id == converted  # type: ignore[attr-defined]
    assert await campaigns.blocked_reasons(campaign.id) == {"no consent to campaign by SMS": 1}


async def test_an_application_after_the_conversion_window_does_not_count(db: str) -> None:
    people = await _portfolio()
    campaign, _ = await campaigns.launch(ASK, by="admin")
    await outbox.dispatch_due(send=lambda m: _ref(m))
    await clock.set_(date(2026, 6, 30))  # 15 days later; the window is 14
    await _apply(people["agree"])
    assert (await campaigns.counts(campaign.id))["converted"] == 0


async def _ref(message: OutboxMessage) -> str:
    return str(message.id)


async def test_bad_launches_are_refused_with_reasons_and_leave_nothing(db: str) -> None:
    await _portfolio()
    bad = campaigns.Launch(code="x y", name="", product_code="NONE", segment="nobody",
                           template_key="campaign.nothing", conversion_days=0,
                           ends_on=date(2026, 1, 1))  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        await campaigns.launch(bad, by="admin")
    assert {p.field for p in caught.value.problems} == {
        "code", "name", "productCode", "segment", "templateKey", "conversionDays", "endsOn",
    }  # fmt: skip
    await campaigns.launch(ASK, by="admin")
    with pytest.raises(ConflictError):
        await campaigns.launch(ASK, by="admin")
    assert await OutboxMessage.all().count() == 3
    await segments.define("empty", "", {"rfm_segment": ["CHAMPIONS"]}, by="admin")
    await segments.refresh(TODAY)
    with pytest.raises(ValidationError, match="empty has no members yet"):
        await campaigns.launch(campaigns.Launch(code="E", name="e", product_code="SME",
                                                segment="empty"), by="admin")  # fmt: skip


async def test_seeded_responses_without_messages_count_as_sent(db: str) -> None:
    people = await _portfolio()
    campaign, _ = await campaigns.launch(ASK, by="admin")
    await CampaignResponse.filter(campaign_id=campaign.id, customer_id=people["refuse"].id).update(
        sent_at=datetime(2026, 6, 1, tzinfo=UTC), message_id=None
    )
    assert (await campaigns.counts(campaign.id))["sent"] == 1
