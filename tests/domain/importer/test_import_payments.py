"""Importing payments: posted through the loan service, allocated exactly, never twice."""

from datetime import date
from decimal import Decimal
from typing import Any

from domain.importer import ImportKind
from domain.loan.models import Installment, Loan, Payment, PaymentAllocation
from tests.domain.importer.support import LOANS_CSV, counts, problems, run, snapshot

K = ImportKind.PAYMENTS
D = Decimal
PAYMENTS_CSV = (
    "source,external_id,loan_external_id,amount,paid_at\n"
    "core,P1,L1,408.03,2026-02-14T10:00:00\n"
    "core,P2,L1,200.00,2026-03-10T09:00:00+08:00\n"
)


async def paid_columns() -> list[tuple[int, Decimal, Decimal, date | None]]:
    rows = await Installment.filter(loan__external_id="L1").order_by("seq")
    return [(i.seq, i.interest_paid, i.principal_paid, i.paid_on) for i in rows]


async def test_payments_are_allocated_exactly(loans: Any) -> None:
    # when
    report = await run(K, PAYMENTS_CSV)
    # then
    assert counts(report) == (2, 2, 0, 0, 0)
    assert await paid_columns() == [
        (1, D("12.00"), D("396.03"), date(2026, 2, 14)),
        (2, D("8.04"), D("191.96"), None),
        (3, D("0.00"), D("0.00"), None),
    ]
    loan = await Loan.get(external_id="L1")
    assert loan.outstanding_principal == D("612.01")
    payment = await Payment.get(source="core", external_id="P1")
    assert payment.idempotency_key == "core:P1"
    assert await PaymentAllocation.all().count() == 2


async def test_rerun_posts_nothing_twice(loans: Any) -> None:
    # given
    await run(K, PAYMENTS_CSV)
    before = await snapshot()
    # when
    report = await run(K, PAYMENTS_CSV, batch_size=1)
    # then
    assert counts(report) == (2, 0, 0, 2, 0)
    assert await snapshot() == before


async def test_payment_for_an_unknown_loan_is_a_row_problem(loans: Any) -> None:
    # given
    text = PAYMENTS_CSV + "core,P3,L404,10.00,2026-03-11T00:00:00Z\n"
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (3, 2, 0, 0, 1)
    assert problems(report) == [(4, "loan_external_id", "no loan 'L404' (source 'core')")]


async def test_bad_payment_rows_are_reported(loans: Any) -> None:
    # given
    text = (
        "source,external_id,loan_external_id,loan_source,amount,paid_at,idempotency_key\n"
        "core,P1,L1,,0,2026-02-14,\n"
        "core,P2,L1,other,10.00,yesterday,\n"
        "core,P3,L1,,10.005,2026-01-01T00:00:00Z,\n"
        "core,P4,L1,,408.03,2026-02-14T10:00:00Z,\n"
        "core,P5,L1,,500.00,2026-02-15T10:00:00Z,core:P4\n"
        "core,P6,L1,,408.03,2026-02-15T10:00:00Z,core:P4\n"
    )
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (6, 1, 0, 1, 4)
    assert problems(report) == [
        (2, "amount", "must be more than zero"),
        (
            3,
            "paid_at",
            "'yesterday' is not a date and time (ISO 8601, e.g. 2024-05-01T09:30:00Z, "
            "or a date and H:MM[:SS], e.g. 2024/5/1 9:30)",
        ),
        (3, "loan_external_id", "no loan 'L1' (source 'other')"),
        (4, "amount", "must be in whole cents"),
        (4, "paid_at", "must not be before the loan was disbursed (2026-01-15)"),
        (6, "idempotency_key", "idempotency key 'core:P4' was already used for another payment"),
    ]
    assert await Payment.all().count() == 1


async def test_a_posted_payment_cannot_change(loans: Any) -> None:
    # given
    await run(K, PAYMENTS_CSV)
    # when
    report = await run(K, PAYMENTS_CSV.replace("200.00", "250.00"))
    # then
    assert counts(report) == (2, 0, 0, 1, 1)
    assert problems(report) == [
        (3, "amount", "is 200.00 in the payment already posted; a posted payment cannot change")
    ]


async def test_loan_terms_cannot_change_once_it_has_payments(loans: Any) -> None:
    # given
    await run(K, PAYMENTS_CSV)
    # when
    report = await run(ImportKind.LOANS, LOANS_CSV.replace("1200.00,0.12,3", "1300.00,0.12,3"))
    # then
    assert counts(report) == (2, 0, 0, 1, 1)
    assert problems(report) == [
        (2, "principal", "cannot change principal of a loan that already has payments")
    ]
    assert (await Loan.get(external_id="L1")).principal == D("1200.00")


async def test_all_or_nothing_payments_write_nothing(loans: Any) -> None:
    # given
    before = await snapshot()
    text = PAYMENTS_CSV + "core,P3,L404,10.00,2026-03-11T00:00:00Z\n"
    # when
    report = await run(K, text, all_or_nothing=True)
    # then
    assert report.refused
    assert problems(report) == [(4, "loan_external_id", "no loan 'L404' (source 'core')")]
    assert await snapshot() == before


async def test_loans_rerun_after_payments_changes_nothing(loans: Any) -> None:
    # given
    await run(K, PAYMENTS_CSV)
    before = await snapshot()
    # when
    report = await run(ImportKind.LOANS, LOANS_CSV)
    # then
    assert counts(report) == (2, 0, 0, 2, 0)
    assert await snapshot() == before
