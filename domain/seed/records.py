"""Bureau reports, campaign responses and custom field values of one customer."""

import random
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.campaign.models import CampaignResponse
from domain.credit.models import CreditReport
from domain.customfield.models import CustomFieldValue
from domain.enums import Channel, CustomerKind
from domain.seed import catalog
from domain.seed.catalog import CampaignSpec
from domain.seed.member import Member, at_local, daytime, institution_zone
from domain.seed.plans import Behaviour
from domain.seed.rows import Batch, Ids

_START = {
    "ON_TIME": (700, 40),
    "EARLY": (720, 40),
    "LATE": (660, 40),
    "DELINQUENT": (650, 45),
    "CHARGED_OFF": (620, 40),
}
_WECHAT_CHARS = string.ascii_lowercase + string.digits


def _clip(score: float) -> int:
    return int(min(max(round(score), 350), 850))


def _score_path(rng: random.Random, m: Member) -> tuple[float, float]:
    if not m.loans:
        start = rng.gauss(620, 80)
        return start, start + rng.gauss(0, 10)
    mean, sd = _START[m.behaviour]
    start = rng.gauss(mean, sd)
    if m.behaviour is Behaviour.DELINQUENT:
        return start, start - 40 - min(m.max_dpd, 360) / 3 + rng.gauss(0, 20)
    if m.behaviour is Behaviour.CHARGED_OFF:
        return start, rng.gauss(450, 40)
    drift = {"ON_TIME": 10.0, "EARLY": 15.0, "LATE": -10.0}[m.behaviour]
    return start, start + rng.gauss(drift, 15)


def credit_reports(rng: random.Random, m: Member, bd: date, ids: Ids, batch: Batch) -> None:
    """1-3 bureau reports, the first when the customer first applied; scores follow behaviour."""
    count = rng.choices((1, 2, 3), (0.4, 0.35, 0.25))[0]
    first = m.loans[0][1].plan.disbursed_on - timedelta(days=10) if m.loans else m.since
    first = max(first, m.since)
    last = bd - timedelta(days=1)
    later = (rng.randint(0, max((last - first).days, 0)) for _ in range(count - 1))
    days = [first, *sorted(first + timedelta(days=offset) for offset in later)]
    start, end = _score_path(rng, m)
    troubled = m.behaviour in (Behaviour.DELINQUENT, Behaviour.CHARGED_OFF)
    stopped = min((o.plan.stop_from for _, o in m.loans if o.plan.stop_from), default=None)
    for step, day in enumerate(days):
        share = step / (count - 1) if count > 1 else 1.0
        score = _clip(start + (end - start) * share + rng.gauss(0, 8))
        m.scores.append((day, score))
        bureau = "PBOC" if rng.random() < 0.7 else "Baihang"
        report_id = ids.take(CreditReport)
        late = troubled and stopped is not None and day > stopped
        debt = float(m.outstanding) * rng.uniform(0.9, 1.3)
        debt += float(m.ident.monthly_income) * rng.uniform(0, 8)
        batch.add(
            CreditReport,
            id=report_id,
            customer_id=m.id,
            bureau=bureau,
            score=score,
            pulled_at=daytime(rng, day, institution_zone(), 8, 18),
            total_debt=Decimal(int(debt / 100) * 100).quantize(Decimal("0.01")),
            open_accounts=len(m.active) + rng.randint(0, 3),
            delinquencies=rng.randint(1, 3) if late else 0,
            inquiries=rng.randint(0, 3) + (3 if troubled else 0),
            details={
                "report_no": f"{bureau.upper()}-{day:%Y%m%d}-{report_id:08d}",
                "model": "PBOC-CR-2.0" if bureau == "PBOC" else "BH-SCORE-3",
                "grade": "ABCDE"[min(max((800 - score) // 70, 0), 4)],
            },
        )
    m.scores.sort()


@dataclass(frozen=True, slots=True)
class CampaignRef:
    """A campaign row the seed created or found."""

    id: int
    spec: CampaignSpec
    starts_on: date
    ends_on: date


def _eligible(m: Member, spec: CampaignSpec) -> float:
    consent = {
        Channel.SMS: m.ident.consent_sms,
        Channel.APP_PUSH: m.ident.consent_app_push,
        Channel.EMAIL: m.ident.consent_email,
        Channel.PHONE: m.ident.consent_phone,
    }[spec.channel]
    if not consent:
        return 0.0  # marketing only with consent for the channel
    business = m.ident.kind is CustomerKind.BUSINESS
    if spec.product_code == "SME":
        return 0.7 if business else 0.0
    if spec.product_code == "CONSUMER":
        good = m.behaviour in (Behaviour.ON_TIME, Behaviour.EARLY)
        has = any(o.plan.product.code == "CONSUMER" for _, o in m.loans)
        return 0.6 if good and has else 0.0
    return 0.0 if business else 0.25


def campaign_responses(
    rng: random.Random, m: Member, campaigns: list[CampaignRef], bd: date, ids: Ids, batch: Batch
) -> None:
    """Sent, then fewer opened, clicked and converted, in time order and before the date."""
    cutoff = at_local(bd, 0, m.ident.time_zone)
    for campaign in campaigns:
        if rng.random() >= _eligible(m, campaign.spec):
            continue
        first = max(campaign.starts_on, m.since)
        last = min(campaign.ends_on, bd - timedelta(days=1))
        if last < first:
            continue
        sent = daytime(
            rng,
            first + timedelta(days=rng.randint(0, (last - first).days)),
            m.ident.time_zone,
            10,
            18,
        )
        opened = clicked = converted = None
        if rng.random() < 0.45:
            opened = _before(sent + timedelta(seconds=rng.randint(300, 172800)), cutoff)
        if opened and rng.random() < 0.35:
            clicked = _before(opened + timedelta(seconds=rng.randint(30, 1800)), cutoff)
        if clicked and rng.random() < 0.25:
            converted = _before(clicked + timedelta(days=rng.randint(1, 10)), cutoff)
        batch.add(
            CampaignResponse,
            id=ids.take(CampaignResponse),
            campaign_id=campaign.id,
            customer_id=m.id,
            sent_at=sent,
            opened_at=opened,
            clicked_at=clicked,
            converted_at=converted,
        )


def _before(moment: datetime, cutoff: datetime) -> datetime | None:
    return moment if moment < cutoff else None


def custom_values(
    rng: random.Random, m: Member, fields: dict[str, int], ids: Ids, batch: Batch
) -> None:
    """Occupation and WeChat ID for many people, employee count for most businesses."""
    values: list[tuple[str, str, Decimal | None]] = []
    if m.ident.kind is CustomerKind.BUSINESS:
        if rng.random() < 0.8:
            staff = rng.randint(3, 300)
            values.append(("employee_count", str(staff), Decimal(staff)))
    else:
        if rng.random() < 0.7:
            values.append(("occupation", rng.choice(catalog.OCCUPATIONS), None))
        if rng.random() < 0.4:
            handle = "wxid_" + "".join(rng.choices(_WECHAT_CHARS, k=10))
            values.append(("wechat_id", handle, None))
    for name, text, number in values:
        batch.add(
            CustomFieldValue,
            id=ids.take(CustomFieldValue),
            customer_id=m.id,
            field_id=fields[name],
            value_text=text,
            value_number=number,
        )
