"""Importing loans: generated and given schedules, updates, terms locked by payments."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

from domain.importer import ImportKind
from domain.loan.models import Installment, Loan, LoanStatus
from domain.loan.schedule import AmortizationMethod
from domain.product.models import Product
from tests.domain.importer.support import JSONL, LOANS_CSV, counts, problems, run, snapshot

K = ImportKind.LOANS
D = Decimal


def jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def loan_row(**changes: Any) -> dict[str, Any]:
    row = {
        "source": "core", "external_id": "L9", "customer_external_id": "C1",
        "product_code": "PL", "principal": "1000.00", "annual_rate": 0.1, "term_months": 2,
        "disbursed_on": "2026-01-20",
        "schedule": [
            {"seq": 1, "due_date": "2026-02-20", "principal_due": "400.00", "interest_due": "10.00"},
            {"seq": 2, "due_date": "2026-03-20", "principal_due": "600.00", "interest_due": "6.00"},
        ],
    }  # fmt: skip
    row.update(changes)
    return row


async def plan_of(external_id: str) -> list[tuple[int, date, Decimal, Decimal]]:
    rows = Installment.filter(loan__external_id=external_id).order_by("seq")
    return [(i.seq, i.due_date, i.principal_due, i.interest_due) for i in await rows]


async def test_loans_import_with_generated_schedules(loans: Any) -> None:
    # then
    assert counts(loans) == (2, 2, 0, 0, 0)
    loan = await Loan.get(source="core", external_id="L1").prefetch_related("customer")
    assert loan.customer.name == "张三"
    assert (loan.principal, loan.annual_rate, loan.method) == (
        D("1200.00"), D("0.12"), AmortizationMethod.EQUAL_INSTALLMENT,
    )  # fmt: skip
    assert loan.outstanding_principal == D("1200.00")
    assert await plan_of("L1") == [
        (1, date(2026, 2, 15), D("396.03"), D("12.00")),
        (2, date(2026, 3, 15), D("399.99"), D("8.04")),
        (3, date(2026, 4, 15), D("403.98"), D("4.04")),
    ]
    assert (loan.days_past_due, loan.bucket) == (120, "M4")  # business date 2026-06-15
    assert (await Loan.get(external_id="L2")).annual_rate == D("0.18")


async def test_loans_rerun_changes_nothing(loans: Any) -> None:
    # given
    before = await snapshot()
    # when
    report = await run(K, LOANS_CSV)
    # then
    assert counts(report) == (2, 0, 0, 2, 0)
    assert await snapshot() == before


async def test_status_change_keeps_the_schedule(loans: Any) -> None:
    # given
    ids = (
        await Installment.filter(loan__external_id="L1")
        .order_by("seq")
        .values_list("id", flat=True)
    )
    text = LOANS_CSV.replace("disbursed_on\n", "disbursed_on,status\n").replace(
        "-15\n", "-15,CLOSED\n"
    )
    text = text.replace("-20\n", "-20,\n")
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (2, 0, 1, 1, 0)
    assert (await Loan.get(external_id="L1")).status == LoanStatus.CLOSED
    after = (
        await Installment.filter(loan__external_id="L1")
        .order_by("seq")
        .values_list("id", flat=True)
    )
    assert after == ids


async def test_changed_terms_rebuild_the_schedule_of_a_loan_without_payments(loans: Any) -> None:
    # when
    report = await run(K, LOANS_CSV.replace("1200.00,0.12,3", "600.00,0.12,2"))
    # then
    assert counts(report) == (2, 0, 1, 1, 0)
    assert await plan_of("L1") == [
        (1, date(2026, 2, 15), D("298.51"), D("6.00")),
        (2, date(2026, 3, 15), D("301.49"), D("3.01")),
    ]
    assert (await Loan.get(external_id="L1")).outstanding_principal == D("600.00")


async def test_given_schedule_is_stored_as_given(customers: Any, product: Product) -> None:
    # when
    report = await run(K, jsonl(loan_row()), JSONL)
    again = await run(K, jsonl(loan_row()), JSONL)
    # then
    assert counts(report) == (1, 1, 0, 0, 0)
    assert await plan_of("L9") == [
        (1, date(2026, 2, 20), D("400.00"), D("10.00")),
        (2, date(2026, 3, 20), D("600.00"), D("6.00")),
    ]
    assert counts(again) == (1, 0, 0, 1, 0)


async def test_a_changed_given_schedule_replaces_the_stored_one(
    customers: Any, product: Product
) -> None:
    # given
    await run(K, jsonl(loan_row()), JSONL)
    changed = loan_row()
    changed["schedule"][0]["interest_due"] = "11.00"
    # when
    report = await run(K, jsonl(changed), JSONL)
    # then
    assert counts(report) == (1, 0, 1, 0, 0)
    assert (await plan_of("L9"))[0][3] == D("11.00")


async def test_given_schedule_that_does_not_sum_to_the_principal_is_refused(
    customers: Any, product: Product
) -> None:
    # given
    bad = loan_row()
    bad["schedule"][1]["principal_due"] = "599.99"
    # when
    report = await run(K, jsonl(loan_row(external_id="L8"), bad), JSONL)
    # then
    assert counts(report) == (2, 1, 0, 0, 1)
    assert problems(report) == [
        (2, "schedule[1].principal_due", "principal parts sum to 999.99, not the principal 1000.00")
    ]
    assert not await Loan.exists(external_id="L9")


async def test_given_schedule_seqs_dates_and_length_are_checked(
    customers: Any, product: Product
) -> None:
    # given
    schedule = [
        {"seq": 2, "due_date": "2026-01-10", "principal_due": "400.00", "interest_due": "x"},
        {"seq": 2, "due_date": "2026-03-20", "principal_due": "600.00", "interest_due": "6.00",
         "fee_due": 1},
    ]  # fmt: skip
    rows = jsonl(loan_row(schedule=schedule), loan_row(external_id="L8", term_months=3))
    # when
    report = await run(K, "\n" + rows, JSONL)
    # then
    assert problems(report) == [
        (2, "schedule[0].seq", "must be 1: seqs run 1..n in order"),
        (2, "schedule[0].due_date", "must be after disbursed_on (2026-01-20)"),
        (2, "schedule[0].interest_due", "'x' is not a number"),
        (2, "schedule[1].fee_due", "is not an installment attribute"),
        (3, "schedule", "has 2 installments but term_months is 3"),
    ]
    assert await Loan.all().count() == 0


async def test_bad_loan_rows_are_reported(customers: Any, product: Product) -> None:
    # given
    text = (
        "source,external_id,customer_external_id,product_code,principal,annual_rate,term_months,disbursed_on,schedule\n"
        "core,L1,C1,PL,1200.00,0.12,3,2026-01-15,\n"
        "core,L2,C404,XX,-5,12,0,2027-01-01,\n"
        "core,L3,C2,PL,100.001,0.1,3,2026-01-15,[]\n"
    )
    # when
    report = await run(K, text)
    # then
    assert counts(report) == (3, 1, 0, 0, 2)
    assert problems(report) == [
        (3, "principal", "must be more than zero"),
        (3, "annual_rate", "'12' looks like a percentage: write it as a fraction or '12%'"),
        (3, "term_months", "must be between 1 and 600"),
        (3, "disbursed_on", "must not be after the business date 2026-06-15"),
        (3, "customer_external_id", "no customer 'C404' (source 'core')"),
        (3, "product_code", "no product 'XX'"),
        (4, "principal", "must be in whole cents"),
        (4, "schedule", "can be given only in JSON Lines, as a list of installments"),
    ]
