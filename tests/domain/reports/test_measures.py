"""Dashboard measures against independent computations over a hand-built portfolio."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.expressions import Q

from domain.application.models import Application, ApplicationChannel, ApplicationStatus
from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.loan.models import Installment, Loan, LoanStatus
from domain.loan.service import refresh_delinquency
from domain.outreach.models import MessagePurpose, MessageStatus, OutboxMessage
from domain.process.models import ProcessDefinition, ProcessInstance, WorkTask
from domain.product.models import Product
from domain.reports import measures, snapshots
from domain.reports.models import LoanMonthEnd, LoanMonthSummary
from tests import factories
from tests.conftest import TODAY

ALL = measures.Filters()


async def _paid_through(loan: Loan, last_due: date, late_days: int = 0) -> None:
    for row in await Installment.filter(loan_id=loan.id, due_date__lte=last_due):
        row.paid_on = row.due_date + timedelta(days=late_days)
        row.principal_paid, row.interest_paid = row.principal_due, row.interest_due
        await row.save()


async def _portfolio() -> dict[str, Loan]:
    """Loans in several buckets, branches and products, with a payment history."""
    bj = await factories.customer("北京甲", phone="13900000001", branch="BJ01")
    bj2 = await factories.customer("北京乙", phone="13900000002", branch="BJ01")
    sh = await factories.customer("上海甲", phone="13900000003", branch="SH01")
    sh2 = await factories.customer("上海乙", phone="13900000004", branch="SH01")
    loans = {
        # current: paid everything due (installments on the 15th)
        "current": await factories.loan(bj, principal="24000.00", disbursed_on=date(2025, 12, 15)),
        # paid to 2026-04-15, 05-15 unpaid: 31 days past due on 06-15 (M2)
        "m2": await factories.loan(bj2, principal="12000.00", disbursed_on=date(2025, 12, 15)),
        # paid to 2026-02-15: 03-15 unpaid, 92 days (M4, default)
        "m4": await factories.loan(sh, principal="36000.00", disbursed_on=date(2025, 12, 15),
                                   code="SME"),
        # was late in April, caught up in May: cured
        "cured": await factories.loan(sh2, principal="6000.00", disbursed_on=date(2025, 12, 15)),
    }  # fmt: skip
    await _paid_through(loans["current"], TODAY)
    await _paid_through(loans["m2"], date(2026, 4, 15))
    await _paid_through(loans["m4"], date(2026, 2, 15))
    await _paid_through(loans["cured"], date(2026, 3, 15))
    for row in await Installment.filter(loan_id=loans["cured"].id,
                                        due_date__in=[date(2026, 4, 15), date(2026, 5, 15)]):  # fmt: skip
        row.paid_on = date(2026, 5, 20)
        await row.save()
    for loan in loans.values():
        owed = sum(
            (i.principal_due for i in await Installment.filter(loan_id=loan.id, paid_on=None)),
            Decimal(0),
        )
        await Loan.filter(id=loan.id).update(outstanding_principal=owed)
    await refresh_delinquency(TODAY)
    return {k: await Loan.get(id=v.id) for k, v in loans.items()}


def _ask(dimension: str, filters: measures.Filters = ALL) -> measures.Ask:
    return measures.Ask(dimension, filters, None, TODAY)


async def test_outstanding_by_every_dimension_matches_the_loans(db: str) -> None:
    await _portfolio()
    active = await Loan.filter(status=LoanStatus.ACTIVE).prefetch_related("customer", "product")
    for dimension, key_of in (
        ("bucket", lambda loan: loan.bucket),
        ("branch", lambda loan: loan.customer.branch),
        ("product", lambda loan: loan.product.code),
        ("month", lambda loan: f"{loan.disbursed_on:%Y-%m}"),
    ):
        expected: defaultdict[str, Decimal] = defaultdict(Decimal)
        counts: defaultdict[str, int] = defaultdict(int)
        for loan in active:
            expected[key_of(loan)] += loan.outstanding_principal
            counts[key_of(loan)] += 1
        got = await measures.outstanding(_ask(dimension))
        assert {p.key: p.value for p in got} == dict(expected), dimension
        assert {p.key: p.count for p in got} == dict(counts), dimension
    assert [p.key for p in await measures.outstanding(_ask("bucket"))] == ["M0", "M2", "M4"]


async def test_default_rate_is_the_share_of_balance_ninety_days_past_due(db: str) -> None:
    loans = await _portfolio()
    assert loans["m4"].days_past_due == 92 and loans["m2"].bucket == "M2"
    by_branch = {p.key: p.value for p in await measures.default_rate(_ask("branch"))}
    sh_total = loans["m4"].outstanding_principal + loans["cured"].outstanding_principal
    assert by_branch == {"BJ01": 0.0, "SH01": float(loans["m4"].outstanding_principal / sh_total)}
    only_sme = measures.Filters(product_code="SME")
    assert {p.key: p.value for p in await measures.default_rate(_ask("branch", only_sme))} == {
        "SH01": 1.0
    }


async def _position(loan: Loan, day: date) -> tuple[str, Decimal]:
    """Bucket and balance at a month end, worked out by hand from the schedule."""
    rows = await Installment.filter(loan_id=loan.id).order_by("seq")
    late = [r.due_date for r in rows if r.due_date < day and (r.paid_on is None or r.paid_on > day)]
    dpd = (day - min(late)).days if late else 0
    bucket = next(name for name, low, high in (("M0", 0, 0), ("M1", 1, 30), ("M2", 31, 60),
                  ("M3", 61, 90), ("M4", 91, 120), ("M5", 121, 150), ("M6", 151, 180),
                  ("M7", 181, 10**6)) if low <= dpd <= high)  # fmt: skip
    owed = sum((r.principal_due for r in rows if r.paid_on is None or r.paid_on > day), Decimal(0))
    return bucket, owed


async def test_roll_and_cure_rates_follow_month_end_positions(db: str) -> None:
    loans = await _portfolio()
    made = await snapshots.ensure(TODAY)
    assert made == {"months": 6, "rows": 24}  # December to May, four loans
    assert await snapshots.ensure(TODAY) == {"months": 0, "rows": 0}  # once per month end
    ends = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    positions = {end: {k: await _position(loan, end) for k, loan in loans.items()} for end in ends}
    for end in ends:
        stored = {r.loan_id: (r.bucket, r.outstanding)  # type: ignore[attr-defined]
                  for r in await LoanMonthEnd.filter(month_end=end)}  # fmt: skip
        assert stored == {loans[k].id: v for k, v in positions[end].items()}, end
    # independent roll rates from the hand-made positions, per from-bucket and month
    expected_roll: dict[tuple[str, str], float] = {}
    expected_cure: dict[tuple[str, str], float] = {}
    order = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7"]
    for before, after in itertools.pairwise(ends):
        for i, name in enumerate(order[:-1]):
            held = [k for k, (b, _) in positions[before].items() if b == name]
            whole = sum((positions[before][k][1] for k in held), Decimal(0))
            if not whole:
                continue
            rolled = sum((positions[before][k][1] for k in held
                          if positions[after][k][0] == order[i + 1]), Decimal(0))  # fmt: skip
            expected_roll[(name, f"{after:%Y-%m}")] = float(rolled / whole)
            if name != "M0":
                cured = sum((positions[before][k][1] for k in held
                             if positions[after][k][0] == "M0"), Decimal(0))  # fmt: skip
                expected_cure[(name, f"{after:%Y-%m}")] = float(cured / whole)
    window = measures.Filters(date_from=date(2026, 3, 31), date_to=date(2026, 5, 31))
    got_roll = {
        (p.key, p.series): p.value for p in await measures.roll_rate(_ask("bucket", window))
    }
    got_cure = {
        (p.key, p.series): p.value for p in await measures.cure_rate(_ask("bucket", window))
    }
    assert {k: v for k, v in got_roll.items() if v is not None} == expected_roll
    assert {k: v for k, v in got_cure.items() if v is not None} == expected_cure
    assert expected_cure[("M1", "2026-05")] == 1.0  # the loan that caught up in May
    # the portfolio-wide rates came from the summaries; a scope that sees every customer
    # reads the positions themselves, and finds the same
    assert await LoanMonthSummary.filter(month_end=ends[-1]).count() > 0
    everyone = measures.Ask("bucket", window, Q(id__gte=0), TODAY)
    assert [(p.key, p.series, p.value, p.count) for p in await measures.roll_rate(everyone)] == [
        (p.key, p.series, p.value, p.count)
        for p in await measures.roll_rate(_ask("bucket", window))
    ]
    assert await measures.cure_rate(everyone) == await measures.cure_rate(_ask("bucket", window))
    # and month ends kept before summaries were get theirs at the next run
    await LoanMonthSummary.all().delete()
    assert await snapshots.ensure(TODAY) == {"months": 0, "rows": 0}
    assert await measures.roll_rate(_ask("bucket", window)) == await measures.roll_rate(everyone)


async def test_the_funnel_decision_times_and_no_human_share(db: str) -> None:
    owner = await factories.customer("申请人", phone="13900000009", branch="BJ01")
    product = await factories.product("CONSUMER")
    submitted = datetime(2026, 6, 1, 9, tzinfo=UTC)
    cases = [  # (status, lane, hours to decision, had a person's task)
        (ApplicationStatus.SUBMITTED, None, None, False),
        (ApplicationStatus.DECLINED, "ENHANCED", 30, True),
        (ApplicationStatus.APPROVED, "STANDARD", 10, True),
        (ApplicationStatus.CONTRACTED, "FAST", 0.5, False),
        (ApplicationStatus.DISBURSED, "FAST", 1, False),
        (ApplicationStatus.DISBURSED, "STANDARD", 20, True),
    ]
    definition = await ProcessDefinition.create(
        process_id="credit_approval", version=1, name="x", bpmn_xml="<x/>", dmn_xmls=[],
        content_hash="h" * 64, deployed_by="t", deployed_at=submitted,
    )  # fmt: skip
    for n, (status, lane, hours, human) in enumerate(cases):
        made = await Application.create(
            customer_id=owner.id, product_id=product.id, channel=ApplicationChannel.APP,
            amount=Decimal("10000"), term_months=12, status=status, risk_lane=lane,
            submitted_at=submitted,
            decided_at=None if hours is None else submitted + timedelta(hours=hours),
        )  # fmt: skip
        instance = await ProcessInstance.create(definition_id=definition.id,
                                                business_key=f"application:{made.id}")  # fmt: skip
        if human:
            await WorkTask.create(instance_id=instance.id, task_id=f"t{n}", element_id="review")
    stages = {p.key: p.value for p in await measures.funnel(_ask("stage"))}
    assert stages == {"submitted": 6, "approved": 4, "contracted": 3, "disbursed": 2}
    by_lane = {(p.key, p.series): p.value for p in await measures.funnel(_ask("lane"))}
    assert by_lane[("FAST", "disbursed")] == 1 and by_lane[("STANDARD", "approved")] == 2
    hours = {(p.key, p.series): p.value for p in await measures.decision_hours(_ask("lane"))}
    assert hours[("STANDARD", "median")] == 15.0  # 10 and 20
    assert hours[("STANDARD", "p90")] == 19.0  # 10 + 0.9 * (20 - 10)
    assert hours[("FAST", "median")] == 0.75
    alone = {p.key: p.value for p in await measures.no_human_share(_ask("lane"))}
    assert alone == {"ENHANCED": 0.0, "FAST": 1.0, "STANDARD": 0.0}
    assert {p.key: p.value for p in await measures.no_human_share(_ask("product"))} == {
        "CONSUMER": 0.4
    }
    assert await Product.exists(code="CONSUMER")


async def test_blocked_messages_and_reminder_reach(db: str) -> None:
    owner = await factories.customer("消息", phone="13900000010")
    rows = [
        (MessagePurpose.REMINDER, MessageStatus.SENT, None),
        (MessagePurpose.REMINDER, MessageStatus.SENT, None),
        (MessagePurpose.REMINDER, MessageStatus.DROPPED, "no consent to reminder by SMS"),
        (MessagePurpose.COLLECTION, MessageStatus.DEFERRED, "outside 08:00-21:00 local time"),
        (MessagePurpose.COLLECTION, MessageStatus.DROPPED, "7 contacts about this debt in 7 days"),
    ]
    for n, (purpose, status, reason) in enumerate(rows):
        await OutboxMessage.create(customer_id=owner.id, channel="SMS", purpose=purpose,
                                   status=status, reason=reason, dedupe_key=f"k{n}", body="b")  # fmt: skip
    reach = await measures.reminder_reach(_ask("channel"))
    assert [(p.key, p.value, p.count) for p in reach] == [("SMS", 2 / 3, 3)]
    by_reason = {(p.key, p.series): p.value for p in await measures.blocked(_ask("reason"))}
    assert by_reason == {
        ("no consent to reminder by SMS", "DROPPED"): 1,
        ("7 contacts about this debt in 7 days", "DROPPED"): 1,
        ("outside 08:00-21:00 local time", "DEFERRED"): 1,
    }


async def test_customer_distributions_and_scope(db: str) -> None:
    manager = await factories.user("am_dash")
    mine = await factories.customer("我的", phone="13900000011", account_manager_id=manager.id)
    await factories.customer("别人", phone="13900000012")
    await Customer.all().update(risk_rating="LOW")
    await Customer.filter(id=mine.id).update(risk_rating="HIGH")
    everyone = {p.key: p.value for p in await measures.customer_count(_ask("risk_rating"))}
    assert everyone == {"HIGH": 1, "LOW": 1}
    from tortoise.expressions import Q

    own = measures.Ask("risk_rating", ALL, Q(account_manager_id=manager.id), TODAY)
    assert {p.key: p.value for p in await measures.customer_count(own)} == {"HIGH": 1}


async def test_unknown_measures_and_dimensions_are_refused(db: str) -> None:
    with pytest.raises(ValidationError, match=r"no measure 'portfolio\.nothing'"):
        await measures.run("portfolio.nothing", None, ALL, None, TODAY)
    with pytest.raises(ValidationError, match="broken down by"):
        await measures.run("portfolio.outstanding", "colour", ALL, None, TODAY)
    with pytest.raises(ValidationError, match="applications come by APP, WEB"):
        await measures.run("approvals.funnel", None, measures.Filters(channel="SMS"), None, TODAY)
    with pytest.raises(ValidationError, match="no segment named 'ghosts'"):
        await measures.run("customers.count", None, measures.Filters(segment="ghosts"), None,
                           TODAY)  # fmt: skip


async def test_collections_by_strategy(db: str) -> None:
    from domain.interaction.models import (
        Direction,
        Interaction,
        InteractionChannel,
        InteractionType,
    )
    from domain.loan.models import Payment
    from domain.reports.models import CollectionCase

    loans = await _portfolio()
    opened = datetime(2026, 5, 1, 2, tzinfo=UTC)
    for key, strategy in (("m2", "STANDARD"), ("m4", "INTENSIVE"), ("cured", "GENTLE")):
        await CollectionCase.create(loan_id=loans[key].id, customer_id=loans[key].customer_id,  # type: ignore[attr-defined]
                                    instance_id=loans[key].id, strategy=strategy,
                                    bucket="M1", opened_at=opened)  # fmt: skip
    calls = [("m2", 2), ("m4", 3), ("current", 1)]  # the current loan has no case
    for key, n in calls:
        for i in range(n):
            await Interaction.create(
                customer_id=loans[key].customer_id, loan_id=loans[key].id,  # type: ignore[attr-defined]
                channel=InteractionChannel.PHONE, direction=Direction.OUTBOUND,
                type=InteractionType.CALL, source="collections",
                occurred_at=opened + timedelta(days=i + 1),
            )  # fmt: skip
    for key, amount, at in (("cured", "1100.00", opened + timedelta(days=19)),
                            ("m4", "500.00", opened - timedelta(days=3)),  # before the case
                            ("m4", "700.00", opened + timedelta(days=5))):  # fmt: skip
        await Payment.create(loan_id=loans[key].id, amount=Decimal(amount), paid_at=at,
                             idempotency_key=f"{key}-{amount}")  # fmt: skip
    by = {(p.key, p.series): p.value for p in await measures.contacts(_ask("strategy"))}
    assert by == {("STANDARD", "calls and visits"): 2, ("INTENSIVE", "calls and visits"): 3,
                  ("no case", "calls and visits"): 1}  # fmt: skip
    money = {p.key: p.value for p in await measures.recovered(_ask("strategy"))}
    assert money == {"GENTLE": Decimal("1100.00"), "INTENSIVE": Decimal("700.00")}
    cured = {p.key: p.value for p in await measures.case_cure_rate(_ask("strategy"))}
    assert cured == {"GENTLE": 1.0, "INTENSIVE": 0.0, "STANDARD": 0.0}


async def test_every_measure_answers_every_dimension_under_every_filter(db: str) -> None:
    """Each measure's SQL holds up with joins for branch, product, segment and dates."""
    from tortoise.expressions import Q

    from domain.profile import segments

    await _portfolio()
    await snapshots.ensure(TODAY)
    await segments.define("all_low", "", {"risk_rating": ["LOW", "MEDIUM", "HIGH"]}, by="t")
    everything = measures.Filters(
        date_from=date(2025, 1, 1), date_to=TODAY, branch="BJ01", product_code="CONSUMER",
        segment="all_low",
    )  # fmt: skip
    for name, measure in measures.MEASURES.items():
        for dimension in measure.dimensions:
            for filters, scope in ((ALL, None), (everything, Q(branch="BJ01"))):
                _, chosen, points = await measures.run(name, dimension, filters, scope, TODAY)
                assert chosen == dimension
                assert all(isinstance(p.count, int) for p in points), (name, dimension)
    bj = {p.key: p.count for p in await measures.outstanding(
        _ask("month", measures.Filters(branch="BJ01")))}  # fmt: skip
    assert bj == {"2025-12": 2}


