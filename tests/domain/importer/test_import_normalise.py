"""Values as Chinese data entry types them: full-width text, phones, amounts and dates."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from domain.customer.models import Customer
from domain.customfield import service as custom_fields
from domain.customfield.models import CustomFieldValue, FieldType
from domain.errors import ValidationError
from domain.importer import ImportKind, ImportOptions
from domain.importer import normalise as n
from domain.loan.models import Loan, Payment
from tests.domain.importer.support import counts, problems, run

D = Decimal


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("１３８００１３８０００", "13800138000"),
        ("　张三　", "张三"),  # ideographic spaces around
        ("ＡＢＣ１２３", "ABC123"),
        ("\u200b李四\ufeff", "李四"),
        ("北京市 朝阳区", "北京市 朝阳区"),
    ],
)
def test_text_is_nfkc_and_trimmed(typed: str, read: str) -> None:
    assert n.text(typed) == read


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("138.0013.8000", "13800138000"),
        ("(138)00138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("＋８６－１３８００１３８０００", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+852 9123 4567", "+85291234567"),  # another country keeps its code
        ("+86 10 6512 3456", "+861065123456"),  # not a mobile: as written, without separators
    ],
)
def test_phones_lose_separators_and_a_mainland_country_code(typed: str, read: str) -> None:
    assert n.phone(typed) == read


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("1,234,567.89", D("1234567.89")),
        ("１，２３４．５０", D("1234.50")),
        ("-1,000", D("-1000")),
        ("999.5", D("999.5")),
        ("0.1", D("0.1")),
    ],
)
def test_amounts_may_group_thousands_and_stay_exact(typed: str, read: Decimal) -> None:
    value = n.amount(typed)
    assert value == read and isinstance(value, Decimal)
    assert str(value) == str(read)  # the places as written: never through float


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1,23.4", "'1,23.4' has a thousands separator out of place (e.g. 1,234.50)"),
        ("12,3456", "'12,3456' has a thousands separator out of place (e.g. 1,234.50)"),
        ("1_000", "'1_000' is not a number"),
        ("NaN", "'NaN' is not a number"),
        ("一千", "'一千' is not a number"),
    ],
)
def test_amounts_written_wrong_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        n.amount(typed)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    "typed",
    [
        "2026-01-05",
        "2026/1/5",
        "2026.1.5",
        "2026年1月5日",
        "２０２６年１月５日",
        "2026 年 01 月 05 日",
    ],
)
def test_dates_in_the_usual_local_forms(typed: str) -> None:
    assert n.day(typed) == date(2026, 1, 5)


def test_a_declared_format_reads_ambiguous_dates_and_year_first_ones_still_read() -> None:
    assert n.day("05/01/2026", "%d/%m/%Y") == date(2026, 1, 5)
    assert n.day("01/05/2026", "%m/%d/%Y") == date(2026, 1, 5)
    assert n.day("2026/1/5", "%d/%m/%Y") == date(2026, 1, 5)
    with pytest.raises(ValueError, match=r"'05/01/2026' is not a date \(e.g. 2026-01-05"):
        n.day("05/01/2026")
    with pytest.raises(ValueError, match="'2026/2/30' is not a date"):
        n.day("2026/2/30")


def test_a_declared_format_must_describe_a_whole_date() -> None:
    n.check_date_format("%d.%m.%Y")
    for partial in ("%d/%m", "%Y", "no directives"):
        with pytest.raises(ValueError, match="does not describe a whole date"):
            n.check_date_format(partial)


def test_moments_take_local_dates_with_a_time() -> None:
    assert n.moment("2026/1/5 9:30") == datetime(2026, 1, 5, 9, 30)
    assert n.moment("2026年1月5日 09:30:15") == datetime(2026, 1, 5, 9, 30, 15)
    assert n.moment("2026-01-05T09:30:00+08:00").utcoffset() is not None
    assert n.moment("05/01/2026 08:00", "%d/%m/%Y") == datetime(2026, 1, 5, 8, 0)


async def test_customers_typed_the_chinese_way_are_stored_normalised(db: str) -> None:
    # given
    await custom_fields.define(name="deposit", field_type=FieldType.DECIMAL)
    await custom_fields.define(name="joined", field_type=FieldType.DATE)
    text = (
        "source,external_id,name,phone,monthly_income,birth_date,custom.deposit,custom.joined\n"
        'core,C1,　张三　,＋８６ １３８－００１３－８０００,"１２，３４５．６７",1990年3月5日,'
        '"1,000,000.50",2025/12/1\n'
    )
    # when
    report = await run(ImportKind.CUSTOMERS, text)
    # then
    assert counts(report) == (1, 1, 0, 0, 0), report.problems
    customer = await Customer.get(external_refs__external_id="C1")
    assert (customer.name, customer.phone) == ("张三", "13800138000")
    assert (customer.monthly_income, customer.birth_date) == (D("12345.67"), date(1990, 3, 5))
    stored = await CustomFieldValue.filter(customer_id=customer.id).order_by("field__name")
    assert [(v.value_text, v.value_number) for v in stored] == [
        ("1000000.50", D("1000000.50")),
        ("2025-12-01", None),
    ]


async def test_a_phone_still_has_to_be_a_phone(db: str) -> None:
    text = "source,external_id,name,phone\ncore,C1,甲,010-6512-3456\ncore,C2,乙,１２３\n"
    report = await run(ImportKind.CUSTOMERS, text)
    assert problems(report) == [
        (2, "phone", "must be a mainland mobile number or +country number"),
        (3, "phone", "must be a mainland mobile number or +country number"),
    ]


async def test_amounts_and_dates_of_loans_and_payments(customers: Any, product: Any) -> None:
    # given
    loans = (
        "source,external_id,customer_external_id,product_code,principal,annual_rate,"
        "term_months,disbursed_on\n"
        'core,L1,C1,PL,"1,200.00",１２％,3,2026年1月15日\n'
        'core,L2,C2,PL,"1,20.00",0.12,3,2026/1/15\n'
        "core,L3,C2,PL,5000,0.12,3,15/01/2026\n"
    )
    payments = (
        "source,external_id,loan_external_id,amount,paid_at\n"
        'core,P1,L1,"１，２００.００",2026/2/14 10:00\n'
    )
    # when
    loaded = await run(ImportKind.LOANS, loans)
    paid = await run(ImportKind.PAYMENTS, payments)
    # then
    assert counts(loaded) == (3, 1, 0, 0, 2)
    assert problems(loaded) == [
        (3, "principal", "'1,20.00' has a thousands separator out of place (e.g. 1,234.50)"),
        (4, "disbursed_on", "'15/01/2026' is not a date (e.g. 2026-01-05, 2026/1/5, 2026.1.5 "
                            "or 2026年1月5日)"),
    ]  # fmt: skip
    loan = await Loan.get(external_id="L1")
    assert (loan.principal, loan.annual_rate, loan.disbursed_on) == (
        D("1200.00"), D("0.120000"), date(2026, 1, 15),
    )  # fmt: skip
    assert counts(paid) == (1, 1, 0, 0, 0), paid.problems
    payment = await Payment.get(external_id="P1")
    assert (payment.amount, payment.paid_at) == (
        D("1200.00"),
        datetime(2026, 2, 14, 10, tzinfo=UTC),
    )


async def test_a_declared_date_format_reads_the_files_dates(customers: Any, product: Any) -> None:
    # given
    loans = (
        "source,external_id,customer_external_id,product_code,principal,annual_rate,"
        "term_months,disbursed_on\ncore,L3,C2,PL,5000,0.12,3,15/01/2026\n"
    )
    # when
    report = await run(ImportKind.LOANS, loans, options=ImportOptions(date_format="%d/%m/%Y"))
    # then
    assert counts(report) == (1, 1, 0, 0, 0)
    assert (await Loan.get(external_id="L3")).disbursed_on == date(2026, 1, 15)


async def test_a_date_format_that_cannot_read_a_date_is_refused_up_front(db: str) -> None:
    with pytest.raises(ValidationError) as refused:
        await run(ImportKind.LOANS, "x\n", options=ImportOptions(date_format="%d/%m"))
    assert [p.field for p in refused.value.problems] == ["date_format"]
