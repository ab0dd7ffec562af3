"""Contacts with each customer: self-service, inquiries, outreach, reminders and collections."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.enums import Channel
from domain.interaction.models import (
    Direction,
    Interaction,
    InteractionChannel,
    InteractionType,
    Outcome,
)
from domain.loan.models import LoanStatus
from domain.seed.loans import LoanOutcome
from domain.seed.member import Member, Staff, daytime
from domain.seed.plans import Behaviour
from domain.seed.rows import Batch, Ids

C, T, R = InteractionChannel, InteractionType, Outcome
IN, OUT = Direction.INBOUND, Direction.OUTBOUND
_ONLINE_TEXTS = (
    "Checked the repayment schedule", "Downloaded a loan statement", "Updated the contact address",
    "Viewed the early repayment quote", "Changed the repayment bank card",
)  # fmt: skip
_INQUIRY_TEXTS = (
    "Asked how early repayment interest is calculated", "Asked about the next due date",
    "Asked for a settlement letter", "Asked whether a higher limit is available",
)  # fmt: skip
_COMPLAINTS = (
    "Complained about repeated reminder messages",
    "Disputed the amount of an installment",
)
_RATE_OBJECTION = "Offered a top-up loan; declined because a competing bank offers a lower rate"
_PUSH_CHANNELS = {Channel.SMS: C.SMS, Channel.APP_PUSH: C.APP_PUSH, Channel.EMAIL: C.EMAIL}


@dataclass(slots=True)
class Contact:
    """An interaction before it gets its id."""

    day: date
    channel: InteractionChannel
    direction: Direction
    type: InteractionType
    text: str
    agent_id: int | None = None
    loan_id: int | None = None
    outcome: Outcome | None = None
    promise_amount: Decimal | None = None
    promise_date: date | None = None


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _service(rng: random.Random, m: Member, staff: Staff, bd: date) -> list[Contact]:
    online_share = 0.8 if m.ident.preferred_channel in (Channel.APP_PUSH, Channel.EMAIL) else 0.25
    first, last = max(m.since, bd - timedelta(days=365)), bd - timedelta(days=1)
    loan_id = m.loans[-1][0] if m.loans else None
    cs1 = staff.ids["cs1"]
    contacts: list[Contact] = []
    for _ in range(rng.choices((0, 1, 2, 3, 4), (0.15, 0.25, 0.25, 0.2, 0.15))[0]):
        day = _day_between(rng, first, last)
        if rng.random() < online_share:
            m.online_contacts += 1
            channel = C.APP if rng.random() < 0.7 else C.WEB
            if rng.random() < 0.7:
                text = rng.choice(_ONLINE_TEXTS)
                contact = Contact(day, channel, IN, T.SELF_SERVICE, text, outcome=R.RESOLVED)
            else:
                text = rng.choice(_INQUIRY_TEXTS)
                contact = Contact(
                    day, channel, IN, T.INQUIRY, text, cs1, outcome=R.INFORMATION_GIVEN
                )
        else:
            m.offline_contacts += 1
            text = rng.choice(_INQUIRY_TEXTS)
            if rng.random() < 0.6:
                contact = Contact(
                    day, C.PHONE, IN, T.INQUIRY, text, cs1, outcome=R.INFORMATION_GIVEN
                )
            else:
                text, agent = f"At the branch: {text[0].lower()}{text[1:]}", m.manager_id
                contact = Contact(day, C.BRANCH, IN, T.VISIT, text, agent, outcome=R.RESOLVED)
        contact.loan_id = loan_id
        contacts.append(contact)
    if rng.random() < 0.05:
        channel = C.PHONE if rng.random() < 0.6 else C.EMAIL
        outcome = R.RESOLVED if rng.random() < 0.7 else R.CALLBACK_REQUESTED
        day = _day_between(rng, first, last)
        text = rng.choice(_COMPLAINTS)
        contacts.append(Contact(day, channel, IN, T.COMPLAINT, text, cs1, loan_id, outcome))
    if rng.random() < 0.2:
        day = _day_between(rng, first, last)
        if rng.random() < 0.35:
            text, outcome = _RATE_OBJECTION, R.OFFER_DECLINED_RATE
        else:
            text, outcome = "Courtesy call about current offers", R.INFORMATION_GIVEN
        contacts.append(Contact(day, C.PHONE, OUT, T.CALL, text, m.manager_id, None, outcome))
    return contacts


def _reminders(m: Member, bd: date) -> list[Contact]:
    channel = _PUSH_CHANNELS.get(m.ident.preferred_channel or Channel.SMS, C.SMS)
    offsets = (7, 3, 1, 0) if m.behaviour is Behaviour.LATE else (7, 3, 1)
    contacts: list[Contact] = []
    for loan_id, o in m.active:
        for s in o.states:
            if not bd - timedelta(days=7) < s.due_date <= bd + timedelta(days=7):
                continue
            paid = o.paid_on.get(s.seq, bd)
            text = f"Reminder: installment {s.seq} of {o.plan.term} is due on {s.due_date}"
            for offset in offsets:  # pre-due reminders, none once the installment is paid
                day = s.due_date - timedelta(days=offset)
                if o.plan.disbursed_on < day < min(paid, bd):
                    contacts.append(Contact(day, channel, OUT, T.MESSAGE, text, loan_id=loan_id))
    return contacts


def _overdue(o: LoanOutcome, bd: date) -> Decimal:
    return sum((s.outstanding for s in o.states if s.due_date < bd), Decimal("0.00"))


def _collections(rng: random.Random, m: Member, bd: date) -> list[Contact]:
    contacts: list[Contact] = []
    for loan_id, o in m.loans:
        if o.oldest_unpaid_due is None:
            continue
        start = o.oldest_unpaid_due + timedelta(days=1)
        end = bd - timedelta(days=1) if o.closed_on is None else o.closed_on
        if end < start:
            continue
        text = f"Overdue notice: the installment due on {o.oldest_unpaid_due} is unpaid"
        contacts.append(Contact(start, C.SMS, OUT, T.MESSAGE, text, loan_id=loan_id))
        if o.days_past_due > 60 or o.status is LoanStatus.CHARGED_OFF:
            day = _day_between(rng, start + timedelta(days=60), end)
            text = "Formal notice of overdue payment and its consequences"
            contacts.append(Contact(day, C.EMAIL, OUT, T.MESSAGE, text, loan_id=loan_id))
        collector = m.collectors.get(loan_id)
        if collector is not None:
            contacts.extend(_calls(rng, o, loan_id, collector, start, end, bd))
    return contacts


def _calls(
    rng: random.Random, o: LoanOutcome, loan_id: int, agent: int, start: date, end: date, bd: date
) -> list[Contact]:
    calls: list[Contact] = []
    promised = False
    for day in sorted(
        _day_between(rng, start, end) for _ in range(min(2 + (end - start).days // 15, 8))
    ):
        roll = rng.random()
        if not promised and roll < 0.3:
            promised = True
            owed = _overdue(o, bd)
            amount = owed if rng.random() < 0.6 else (owed / 2).quantize(Decimal("0.01"))
            when = day + timedelta(days=rng.randint(2, 10))
            text = f"Customer promised to pay {amount} by {when}"
            calls.append(
                Contact(
                    day, C.PHONE, OUT, T.CALL, text, agent, loan_id, R.PROMISE_TO_PAY, amount, when
                )
            )
            continue
        if roll < 0.7:
            text, outcome = "No answer", R.NO_ANSWER
        elif roll < 0.85 or o.days_past_due <= 60:
            text, outcome = "Asked to be called back later", R.CALLBACK_REQUESTED
        else:
            text, outcome = "Refused to pay", R.REFUSED_TO_PAY
        calls.append(Contact(day, C.PHONE, OUT, T.CALL, text, agent, loan_id, outcome))
    return calls


def interactions(
    rng: random.Random, m: Member, staff: Staff, bd: date, ids: Ids, batch: Batch
) -> None:
    """Every contact with a customer, in time order, within the contact-time window."""
    contacts = _service(rng, m, staff, bd) + _reminders(m, bd) + _collections(rng, m, bd)
    contacts.sort(key=lambda c: c.day)
    for c in contacts:
        if c.day >= bd:
            continue
        first_hour = 9 if c.direction is OUT else 7
        batch.add(
            Interaction,
            id=ids.take(Interaction),
            customer_id=m.id,
            loan_id=c.loan_id,
            agent_id=c.agent_id,
            channel=c.channel,
            direction=c.direction,
            type=c.type,
            text=c.text,
            outcome=c.outcome,
            promise_amount=c.promise_amount,
            promise_date=c.promise_date,
            occurred_at=daytime(rng, c.day, m.ident.time_zone, first_hour, 19),
        )
