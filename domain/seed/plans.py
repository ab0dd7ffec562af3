"""What each customer borrows and how they will repay: products, amounts, dates, behaviour."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.enums import CustomerKind
from domain.loan.delinquency import Bucket
from domain.loan.schedule import add_months
from domain.seed.catalog import PRODUCTS, ProductSpec

CHARGE_OFF_DPD = 360
_PRODUCT = {p.code: p for p in PRODUCTS}
_LOAN_COUNTS, _LOAN_COUNT_WEIGHTS = (0, 1, 2, 3, 4), (0.06, 0.6, 0.24, 0.07, 0.03)
# Delinquent customers aim at one bucket above M0; the default M1..M7 get these weights.
_TARGET_WEIGHTS = (0.28, 0.16, 0.12, 0.1, 0.09, 0.08, 0.17)


class Behaviour(StrEnum):
    """How a customer repays."""

    ON_TIME = "ON_TIME"
    EARLY = "EARLY"  # prepays principal on at least two payments
    LATE = "LATE"  # pays most installments 1-5 days late
    DELINQUENT = "DELINQUENT"  # stopped paying; aimed at one delinquency bucket
    CHARGED_OFF = "CHARGED_OFF"  # stopped paying long ago; written off after 360 DPD


BEHAVIOURS = tuple(Behaviour)
BEHAVIOUR_WEIGHTS = (0.60, 0.13, 0.13, 0.125, 0.015)
_RISKINESS = {"ON_TIME": 0.2, "EARLY": 0.1, "LATE": 0.5, "DELINQUENT": 0.8, "CHARGED_OFF": 0.9}
LATE_SHARE = {"ON_TIME": 0.03, "EARLY": 0.0, "LATE": 0.75, "DELINQUENT": 0.15, "CHARGED_OFF": 0.2}
MISS_SHARE = {
    "ON_TIME": 0.015,
    "EARLY": 0.0,
    "LATE": 0.03,
    "DELINQUENT": 0.05,
    "CHARGED_OFF": 0.05,
}


@dataclass(slots=True)
class LoanPlan:
    """What was lent and how the customer will behave on it."""

    product: ProductSpec
    principal: Decimal
    annual_rate: Decimal
    term: int
    disbursed_on: date
    behaviour: Behaviour
    stop_from: date | None = None  # installments due from this date on are not paid
    prepay_seqs: frozenset[int] = frozenset()
    payoff_seq: int | None = None


def target_ranges(buckets: Sequence[Bucket]) -> list[tuple[int, int]]:
    """The DPD ranges delinquent customers aim at: every bucket above 0, capped at charge-off.

    The upper ends are 3 days short: a due date clamped to a month end (31st to 28th) can put
    the unpaid installment up to 3 days earlier than aimed.
    """
    ranges = []
    for b in buckets:
        if b.min_dpd > 0:
            high = min(b.max_dpd or CHARGE_OFF_DPD, CHARGE_OFF_DPD)
            ranges.append((b.min_dpd, max(b.min_dpd, high - 3)))
    return ranges


def _money(value: float, step: int) -> Decimal:
    return Decimal(max(int(value / step), 1) * step).quantize(Decimal("0.01"))


def new_plan(
    rng: random.Random, kind: CustomerKind, income: Decimal, behaviour: Behaviour, disbursed: date
) -> LoanPlan:
    """A product, amount, rate and term that fit the customer's kind, income and riskiness."""
    if kind is CustomerKind.BUSINESS:
        product = _PRODUCT["SME" if rng.random() < 0.8 else "CREDIT_LINE_MICRO"]
    else:
        product = _PRODUCT[rng.choices(("CONSUMER", "AUTO", "CREDIT_LINE_MICRO"), (7, 2, 1))[0]]
    monthly = float(income)
    if product.code == "CONSUMER":
        amount = _money(monthly * rng.uniform(1, 10), 1000)
    elif product.code == "AUTO":
        amount = _money(rng.uniform(50000, 150000) + monthly * rng.uniform(2, 12), 1000)
    elif product.code == "SME":
        amount = _money(monthly * rng.uniform(0.5, 3), 10000)
    else:
        amount = _money(rng.uniform(2000, 50000), 500)
    amount = min(max(amount, product.min_amount), product.max_amount)
    spread = min(rng.random() * 0.6 + _RISKINESS[behaviour] * 0.4, 1.0)
    rate = (
        product.min_rate
        + (product.max_rate - product.min_rate) * Decimal(int(spread * 1e4)) / 10000
    )
    term = rng.choices(product.terms, product.term_weights)[0]
    return LoanPlan(product, amount, rate.quantize(Decimal("0.0001")), term, disbursed, behaviour)