async def test_loans_that_close_or_are_charged_off_leave_a_row_with_their_bucket_before(
    db: str,
) -> None:
    loans = await _portfolio()
    # the cured loan was repaid in full on 2026-05-20; the one at M4 charged off on 05-31
    await Loan.filter(id=loans["cured"].id).update(status=LoanStatus.CLOSED,
                                                  closed_on=date(2026, 5, 20))  # fmt: skip
    await Loan.filter(id=loans["m4"].id).update(status=LoanStatus.CHARGED_OFF,
                                               closed_on=date(2026, 5, 31))  # fmt: skip
    await snapshots.ensure(TODAY)
    may = {r.loan_id: r for r in await LoanMonthEnd.filter(month_end=date(2026, 5, 31))}  # type: ignore[attr-defined]
    april = {r.loan_id: r for r in await LoanMonthEnd.filter(month_end=date(2026, 4, 30))}  # type: ignore[attr-defined]
    closed, lost = may[loans["cured"].id], may[loans["m4"].id]
    assert (closed.bucket, closed.outstanding, closed.days_past_due) == ("CLOSED", 0, 0)
    assert (closed.prev_bucket, closed.prev_outstanding) == (
        april[loans["cured"].id].bucket, april[loans["cured"].id].outstanding)  # fmt: skip
    assert april[loans["cured"].id].bucket == "M1"  # 04-15 unpaid at the end of April
    assert (lost.bucket, lost.outstanding) == ("CHARGED_OFF", 0)
    assert lost.prev_bucket == april[loans["m4"].id].bucket == "M2"
    assert loans["current"].id in may and may[loans["current"].id].bucket == "M0"
    # nothing the month before a loan opened: no bucket before
    assert (await LoanMonthEnd.get(month_end=date(2025, 12, 31), loan_id=loans["m2"].id)
            ).prev_bucket is None  # fmt: skip
