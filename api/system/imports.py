"""The bulk import mutation: the same importer as `lendgraph import`, fed by a string."""

import io
from typing import Annotated

import strawberry

from api.access import require
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from domain.access import audit
from domain.errors import ValidationError as DomainValidationError
from domain.importer import ImportFormat, ImportKind, ImportReport, import_stream

MAX_IMPORT_BYTES = 20 * 1024 * 1024

strawberry.enum(ImportKind, name="ImportKind", description="What the rows describe.")
strawberry.enum(ImportFormat, name="ImportFormat", description="CSV with a header, or JSON Lines.")


@strawberry.type(description="One bad row: where, and what is wrong.")
class ImportProblem:
    line: int
    column: str
    reason: str


@strawberry.type(description="What an import did.")
class ImportSummary:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    failed: int
    refused: bool = strawberry.field(
        description="All-or-nothing refused the file: nothing written."
    )
    seconds: float
    problems: list[ImportProblem]

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
            problems=[ImportProblem(line=p.line, column=p.column, reason=p.reason)
                      for p in report.problems],
        )  # fmt: skip


@strawberry.input(description="Rows from another system; upserted by (source, external_id).")
class ImportRecordsInput:
    kind: ImportKind
    format: ImportFormat
    data: str = strawberry.field(description="The file's content (at most 20 MiB).")
    all_or_nothing: bool = False


@strawberry.type(description="The import ran; bad rows are listed, good rows loaded.")
class ImportRecordsSuccess:
    summary: ImportSummary


ImportRecordsResult = Annotated[
    ImportRecordsSuccess | UserErrors, strawberry.union("ImportRecordsResult")
]


@strawberry.type
class ImportMutations:
    @strawberry.mutation(description="Import customers, loans, payments and more in bulk.")
    @returns_user_errors
    async def import_records(self, info: Info, input: ImportRecordsInput) -> ImportRecordsResult:
        require(info, "import", "run")
        if len(input.data.encode()) > MAX_IMPORT_BYTES:
            raise DomainValidationError.single("data", "is larger than 20 MiB; use the CLI")
        report = await import_stream(
            input.kind, io.StringIO(input.data), input.format, all_or_nothing=input.all_or_nothing
        )
        await audit.record(
            info.context.actor(), action="import.run", object_type=str(input.kind),
            after={"rows": report.rows, "created": report.created, "updated": report.updated,
                   "failed": report.failed, "refused": report.refused},
        )  # fmt: skip
        return ImportRecordsSuccess(summary=ImportSummary.from_report(report))