def plan_loans(
    rng: random.Random,
    *,
    kind: CustomerKind,
    income: Decimal,
    behaviour: Behaviour,
    business_date: date,
    buckets: Sequence[Bucket],
    aim: int | None = None,
) -> list[LoanPlan]:
    """0-4 loans disbursed 1-36 months ago; delinquent ones stop paying at an aimed date.

    A delinquent customer aims at the DPD range `aim` of `target_ranges`, or at a random one.
    """
    oldest = business_date - timedelta(days=1095)
    count = rng.choices(_LOAN_COUNTS, _LOAN_COUNT_WEIGHTS)[0]
    if behaviour not in (Behaviour.ON_TIME, Behaviour.LATE):
        count = max(count, 1)
    stop_from: date | None = None
    plans: list[LoanPlan] = []
    if behaviour in (Behaviour.DELINQUENT, Behaviour.CHARGED_OFF):
        if behaviour is Behaviour.CHARGED_OFF:
            dpd = rng.randint(CHARGE_OFF_DPD + 40, 900)
        else:
            ranges = target_ranges(buckets)
            weights = _TARGET_WEIGHTS if len(ranges) == len(_TARGET_WEIGHTS) else None
            low, high = ranges[aim] if aim is not None else rng.choices(ranges, weights)[0]
            dpd = rng.randint(low, high)
        anchor_due = business_date - timedelta(days=dpd)
        anchor = new_plan(rng, kind, income, behaviour, anchor_due)
        longest = max((anchor_due - oldest).days // 31, 1)
        months = rng.randint(1, min(longest, max(anchor.product.terms)))
        longer = [t for t in anchor.product.terms if t >= months]
        anchor.term = rng.choice(longer)
        anchor.disbursed_on = add_months(anchor_due, -months)
        stop_from = add_months(anchor.disbursed_on, months)
        anchor.stop_from = stop_from
        plans.append(anchor)
        count -= 1
    for _ in range(count):
        latest = business_date - timedelta(days=30)
        if stop_from is not None:
            latest = min(latest, stop_from - timedelta(days=31))
        if behaviour is Behaviour.EARLY and not plans:
            latest = business_date - timedelta(days=240)  # old enough to have prepaid twice
        if latest <= oldest:
            break
        # A growing book: recent vintages are larger than old ones.
        disbursed = latest - timedelta(days=int((latest - oldest).days * rng.random() ** 1.6))
        plan = new_plan(rng, kind, income, behaviour, disbursed)
        plan.stop_from = stop_from
        plans.append(plan)
    if behaviour is Behaviour.EARLY:  # prepays 2-3 times on the first loan, may pay any off
        for number, plan in enumerate(plans):
            elapsed = (business_date - plan.disbursed_on).days // 31
            candidates = list(range(2, min(plan.term - 1, elapsed) + 1))
            picked = sorted(rng.sample(candidates, min(len(candidates), rng.randint(2, 3))))
            plan.prepay_seqs = frozenset(picked if number == 0 else ())
            later = [s for s in candidates if number > 0 or not picked or s > picked[-1] + 1]
            if later and rng.random() < 0.35:
                plan.payoff_seq = rng.choice(later)
    return plans
