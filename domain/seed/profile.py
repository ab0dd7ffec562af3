"""Profile fields derived from the generated behaviour: tags, risk, lifecycle and RFM.

Profiling proper recomputes these later; the seed sets consistent starting values so that the
demo is not random noise. Each rule is stated in the tag explanation it produces.
"""

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.enums import LifecycleStage, RiskRating
from domain.loan.models import LoanStatus
from domain.loan.schedule import add_months
from domain.seed.member import Member

_ZERO = Decimal("0.00")


def early_repayer(m: Member) -> str | None:
    """EARLY_REPAYER when at least two payments prepaid principal; the explanation, else None."""
    prepaid = [
        (p.paid_on, p.principal_prepaid, loan_id)
        for loan_id, o in m.loans
        for p in o.payments
        if p.principal_prepaid > 0
    ]
    if len(prepaid) < 2:
        return None
    total = sum((amount for _, amount, _ in prepaid), _ZERO)
    last_day, last_amount, last_loan = max(prepaid)
    return (
        f"Rule: at least 2 payments larger than what was due (principal prepaid). Inputs: "
        f"{len(prepaid)} such payments, {total} prepaid in total; latest {last_amount} on "
        f"{last_day} (loan {last_loan})."
    )


def habitual_late(m: Member, bd: date) -> str | None:
    """HABITUAL_LATE when 3 of the last 6 installments due were paid 1-5 days late."""
    due = sorted(
        (
            (s.due_date, loan_id, s.seq, o.paid_on.get(s.seq))
            for loan_id, o in m.loans
            for s in o.states
            if s.due_date < bd
        ),
        reverse=True,
    )[:6]
    late = [
        (d, loan, seq, (paid - d).days)
        for d, loan, seq, paid in due
        if paid is not None and 1 <= (paid - d).days <= 5
    ]
    if len(late) < 3:
        return None
    listed = ", ".join(f"loan {loan} #{seq} due {d} +{days}d" for d, loan, seq, days in late)
    return (
        f"Rule: at least 3 of the last 6 installments due paid 1-5 days late. Inputs: "
        f"{len(late)} of the last {len(due)}: {listed}."
    )


def prefers_online(m: Member) -> str | None:
    """PREFERS_ONLINE when more than half of at least 2 self-service contacts were online."""
    total = m.online_contacts + m.offline_contacts
    if total < 2 or m.online_contacts * 2 <= total:
        return None
    return (
        f"Rule: more than half of at least 2 self-service contacts online (APP/WEB). Inputs: "
        f"{m.online_contacts} of {total} online, {m.offline_contacts} by phone or at a branch."
    )


def worst_dpd(m: Member, bd: date, days: int = 365) -> int:
    """The most days any installment due in the window was (or is) paid late."""
    since = bd - timedelta(days=days)
    worst = 0
    for _, o in m.loans:
        for s in o.states:
            if since <= s.due_date < bd:
                paid = o.paid_on.get(s.seq)
                end = paid if paid is not None else (o.closed_on or bd)
                worst = max(worst, (end - s.due_date).days)
    return worst


def debt_to_income(m: Member, bd: date) -> Decimal:
    """Next installment of every active loan over monthly income."""
    monthly = _ZERO
    for _, o in m.active:
        upcoming = [s for s in o.states if s.due_date >= bd]
        if upcoming:
            monthly += upcoming[0].principal_due + upcoming[0].interest_due
    income = m.ident.monthly_income
    return (monthly / income).quantize(Decimal("0.01")) if income > 0 else Decimal(1)


def risk_rating(m: Member, bd: date) -> RiskRating:
    """From current and 12-month worst DPD, debt to income and the latest bureau score."""
    score = m.scores[-1][1] if m.scores else 650
    current, worst, dti = m.max_dpd, worst_dpd(m, bd), debt_to_income(m, bd)
    charged_off = any(o.status is LoanStatus.CHARGED_OFF for _, o in m.loans)
    if current > 90 or score < 500 or charged_off:
        return RiskRating.VERY_HIGH
    if current > 30 or worst > 60 or dti > Decimal("0.7") or score < 580:
        return RiskRating.HIGH
    if current > 0 or worst > 5 or dti > Decimal("0.45") or score < 660:
        return RiskRating.MEDIUM
    return RiskRating.LOW


