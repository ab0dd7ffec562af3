"""Campaign invitations to a segment, and each customer's response: sent, opened, converted.

``launch`` writes the campaign, one outbox message per member of the segment (marketing: the
contact policy drops it without consent for the channel, and judges it again when sending)
and one response row per member with an unguessable link token, all in one transaction.
Opening the link records ``opened_at`` (and ``clicked_at``); an application for the
campaign's product within ``conversion_days`` of the invitation being sent records the
conversion. Counts are read from the responses and their outbox messages.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain import sqltext
from domain.campaign.models import Campaign, CampaignResponse
from domain.clock import service as clock
from domain.customer.models import Customer
from domain.enums import Channel
from domain.errors import ConflictError, NotFoundError, Problems
from domain.outreach import templates
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.outreach.policy import History, Rules, Verdict, decide
from domain.outreach.service import choose_channel, person_of, utc
from domain.product.models import Product
from domain.profile.models import Segment, SegmentMember

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
BATCH = 1000
_STATUS = {Verdict.SEND: MessageStatus.QUEUED, Verdict.DEFER: MessageStatus.DEFERRED,
           Verdict.DROP: MessageStatus.DROPPED}  # fmt: skip


def link(token: str) -> str:
    """The address in the message that records the response (LENDGRAPH_PUBLIC_URL)."""
    base = os.environ.get("LENDGRAPH_PUBLIC_URL", "http://localhost:8000").rstrip("/")
    return f"{base}/c/{token}"


@dataclass(frozen=True)
class Launch:
    """What an administrator asks for."""

    code: str
    name: str
    product_code: str
    segment: str
    channel: Channel | None = None  # None: each customer's preferred channel
    template_key: str = "campaign.invitation"
    conversion_days: int = 30
    ends_on: date | None = None


async def launch(ask: Launch, *, by: str) -> tuple[Campaign, dict[str, int]]:
    """Create the campaign and invite the segment's members; returns it with the counts."""
    problems = Problems()
    if not CODE.match(ask.code):
        problems.add("code", "must be 1..64 letters, digits, '-' or '_'")
    if not 0 < len(ask.name.strip()) <= 200:
        problems.add("name", "must be 1..200 characters")
    if not 1 <= ask.conversion_days <= 365:
        problems.add("conversionDays", "must be between 1 and 365")
    product = await Product.get_or_none(code=ask.product_code, active=True)
    if product is None:
        problems.add("productCode", f"'{ask.product_code}' is not an active product")
    segment = await Segment.get_or_none(name=ask.segment)
    if segment is None:
        problems.add("segment", f"no segment named {ask.segment!r}")
    library = await templates.load()
    if ask.template_key not in library.purposes():
        problems.add("templateKey", f"no template {ask.template_key!r}")
    today = await clock.get()
    if ask.ends_on is not None and ask.ends_on < today:
        problems.add("endsOn", f"is before the business date {today}")
    problems.raise_if_any()
    assert product is not None and segment is not None
    members = SegmentMember.filter(segment_id=segment.id).values("customer_id")
    customers = await Customer.filter(id__in=Subquery(members)).order_by("id")
    if not customers:
        problems.add("segment", f"{segment.name} has no members yet (members come with the "
                                "daily run)")  # fmt: skip
        problems.raise_if_any()
    moment = await clock.now()
    rules = Rules.from_env()
    if await Campaign.exists(code=ask.code):
        raise ConflictError(f"a campaign with code {ask.code!r} exists")
    async with in_transaction():  # the code is unique: a concurrent twin fails here whole
        campaign = await Campaign.create(
            code=ask.code, name=ask.name.strip(), product_id=product.id,
            channel=ask.channel or Channel.SMS, starts_on=today, ends_on=ask.ends_on,
            segment_id=segment.id, template_key=ask.template_key,
            conversion_days=ask.conversion_days, launched_at=moment, launched_by=by,
        )  # fmt: skip
        tokens = {c.id: secrets.token_urlsafe(16) for c in customers}
        messages = []
        for customer in customers:
            channel = choose_channel(customer, ask.channel)
            person = person_of(customer)
            verdict = decide(
                purpose=MessagePurpose.CAMPAIGN,
                channel=channel,
                person=person,
                now=moment,
                history=History(),
                debt_related=False,
                rules=rules,
            )  # caps are judged again when sending
            body = library.render(ask.template_key, {
                "name": customer.name, "campaign": campaign.name, "product": product.name,
                "link": link(tokens[customer.id]),
            }, customer.rfm_segment, templates.tone_for(customer.rfm_segment,
                                                         customer.risk_rating))  # fmt: skip
            messages.append(OutboxMessage(
                customer_id=customer.id, channel=channel, purpose=MessagePurpose.CAMPAIGN,
                contact_point=person.contact_points.get(channel, ""),
                status=_STATUS[verdict.verdict], dedupe_key=f"campaign:{campaign.id}:{customer.id}",
                body=body, scheduled_at=verdict.at or moment, reason=verdict.reason,
            ))  # fmt: skip
        await OutboxMessage.bulk_create(messages, batch_size=BATCH)
        made = await OutboxMessage.filter(
            dedupe_key__startswith=f"campaign:{campaign.id}:"
        ).values_list("customer_id", "id")
        await CampaignResponse.bulk_create(
            [CampaignResponse(campaign_id=campaign.id, customer_id=cid, message_id=mid,
                              token=tokens[cid], source="lendgraph")
             for cid, mid in made], batch_size=BATCH,
        )  # fmt: skip
    return campaign, await counts(campaign.id)


