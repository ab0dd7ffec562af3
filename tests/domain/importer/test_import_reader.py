"""Reading CSV and JSON Lines: formats, physical line numbers, unreadable rows."""

import io
from decimal import Decimal
from pathlib import Path

import pytest

from domain.customer.models import Customer
from domain.importer import (
    ImportFormat,
    ImportKind,
    ProblemCode,
    RowProblem,
    columns_of,
    detect_format,
    import_file,
)
from domain.importer.reader import csv_records, jsonl_objects
from domain.importer.table import Reading, objects, tabular
from tests.domain.importer.support import CUSTOMERS_CSV, counts, run

CSV, JSONL, XLSX = ImportFormat.CSV, ImportFormat.JSONL, ImportFormat.XLSX
READING = Reading(columns_of(ImportKind.CUSTOMERS), {}, ignore_unknown=False)
UNREADABLE, BAD_HEADER = ProblemCode.UNREADABLE, ProblemCode.BAD_HEADER


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("a.csv", CSV), ("dir/A.CSV", CSV), ("x.jsonl", JSONL), ("x.ndjson", JSONL),
     ("客户.xlsx", XLSX)],
)  # fmt: skip
def test_detect_format_by_extension(path: str, fmt: ImportFormat) -> None:
    assert detect_format(path) == fmt


def test_detect_format_refuses_other_extensions() -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        detect_format("customers.xls")


def test_csv_rows_carry_their_physical_line() -> None:
    # given: a quoted value over two lines, a blank line, a short row, a row with empty extras
    text = (
        '\ufeffsource,external_id,address,,\ncore,C1,"line one\nline two"\n\ncore,C2\n'
        "core,C3,x,,\ncore,C4,y,,z\n"
    )
    # when
    table = tabular(csv_records(io.StringIO(text, newline="")), READING)
    # then
    assert table.refused == []
    assert list(table.rows) == [
        (2, {"source": "core", "external_id": "C1", "address": "line one\nline two"}),
        RowProblem(5, "", "has 2 values but the header has 3 columns", UNREADABLE),
        (6, {"source": "core", "external_id": "C3", "address": "x"}),
        RowProblem(7, "", "has 5 values but the header has 3 columns", UNREADABLE),
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("source,name,name", [(1, "name", "appears more than once in the header")]),
        ("source,,name", [(1, "", "header column 2 has no name")]),
    ],
)
def test_csv_header_with_a_repeated_or_unnamed_column_is_refused(
    header: str, expected: list[tuple[int, str, str]]
) -> None:
    table = tabular(csv_records(io.StringIO(header + "\ncore,a,b\n")), READING)
    assert [(p.line, p.column, p.reason) for p in table.refused] == expected
    assert {p.code for p in table.refused} == {BAD_HEADER}
    assert list(table.rows) == []


def test_jsonl_rows_bad_json_and_non_objects() -> None:
    # given
    text = '{"name": 1.10}\n\n{"name": \n[1, 2]\n{"address": "x"}\n'
    # when
    table = objects(io.StringIO(text), READING)
    # then
    assert list(table.rows) == [
        (1, {"name": Decimal("1.10")}),
        RowProblem(3, "", "is not valid JSON: Expecting value (column 10)", UNREADABLE),
        RowProblem(4, "", "is not a JSON object", UNREADABLE),
        (5, {"address": "x"}),
    ]


def test_raw_jsonl_objects_keep_their_keys() -> None:
    assert list(jsonl_objects(io.StringIO('\ufeff{"a": 1}\n'))) == [(1, {"a": 1})]


async def test_import_file_reads_by_extension(db: str, tmp_path: Path) -> None:
    # given
    path = tmp_path / "customers.csv"
    path.write_text("\ufeff" + CUSTOMERS_CSV, encoding="utf-8")
    # when
    report = await import_file(ImportKind.CUSTOMERS, path)
    # then
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report.kind == "customers" and report.rows_per_second > 0
    assert await Customer.all().count() == 2


async def test_bad_lines_do_not_stop_the_file(db: str) -> None:
    # given
    text = (
        '{"source": "core", "external_id": "C1", "name": "甲"}\n'
        "not json\n"
        '{"source": "core", "external_id": ["C2"], "name": "乙"}\n'
        '{"source": "core", "external_id": 3, "name": "丙"}\n'
    )
    # when
    report = await run(ImportKind.CUSTOMERS, text, JSONL)
    # then
    assert counts(report) == (4, 2, 0, 0, 2)
    assert [(p.line, p.column) for p in report.problems] == [(2, ""), (3, "external_id")]


@pytest.mark.parametrize(("name", "fmt"), [("c.csv", CSV), ("c.jsonl", JSONL)])
def test_undecodable_bytes_stop_reading_with_a_problem(
    tmp_path: Path, name: str, fmt: ImportFormat
) -> None:
    # given
    path = tmp_path / name
    first = "source,external_id\ncore,C1\n" if fmt == CSV else '{"source": "core"}\n'
    path.write_bytes(first.encode() + b"\xff\xfe bad\n")
    # when
    with path.open(encoding="utf-8", newline="") as stream:
        items = list(csv_records(stream) if fmt == CSV else jsonl_objects(stream))
    # then
    assert items == [
        RowProblem(
            1, "", "cannot be decoded (invalid start byte) here or soon after; reading stopped",
            ProblemCode.UNDECODABLE,
        )
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["c.csv", "c.jsonl"])
async def test_import_file_reports_bytes_that_are_not_utf8_on_their_line(
    db: str, tmp_path: Path, name: str
) -> None:
    # given
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_bytes(b"source,external_id,name\ncore,C1,\xff\ncore,C2,ok\n")
    else:
        path.write_bytes(
            b'{"source": "core", "external_id": "C1", "name": "\xff"}\n'
            b'\n{"source": "core", "external_id": "C2", "name": "ok"}\n'
        )
    # when
    report = await import_file(ImportKind.CUSTOMERS, path)
    # then
    line = 2 if name.endswith(".csv") else 1
    assert [(p.line, p.column, p.reason) for p in report.problems] == [
        (line, "", "contains bytes that are not valid UTF-8")
    ]
    assert [customer.name for customer in await Customer.all()] == ["ok"]