def lifecycle(m: Member, bd: date) -> LifecycleStage:
    """NEW, GROWTH, STABLE, CHURN_WARNING or LOST from loans and recent activity."""
    if not m.loans:
        return LifecycleStage.NEW
    if any(o.status is LoanStatus.CHARGED_OFF for _, o in m.loans):
        return LifecycleStage.LOST
    first = min(o.plan.disbursed_on for _, o in m.loans)
    if m.active:
        if m.max_dpd > 90:
            return LifecycleStage.CHURN_WARNING
        if (bd - first).days < 90:
            return LifecycleStage.NEW
        if (bd - first).days >= 730 or len(m.loans) >= 3:
            return LifecycleStage.STABLE
        return LifecycleStage.GROWTH
    last = max(o.closed_on or o.plan.disbursed_on for _, o in m.loans)
    return LifecycleStage.CHURN_WARNING if (bd - last).days <= 180 else LifecycleStage.LOST


@dataclass(frozen=True, slots=True)
class RfmInputs:
    """Raw RFM values over 24 months: days since, count, and interest and fees earned."""

    recency_days: int | None
    frequency: int
    monetary: Decimal


def rfm_inputs(m: Member, bd: date) -> RfmInputs | None:
    """Raw RFM values; None for customers who never borrowed."""
    if not m.loans:
        return None
    since = add_months(bd, -24)
    events: list[date] = []
    earned = _ZERO
    for _, o in m.loans:
        if o.plan.disbursed_on >= since:
            events.append(o.plan.disbursed_on)
        for p in o.payments:
            if p.paid_on >= since:
                earned += sum((line.interest + line.fee for line in p.lines), _ZERO)
                if p.on_time:
                    events.append(p.paid_on)
    recency = (bd - max(events)).days if events else None
    return RfmInputs(recency, len(events), earned)


def _quintile(sorted_values: Sequence[float], value: float) -> int:
    return 1 + bisect_left(sorted_values, value) * 5 // len(sorted_values)


def rfm_scores(inputs: Sequence[RfmInputs | None]) -> list[tuple[int, int, int, str] | None]:
    """Score each 1-5 by quintile over the customers with activity (5 best), plus the segment."""
    active = [i for i in inputs if i is not None and i.recency_days is not None]
    recency = sorted(-float(i.recency_days or 0) for i in active)
    frequency = sorted(float(i.frequency) for i in active)
    monetary = sorted(float(i.monetary) for i in active)
    scored: list[tuple[int, int, int, str] | None] = []
    for i in inputs:
        if i is None:
            scored.append(None)
        elif i.recency_days is None:
            scored.append((1, 1, 1, segment(1, 1, 1)))
        else:
            r = _quintile(recency, -float(i.recency_days))
            f = _quintile(frequency, float(i.frequency))
            mo = _quintile(monetary, float(i.monetary))
            scored.append((r, f, mo, segment(r, f, mo)))
    return scored


def segment(r: int, f: int, m: int) -> str:
    """The named RFM segment of three 1-5 scores."""
    rules: tuple[tuple[bool, str], ...] = (
        (r >= 4 and f >= 4 and m >= 4, "Champions"),
        (r >= 3 and f >= 4 and m >= 3, "Loyal"),
        (r <= 2 and f >= 4 and m >= 4, "Can't lose them"),
        (r <= 2 and f >= 3, "At risk"),
        (r >= 4 and f >= 2, "Potential loyalist"),
        (r == 5 and f == 1, "New"),
        (r == 4 and f == 1, "Promising"),
        (r == 3 and f >= 2, "Need attention"),
        (r == 3, "About to sleep"),
        (r == 2, "Hibernating"),
    )
    return next((name for matched, name in rules if matched), "Lost")
