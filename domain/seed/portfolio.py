"""One chunk of customers with everything that hangs off them, as unsaved rows."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.customer.models import Customer, CustomerExternalRef, CustomerTag
from domain.loan.delinquency import Bucket
from domain.loan.models import Loan
from domain.seed.activity import interactions
from domain.seed.lending import loan_rows, open_application
from domain.seed.loans import simulate
from domain.seed.member import Member, at_local, daytime, institution_zone, zone
from domain.seed.people import Keys, identity
from domain.seed.plans import BEHAVIOUR_WEIGHTS, BEHAVIOURS, Behaviour, plan_loans, target_ranges
from domain.seed.profile import (
    early_repayer,
    habitual_late,
    lifecycle,
    prefers_online,
    rfm_inputs,
    rfm_scores,
    risk_rating,
)
from domain.seed.records import campaign_responses, credit_reports, custom_values
from domain.seed.reference import Reference
from domain.seed.rows import Batch, Ids

EXTERNAL_SOURCE = "core_banking"


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a chunk needs: the one random stream, ids, reference rows and the date."""

    rng: random.Random
    business_date: date
    keys: Keys
    ids: Ids
    ref: Reference
    buckets: Sequence[Bucket]
    aims: list[int] = field(default_factory=list)  # the first delinquent customers cover all

    def __post_init__(self) -> None:
        self.aims.extend(range(len(target_ranges(self.buckets))))


def _member(ctx: Context, index: int, batch: Batch) -> Member:
    rng, bd, ids, ref = ctx.rng, ctx.business_date, ctx.ids, ctx.ref
    customer_id = ids.take(Customer)
    ident = identity(rng, index, customer_id, ctx.keys)
    behaviour = rng.choices(BEHAVIOURS, BEHAVIOUR_WEIGHTS)[0]
    plans = plan_loans(
        rng,
        kind=ident.kind,
        income=ident.monthly_income,
        behaviour=behaviour,
        business_date=bd,
        buckets=ctx.buckets,
        aim=ctx.aims.pop(0) if behaviour is Behaviour.DELINQUENT and ctx.aims else None,
    )
    plans.sort(key=lambda p: p.disbursed_on)
    home = zone(institution_zone())
    outcomes = [
        simulate(plan, rng, business_date=bd, zone=home, buckets=ctx.buckets) for plan in plans
    ]
    if plans:
        since = plans[0].disbursed_on - timedelta(days=rng.randint(12, 60))
    else:
        since = bd - timedelta(days=rng.randint(5, 90))
    m = Member(customer_id, ident, behaviour, since, ref.staff.manager_for(rng, ident.branch))
    m.loans = [(ids.take(Loan), outcome) for outcome in outcomes]
    for loan_id, o in m.active:
        if o.days_past_due > 30 or (o.days_past_due > 5 and rng.random() < 0.4):
            m.collectors[loan_id] = rng.choice(ref.staff.collectors)
    credit_reports(rng, m, bd, ids, batch)
    for loan_id, o in m.loans:
        loan_rows(
            rng, m, loan_id, o, product_ids=ref.product_ids, ids=ids, business_date=bd, batch=batch
        )
    if not m.loans or rng.random() < 0.06:
        open_application(
            rng, m, product_ids=ref.product_ids, ids=ids, business_date=bd, batch=batch
        )
    interactions(rng, m, ref.staff, bd, ids, batch)
    campaign_responses(rng, m, ref.campaigns, bd, ids, batch)
    custom_values(rng, m, ref.field_ids, ids, batch)
    tagged_at = at_local(bd, 6 * 3600, institution_zone())
    for name, why in (
        ("EARLY_REPAYER", early_repayer(m)),
        ("HABITUAL_LATE", habitual_late(m, bd)),
        ("PREFERS_ONLINE", prefers_online(m)),
    ):
        if why is not None:
            batch.add(
                CustomerTag,
                id=ids.take(CustomerTag),
                customer_id=m.id,
                tag_id=ref.tag_ids[name],
                explanation=why,
                created_at=tagged_at,
            )
    return m


def build_chunk(ctx: Context, indices: range) -> Batch:
    """Customers with these indexes (0-based over the whole seed) and all their rows."""
    batch = Batch()
    members = [_member(ctx, index, batch) for index in indices]
    bd = ctx.business_date
    # RFM quintiles are taken within the chunk: each chunk is a random sample of the portfolio.
    scores = rfm_scores([rfm_inputs(m, bd) for m in members])
    profiled_at = at_local(bd, 6 * 3600, institution_zone())
    for m, rfm in zip(members, scores, strict=True):
        ident = m.ident
        created_at = daytime(ctx.rng, m.since, ident.time_zone)
        batch.add(
            Customer,
            id=m.id,
            kind=ident.kind,
            name=ident.name,
            id_type=ident.id_type,
            id_number=ident.id_number,
            phone=ident.phone,
            email=ident.email,
            birth_date=ident.birth_date,
            address=ident.address,
            time_zone=ident.time_zone,
            monthly_income=ident.monthly_income,
            branch=ident.branch,
            account_manager_id=m.manager_id,
            preferred_channel=ident.preferred_channel,
            consent_sms=ident.consent_sms,
            consent_app_push=ident.consent_app_push,
            consent_email=ident.consent_email,
            consent_phone=ident.consent_phone,
            risk_rating=risk_rating(m, bd),
            lifecycle_stage=lifecycle(m, bd),
            rfm_recency=rfm[0] if rfm else None,
            rfm_frequency=rfm[1] if rfm else None,
            rfm_monetary=rfm[2] if rfm else None,
            rfm_segment=rfm[3] if rfm else None,
            created_at=created_at,
            updated_at=max(created_at, profiled_at),
        )
        batch.add(
            CustomerExternalRef,
            id=ctx.ids.take(CustomerExternalRef),
            customer_id=m.id,
            source=EXTERNAL_SOURCE,
            external_id=f"CB-{m.id:06d}",
        )
    return batch
