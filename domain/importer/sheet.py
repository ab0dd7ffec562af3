"""Reading the records of an Excel .xlsx sheet as text cells, like a CSV file's.

openpyxl reads in read-only mode (rows streamed, not the whole workbook in memory) and with
the values formulas last computed. Cells become the text a person would have typed: numbers
through their shortest decimal form (13800138000.0 is "13800138000", 0.1 is "0.1", never a
float's binary expansion), dates as YYYY-MM-DD, dates with a time in ISO 8601.
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook  # type: ignore[import-untyped]

from domain.errors import ValidationError
from domain.importer.model import ProblemCode, RowProblem
from domain.importer.reader import Record


def cell_text(value: Any) -> str:
    """The text of one cell's value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _records(rows: Iterator[tuple[Any, ...]]) -> Iterator[Record]:
    line = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a damaged sheet fails in many ways: XML, cell references
            reason = f"the sheet cannot be read here ({exc}); reading stopped"
            yield RowProblem(line + 1, "", reason, ProblemCode.UNREADABLE)
            return
        line += 1
        cells = [cell_text(value) for value in row]
        if any(cell.strip() for cell in cells):
            yield line, cells


@contextmanager
def sheet_records(source: Path | IO[bytes], sheet: str | None) -> Iterator[Iterator[Record]]:
    """The records of a workbook's sheet (the first unless named), its rows numbered as in Excel."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # styles and extensions openpyxl cannot read
            book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # not a zip, no workbook part, broken XML, ...
        raise ValidationError.single("file", f"is not an Excel .xlsx workbook ({exc})") from exc
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise ValidationError.single(
                "sheet", f"no sheet '{sheet}' in the workbook (sheets: {', '.join(names)})"
            )
        if not names:
            raise ValidationError.single("file", "the workbook has no sheet")
        worksheet = book[sheet if sheet is not None else names[0]]
        if not hasattr(worksheet, "reset_dimensions"):
            raise ValidationError.single("sheet", f"'{worksheet.title}' is a chart, not cells")
        worksheet.reset_dimensions()  # some writers record a wrong used range
        yield _records(worksheet.iter_rows(min_row=1, values_only=True))
    finally:
        book.close()