def _sent() -> Q:
    """Sent: by the outbox, or before lendgraph (imported responses carry their own time)."""
    return Q(sent_at__isnull=False) | Q(message__status=MessageStatus.SENT)


_STEPS: dict[str, Q] = {
    "sent": _sent(),
    "blocked": Q(message__status=MessageStatus.DROPPED),
    "waiting": Q(message__status__in=(MessageStatus.QUEUED, MessageStatus.DEFERRED)),
    "failed": Q(message__status=MessageStatus.FAILED),
    "opened": Q(opened_at__isnull=False),
    "clicked": Q(clicked_at__isnull=False),
    "converted": Q(converted_at__isnull=False),
}


async def tallies(base: QuerySet[CampaignResponse]) -> dict[int, dict[str, int]]:
    """Per campaign: invited, sent, blocked, waiting, failed, opened, clicked, converted.

    One grouped statement over ``base`` (already narrowed to the caller's customers).
    """
    figures = {name: Count("id", _filter=condition) for name, condition in _STEPS.items()}
    # an always-true condition on the message joins it, for the filtered counts to read
    joined = Q(message__status__isnull=True) | Q(message__status__isnull=False)
    rows = await (
        base.filter(joined).annotate(invited=Count("id"), **figures).group_by("campaign_id")
        .values("campaign_id", "invited", *figures)
    )  # fmt: skip
    return {int(r.pop("campaign_id")): {k: int(v or 0) for k, v in r.items()} for r in rows}


async def counts(campaign_id: int, scope: Q | None = None) -> dict[str, int]:
    """One campaign's figures (within ``scope``); zeros when nobody in scope was invited."""
    base = CampaignResponse.filter(campaign_id=campaign_id)
    if scope is not None:
        base = base.filter(scope)
    found = await tallies(base)
    return found.get(campaign_id, dict.fromkeys(("invited", *_STEPS), 0))


async def blocked_reasons(campaign_id: int, scope: Q | None = None) -> dict[str, int]:
    """Why invitations were dropped by the contact policy, with how many each."""
    base = CampaignResponse.filter(campaign_id=campaign_id, message__status=MessageStatus.DROPPED)
    if scope is not None:
        base = base.filter(scope)
    rows = (
        await base.annotate(n=Count("id"))
        .group_by("message__reason")
        .values_list("message__reason", "n")
    )
    return {str(reason): int(n) for reason, n in rows}


async def opened(token: str, *, clicked: bool) -> CampaignResponse:
    """Record that the link (or the e-mail's pixel) was opened; the first time counts."""
    moment = await clock.now()
    async with in_transaction():
        row = await CampaignResponse.filter(token=token).select_for_update().first()
        if row is None:
            raise NotFoundError("campaign link", token[:8])
        fields = []
        if row.opened_at is None:
            row.opened_at = moment
            fields.append("opened_at")
        if clicked and row.clicked_at is None:
            row.clicked_at = moment
            fields.append("clicked_at")
        if fields:
            await row.save(update_fields=fields)
    return row


# the invitations of a customer to a product still open to converting, sent (see `_sent`), with
# when and for how long: on every application submitted, so one plain statement (Tortoise built
# this query with its joins in about as much time as the rest of a submit's reads together)
_INVITATIONS = """
FROM campaign_response r
JOIN campaign c ON c.id = r.campaign_id
LEFT JOIN outbox_message m ON m.id = r.message_id
WHERE r.customer_id = :customer AND c.product_id = {product} AND r.converted_at IS NULL
  AND (r.sent_at IS NOT NULL OR m.status = :sent)
"""
_ANSWERED = "SELECT r.id, r.sent_at, m.sent_at AS message_sent_at, c.conversion_days" + (
    _INVITATIONS.format(product=":product")
)


def invited(product: str) -> str:
    """Whether the customer `:customer` has an invitation for the product whose id is the
    expression `product` that an application may answer, as an expression (one column more of
    a statement the submission sends anyway); its parameters: :customer and :sent
    (`INVITED_SENT`)."""
    return f"EXISTS (SELECT 1 {_INVITATIONS.format(product=product)})"


INVITED_SENT = MessageStatus.SENT.value


async def record_conversion(
    customer_id: int, product_id: int, application_id: int, *, invited: bool = True
) -> int:
    """Mark the invitations this application answers; returns how many converted.

    The business moment is read only when there is an invitation to answer (most
    applications answer none); `invited` False: the caller knows there is none (`invited`'s
    expression said so), nothing is read.
    """
    if not invited:
        return 0
    asked = {"customer": customer_id, "product": product_id, "sent": INVITED_SENT}
    _, rows = await sqltext.execute(_ANSWERED, asked)
    if not rows:
        return 0
    moment = await clock.now()
    stamp = CampaignResponse._meta.fields_map["sent_at"].to_python_value
    done = 0
    for row in rows:
        sent: datetime | None = stamp(row["sent_at"] or row["message_sent_at"])
        if sent is None:
            continue
        if utc(sent) <= moment <= utc(sent) + timedelta(days=int(row["conversion_days"])):
            done += await CampaignResponse.filter(id=row["id"], converted_at__isnull=True).update(
                converted_at=moment, application_id=application_id
            )
    return done


def summary(campaign: Campaign, figures: dict[str, int]) -> dict[str, Any]:
    """What the audit log keeps of a launch."""
    return {"code": campaign.code, "segment_id": campaign.segment_id,  # type: ignore[attr-defined]
            "product_id": campaign.product_id, **figures}  # type: ignore[attr-defined]  # fmt: skip
