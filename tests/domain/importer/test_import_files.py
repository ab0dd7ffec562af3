"""Files as other systems write them: GB18030 or UTF-8 with a BOM, and Excel .xlsx sheets."""

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from domain.customer.models import Customer
from domain.errors import ValidationError
from domain.importer import (
    ImportFormat,
    ImportKind,
    ImportOptions,
    ProblemCode,
    import_bytes,
    import_file,
)
from domain.importer.encoding import GB18030, UTF8, detect
from domain.importer.sheet import cell_text
from domain.loan.models import Loan
from tests.domain.importer.support import counts, problems, snapshot

K = ImportKind.CUSTOMERS
D = Decimal
# as a branch office's Excel saves it: GB18030, a column we do not have, full-width digits
OTHER_SYSTEM = (
    "客户编号,姓名,手机号,月收入,备注\r\n"
    'K001,张三,１３８００１３８０００,"１２，０００.５０",老客户\r\n'
    "K002,李四,+86 139-1111-2222,8000,\r\n"
)
OTHER_MAP = [("客户编号", "external_id"), ("姓名", "name"), ("手机号", "phone"),
             ("月收入", "monthly_income")]  # fmt: skip
AS_IS = ImportOptions(source="crm", column_map=OTHER_MAP, ignore_unknown_columns=True)


async def stored_customers() -> list[tuple[str, str | None, Decimal | None]]:
    rows = Customer.all().order_by("id").values_list("name", "phone", "monthly_income")
    return [(str(name), phone, income) for name, phone, income in await rows]


async def test_a_gb18030_file_from_another_system_imports_without_edits(
    db: str, tmp_path: Path
) -> None:
    # given
    path = tmp_path / "客户.csv"
    path.write_bytes(OTHER_SYSTEM.encode("gb18030"))
    # when
    report = await import_file(K, path, options=AS_IS)
    # then
    assert counts(report) == (2, 2, 0, 0, 0), report.problems
    assert report.encoding == GB18030 and report.ignored_columns == ["备注"]
    assert await stored_customers() == [
        ("张三", "13800138000", D("12000.50")),
        ("李四", "13911112222", D("8000.00")),
    ]


async def test_without_the_flag_the_extra_column_refuses_the_file_once(
    db: str, tmp_path: Path
) -> None:
    # given
    path = tmp_path / "客户.csv"
    path.write_bytes(OTHER_SYSTEM.encode("gb18030"))
    # when
    report = await import_file(K, path, options=ImportOptions(source="crm", column_map=OTHER_MAP))
    # then
    assert [(p.line, p.column) for p in report.problems] == [(1, "备注")]
    assert report.refused and await Customer.all().count() == 0


@pytest.mark.parametrize(("bom", "expected"), [(b"", UTF8), (b"\xef\xbb\xbf", UTF8)])
async def test_utf8_with_or_without_a_bom(
    db: str, tmp_path: Path, bom: bytes, expected: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(bom + OTHER_SYSTEM.encode("utf-8"))
    report = await import_file(K, path, options=AS_IS)
    assert report.encoding == expected and counts(report) == (2, 2, 0, 0, 0)


async def test_a_declared_encoding_is_used_as_declared(db: str, tmp_path: Path) -> None:
    # given
    path = tmp_path / "c.csv"
    path.write_bytes(OTHER_SYSTEM.encode("gb18030"))
    # when
    as_gbk = await import_file(K, path, options=ImportOptions(
        source="crm", column_map=OTHER_MAP, ignore_unknown_columns=True, encoding="GBK"))  # fmt: skip
    wrong = await import_bytes(K, path.read_bytes(), ImportFormat.CSV,
                               options=ImportOptions(encoding="utf-8"))  # fmt: skip
    # then
    assert as_gbk.encoding == "gbk" and counts(as_gbk) == (2, 2, 0, 0, 0)
    assert wrong.refused and problems(wrong) == [(1, "", "contains bytes that are not valid UTF-8")]


async def test_an_unknown_encoding_is_refused_up_front(db: str) -> None:
    with pytest.raises(ValidationError) as refused:
        await import_bytes(K, b"x\n", ImportFormat.CSV, options=ImportOptions(encoding="klingon"))
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("encoding", "'klingon' is not a known encoding (e.g. utf-8, gb18030)")
    ]


async def test_a_damaged_utf8_file_stays_utf8_and_keeps_its_good_rows(db: str) -> None:
    # given: UTF-8, but one row pasted from a GBK file (its bytes alone would pass as GB18030)
    data = (
        "source,external_id,name\ncore,C1,张三丰\ncore,C2,".encode()
        + "李四".encode("gbk")
        + "\ncore,C3,王五\n".encode()
    )
    # when
    report = await import_bytes(K, data, ImportFormat.CSV)
    # then
    assert report.encoding == UTF8
    assert problems(report) == [(3, "", "contains bytes that are not valid UTF-8")]
    assert [name for name, _, _ in await stored_customers()] == ["张三丰", "王五"]


def test_detection_prefers_utf8_and_falls_back_to_gb18030() -> None:
    text = "姓名,手机号\n张三,13800138000\n"
    assert detect(lambda: [text.encode("utf-8")]) == UTF8
    assert detect(lambda: [text.encode("gb18030")]) == GB18030
    assert detect(lambda: [b"ascii only\n"]) == UTF8
    assert detect(lambda: [b"\xff\xfe\x00"]) == UTF8  # neither: UTF-8, bad bytes reported


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (1234.5, "1234.5"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (datetime(2026, 1, 5), "2026-01-05"),
        (datetime(2026, 1, 5, 9, 30), "2026-01-05T09:30:00"),
        (date(2026, 1, 5), "2026-01-05"),
        (True, "true"),
        (None, ""),
        ("　张三", "　张三"),  # text is normalised later, as a CSV cell is
    ],
)
def test_sheet_cells_become_the_text_a_person_typed(value: Any, text: str) -> None:
    assert cell_text(value) == text


