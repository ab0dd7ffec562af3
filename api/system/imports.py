"""The bulk import mutation: the same importer as `lendgraph import`, fed by a string.

The file comes as text (`data`, CSV or JSON Lines) or as its bytes in base64 (`dataBase64`:
an .xlsx workbook, or text in GB18030 or another encoding, detected or declared).
"""

import base64
import io
from typing import Annotated

import strawberry

from api.access import require
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from domain.access import audit
from domain.errors import FieldProblem
from domain.errors import ValidationError as DomainValidationError
from domain.importer import (
    ImportFormat,
    ImportKind,
    ImportOptions,
    ImportReport,
    ProblemCode,
    import_bytes,
    import_stream,
)

MAX_IMPORT_BYTES = 20 * 1024 * 1024

strawberry.enum(ImportKind, name="ImportKind", description="What the rows describe.")
strawberry.enum(
    ImportFormat,
    name="ImportFormat",
    description="CSV with a header, JSON Lines, or an Excel .xlsx sheet with a header row.",
)
strawberry.enum(
    ProblemCode,
    name="ImportProblemCode",
    description="What kind of thing is wrong: UNKNOWN_COLUMNS and BAD_HEADER refuse the file.",
)


@strawberry.type(description="One bad row (or the header): where, and what is wrong.")
class ImportProblem:
    line: int = strawberry.field(description="The line in the file (the row of a sheet).")
    column: str = strawberry.field(description="The column as the file names it; '' = the row.")
    reason: str
    code: ProblemCode = strawberry.field(description="What kind of problem, for programs.")


@strawberry.type(description="What an import did.")
class ImportSummary:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    refused: bool = strawberry.field(
        description="Nothing written: all-or-nothing found a bad row, or the header was refused."
    )
    seconds: float
    problems: list[ImportProblem]
    encoding: str | None = strawberry.field(
        description="How the bytes of dataBase64 were read (utf-8, gb18030); null for text."
    )
    ignored_columns: list[str] = strawberry.field(
        description="The file's columns left out because ignoreUnknownColumns was set."
    )

    @classmethod
    def from_report(cls, report: ImportReport) -> "ImportSummary":
        """The GraphQL view of an import report."""
        return cls(
            kind=str(report.kind),
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            failed=report.failed,
            refused=report.refused,
            seconds=report.seconds,
            problems=[ImportProblem(line=p.line, column=p.column, reason=p.reason, code=p.code)
                      for p in report.problems],
            encoding=report.encoding,
            ignored_columns=list(report.ignored_columns),
        )  # fmt: skip


@strawberry.input(description="A column of the other system's file and the column it stands for.")
class ColumnMapEntryInput:
    from_: str = strawberry.field(name="from", description="The file's column, e.g. 手机号.")
    to: str = strawberry.field(description="Our column, e.g. phone.")


@strawberry.input(description="Rows from another system; upserted by (source, external_id).")
class ImportRecordsInput:
    kind: ImportKind
    format: ImportFormat
    data: str | None = strawberry.field(
        default=None, description="The file's text, CSV or JSON Lines (at most 20 MiB)."
    )
    data_base64: str | None = strawberry.field(
        default=None,
        description="Instead of data: the file's bytes in base64, for an .xlsx workbook or text "
        "that is not UTF-8 (base64 adds a third: the request size limit applies to it).",
    )
    all_or_nothing: bool = False
    source: str | None = strawberry.field(
        default=None,
        description="The source of rows without a source column (or with it empty), e.g. crm.",
    )
    column_map: list[ColumnMapEntryInput] | None = strawberry.field(
        default=None, description="The file's column names that stand for ours."
    )
    ignore_unknown_columns: bool = strawberry.field(
        default=False,
        description="Leave out columns the kind does not know, instead of refusing the file.",
    )
    date_format: str | None = strawberry.field(
        default=None,
        description="A strptime format tried first for dates, e.g. %d/%m/%Y (dates written "
        "year first, 2026-01-05, 2026/1/5, 2026年1月5日, are always read).",
    )
    encoding: str | None = strawberry.field(
        default=None,
        description="The encoding of dataBase64's text, e.g. gb18030; default: UTF-8, else "
        "GB18030 when the bytes are not UTF-8.",
    )
    sheet: str | None = strawberry.field(
        default=None, description="The sheet of an .xlsx workbook to read; default: the first."
    )


@strawberry.type(description="The import ran; bad rows are listed, good rows loaded.")
class ImportRecordsSuccess:
    summary: ImportSummary


ImportRecordsResult = Annotated[
    ImportRecordsSuccess | UserErrors, strawberry.union("ImportRecordsResult")
]


def _content(input: ImportRecordsInput) -> str | bytes:
    """The file as text or bytes, or a validation error saying what is wrong with the input."""
    problems: list[FieldProblem] = []
    content: str | bytes = b""
    if (input.data is None) == (input.data_base64 is None):
        problems.append(
            FieldProblem("data", "give the file as data or as data_base64, one of them")
        )
    elif input.data is not None:
        content = input.data
        if input.format == ImportFormat.XLSX:
            problems.append(FieldProblem("data", "an .xlsx workbook comes as dataBase64"))
        if input.encoding is not None:
            problems.append(FieldProblem("encoding", "applies to dataBase64; data is already text"))
    else:
        try:
            content = base64.b64decode(input.data_base64 or "", validate=True)
        except ValueError:  # binascii.Error, or characters outside ASCII
            problems.append(FieldProblem("data_base64", "is not base64"))
    if len(content.encode() if isinstance(content, str) else content) > MAX_IMPORT_BYTES:
        problems.append(FieldProblem("data", "is larger than 20 MiB; use the CLI"))
    if input.sheet is not None and input.format != ImportFormat.XLSX:
        problems.append(FieldProblem("sheet", "only an .xlsx workbook has sheets"))
    if problems:
        raise DomainValidationError(problems)
    return content


@strawberry.type
class ImportMutations:
    @strawberry.mutation(description="Import customers, loans, payments and more in bulk.")
    @returns_user_errors
    async def import_records(self, info: Info, input: ImportRecordsInput) -> ImportRecordsResult:
        require(info, "import", "run")
        content = _content(input)
        options = ImportOptions(
            source=input.source,
            column_map=[(entry.from_, entry.to) for entry in input.column_map or []],
            ignore_unknown_columns=input.ignore_unknown_columns,
            date_format=input.date_format,
            encoding=input.encoding,
            sheet=input.sheet,
        )
        if isinstance(content, str):
            report = await import_stream(
                input.kind, io.StringIO(content, newline=""), input.format,
                all_or_nothing=input.all_or_nothing, options=options,
            )  # fmt: skip
        else:
            report = await import_bytes(
                input.kind, content, input.format,
                all_or_nothing=input.all_or_nothing, options=options,
            )  # fmt: skip
        await audit.record(
            info.context.actor(), action="import.run", object_type=str(input.kind),
            after={"rows": report.rows, "created": report.created, "updated": report.updated,
                   "failed": report.failed, "refused": report.refused},
        )  # fmt: skip
        return ImportRecordsSuccess(summary=ImportSummary.from_report(report))
