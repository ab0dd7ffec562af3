"""What an import is about and what it reports: kinds, formats, options, problems, the report."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class ImportKind(StrEnum):
    """What the rows of an import file describe."""

    CUSTOMERS = "customers"
    LOANS = "loans"
    PAYMENTS = "payments"
    INTERACTIONS = "interactions"
    CREDIT_REPORTS = "credit_reports"
    CAMPAIGN_RESPONSES = "campaign_responses"


class ImportFormat(StrEnum):
    """How an import file is written."""

    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"


class ProblemCode(StrEnum):
    """What kind of thing is wrong, for a program to act on (the reason says it to a person)."""

    UNKNOWN_COLUMNS = "UNKNOWN_COLUMNS"  # the header names columns the kind does not have
    BAD_HEADER = "BAD_HEADER"  # a column without a name, or two columns for one
    UNREADABLE = "UNREADABLE"  # not CSV, not JSON, not a sheet, or the wrong number of values
    UNDECODABLE = "UNDECODABLE"  # bytes that are not text in the file's encoding
    INVALID_VALUE = "INVALID_VALUE"  # a value that breaks a rule of its column


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row: 1-based physical line, column ('' = whole row), reason."""

    line: int
    column: str
    reason: str
    code: ProblemCode = ProblemCode.INVALID_VALUE


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file written by another system."""

    # the source of rows that do not name one (files from another system seldom do)
    source: str | None = None
    # (column in the file, column of ours), e.g. ("手机号", "phone")
    column_map: Sequence[tuple[str, str]] = ()
    # load the known columns and leave the others out, instead of refusing the file
    ignore_unknown_columns: bool = False
    # a strptime format tried first for dates, e.g. "%d/%m/%Y" (year-first dates always read)
    date_format: str | None = None
    # the file's text encoding; None: UTF-8 (with or without BOM), else GB18030 if that fits
    encoding: str | None = None
    # the sheet of an .xlsx workbook; None: the first
    sheet: str | None = None


@dataclass
class ImportReport:
    """The outcome of importing one file."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    refused: bool = False
    seconds: float = 0.0
    encoding: str | None = None  # how the bytes were read ("utf-8", "gb18030"); None: not bytes
    ignored_columns: list[str] = field(default_factory=list)  # left out as asked

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall time (0 when nothing was timed)."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0