def workbook(path: Path, rows: list[list[Any]], *, sheet: str = "客户", before: str = "") -> None:
    book = Workbook()
    first = book.active
    if before:
        first.title = before
        first.append(["nothing", "here"])
        target = book.create_sheet(sheet)
    else:
        first.title = sheet
        target = first
    for row in rows:
        target.append(row)
    book.save(path)


CUSTOMER_ROWS: list[list[Any]] = [
    ["客户编号", "姓名", "手机号", "月收入", "备注"],
    ["K001", "张三", 13800138000, 12000.5, "老客户"],
    [],  # an empty row, as people leave them
    ["K002", "李四", "+86 139-1111-2222", 8000],  # a row that stops early
]


async def test_a_sheet_imports_the_same_rows_as_the_csv(db: str, tmp_path: Path) -> None:
    # given: the CSV export and the workbook of the same customers
    csv_path, xlsx_path = tmp_path / "客户.csv", tmp_path / "客户.xlsx"
    csv_path.write_bytes(OTHER_SYSTEM.encode("gb18030"))
    workbook(xlsx_path, CUSTOMER_ROWS)
    from_csv = await import_file(K, csv_path, options=AS_IS)
    before = await snapshot()
    # when
    from_sheet = await import_file(K, xlsx_path, options=AS_IS)
    # then: the same keys and the same values: nothing to change
    assert counts(from_csv) == (2, 2, 0, 0, 0)
    assert counts(from_sheet) == (2, 0, 0, 2, 0), from_sheet.problems
    assert from_sheet.encoding is None and from_sheet.ignored_columns == ["备注"]
    assert await snapshot() == before


async def test_a_sheet_reports_problems_at_its_row_numbers(db: str, tmp_path: Path) -> None:
    # given
    path = tmp_path / "c.xlsx"
    workbook(
        path, [["客户编号", "姓名", "手机号"], ["K1", "甲", 12345], [], ["K3", "", 13800138000]]
    )
    # when
    report = await import_file(K, path, options=AS_IS)
    # then
    assert problems(report) == [
        (2, "手机号", "must be a mainland mobile number or +country number"),
        (4, "姓名", "is required"),
    ]


async def test_a_named_sheet_is_read_and_a_missing_one_refused(db: str, tmp_path: Path) -> None:
    # given: the data on the second sheet
    path = tmp_path / "c.xlsx"
    workbook(path, CUSTOMER_ROWS, sheet="客户", before="说明")
    # when
    named = await import_file(K, path, options=ImportOptions(
        source="crm", column_map=OTHER_MAP, ignore_unknown_columns=True, sheet="客户"))  # fmt: skip
    with pytest.raises(ValidationError) as missing:
        await import_file(K, path, options=ImportOptions(sheet="Sheet9"))
    first = await import_file(K, path, options=ImportOptions(column_map=OTHER_MAP))
    # then
    assert counts(named) == (2, 2, 0, 0, 0)
    assert missing.value.problems[0].message == (
        "no sheet 'Sheet9' in the workbook (sheets: 说明, 客户)"
    )
    assert first.refused and [p.column for p in first.problems] == ["nothing, here"]


async def test_loans_from_a_sheet_keep_dates_and_exact_amounts(
    customers: Any, product: Any, tmp_path: Path
) -> None:
    # given
    path = tmp_path / "loans.xlsx"
    workbook(path, [
        ["source", "external_id", "customer_external_id", "product_code", "principal",
         "annual_rate", "term_months", "disbursed_on"],
        ["core", "L1", "C1", "PL", 1200.1, 0.12, 3, datetime(2026, 1, 15)],
    ])  # fmt: skip
    # when
    report = await import_file(ImportKind.LOANS, path)
    # then
    assert counts(report) == (1, 1, 0, 0, 0), report.problems
    loan = await Loan.get(external_id="L1")
    assert (loan.principal, loan.annual_rate, loan.disbursed_on) == (
        D("1200.10"), D("0.120000"), date(2026, 1, 15),
    )  # fmt: skip


async def test_a_file_that_is_not_a_workbook_is_refused(db: str, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_text("source,external_id\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"is not an Excel \.xlsx workbook"):
        await import_file(K, path)


async def test_a_damaged_sheet_keeps_the_rows_before_the_damage(db: str, tmp_path: Path) -> None:
    # given: a workbook whose sheet breaks off after its first rows
    whole, damaged = tmp_path / "whole.xlsx", tmp_path / "damaged.xlsx"
    rows = [["source", "external_id", "name"]] + [["core", f"C{i}", f"客户{i}"] for i in range(50)]
    workbook(whole, rows)
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            target.writestr(item, content)
    # when
    report = await import_file(K, damaged)
    # then
    last = report.problems[-1]
    assert (last.column, last.code) == ("", ProblemCode.UNREADABLE)
    assert last.reason.startswith("the sheet cannot be read here")
    assert 1 < last.line < 52 and report.created == last.line - 2
    assert await Customer.all().count() == last.line - 2
