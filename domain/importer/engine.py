"""Running an import: open the file, judge its header, process rows in batches, one
transaction each."""

import io
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from time import perf_counter
from typing import IO, TextIO

from tortoise.transactions import in_transaction

from domain.clock import service as clock
from domain.customfield.service import definitions
from domain.errors import FieldProblem, ValidationError
from domain.importer import campaigns, credit, customers, encoding, interactions, loans, payments
from domain.importer.columns import Columns, check_map
from domain.importer.model import ImportFormat, ImportKind, ImportOptions, ImportReport, RowProblem
from domain.importer.normalise import check_date_format
from domain.importer.reader import NOT_UTF8, csv_records, detect_format
from domain.importer.rows import Env, Key, Row, Tally
from domain.importer.sheet import sheet_records
from domain.importer.store import prepare_batch
from domain.importer.table import Reading, Table, objects, tabular

Progress = Callable[[int], None]
Runner = Callable[[Sequence[Row], Env, Tally], Awaitable[None]]


@dataclass(frozen=True)
class _Kind:
    columns: Columns
    run: Runner


def _kind(
    kind: ImportKind, columns: frozenset[str], run: Runner, prefix: str | None = None
) -> _Kind:
    return _Kind(Columns(kind.value, columns, prefix), run)


_KINDS = {
    ImportKind.CUSTOMERS: _kind(
        ImportKind.CUSTOMERS, customers.COLUMNS, customers.run, customers.CUSTOM
    ),
    ImportKind.LOANS: _kind(ImportKind.LOANS, loans.COLUMNS, loans.run),
    ImportKind.PAYMENTS: _kind(ImportKind.PAYMENTS, payments.COLUMNS, payments.run),
    ImportKind.INTERACTIONS: _kind(ImportKind.INTERACTIONS, interactions.COLUMNS, interactions.run),
    ImportKind.CREDIT_REPORTS: _kind(ImportKind.CREDIT_REPORTS, credit.COLUMNS, credit.run),
    ImportKind.CAMPAIGN_RESPONSES: _kind(
        ImportKind.CAMPAIGN_RESPONSES, campaigns.COLUMNS, campaigns.run
    ),
}


def columns_of(kind: ImportKind) -> Columns:
    """The columns an import of this kind knows."""
    return _KINDS[ImportKind(kind)].columns


class _Refused(Exception):
    """Raised to roll back an all-or-nothing import that found problems."""


def _key_part(data: dict[str, object], column: str, max_len: int) -> tuple[str, str | None]:
    """The trimmed text of a key column, and what is wrong with it (None when fine)."""
    value = data.get(column)
    if isinstance(value, dict | list):
        return "", "must be a single value, not a list or object"
    text = "" if value is None else str(value).strip()
    if not text:
        return "", "is required"
    if len(text) > max_len:
        return "", f"must be at most {max_len} characters"
    return text, None


def _row(line: int, data: dict[str, object], options: ImportOptions) -> Row | list[RowProblem]:
    """A row ready for its kind, or what is wrong with its key."""
    problems: list[RowProblem] = []
    if options.source and data.get("source") in (None, ""):
        data = {**data, "source": options.source}
    source, bad_source = _key_part(data, "source", 64)
    external_id, bad_external_id = _key_part(data, "external_id", 128)
    for column, reason in (("source", bad_source), ("external_id", bad_external_id)):
        if reason is not None:
            problems.append(RowProblem(line, column, reason))
    return problems or Row(line, dict(data), source, external_id, date_format=options.date_format)


async def _run(
    kind: _Kind, table: Table, options: ImportOptions, tally: Tally, batch_size: int,
    progress: Progress | None,
) -> None:  # fmt: skip
    env = Env(today=await clock.get(), defs=await definitions())
    batch: list[Row] = []
    keys: set[Key] = set()

    async def flush() -> None:
        if batch:
            async with in_transaction():
                await prepare_batch()
                await kind.run(batch, env, tally)
            batch.clear()
            keys.clear()
        if progress is not None:
            progress(tally.rows)

    for item in table.rows:
        if isinstance(item, RowProblem):
            tally.rows += 1
            tally.fail([item])
            continue
        checked = _row(*item, options)
        if isinstance(checked, list):
            tally.rows += 1
            tally.fail(checked)
            continue
        if checked.key in keys or len(batch) >= batch_size:
            await flush()  # a key seen again applies on top of what the earlier row wrote
        tally.rows += 1
        batch.append(checked)
        keys.add(checked.key)
    await flush()


def _checked(kind: ImportKind, options: ImportOptions) -> dict[str, str]:
    """The column map of valid options; a ValidationError naming every fault otherwise."""
    problems: list[FieldProblem] = []
    mapping: dict[str, str] = {}
    try:
        mapping = check_map(options.column_map, columns_of(kind))
    except ValidationError as exc:
        problems.extend(exc.problems)
    if options.source is not None and not 1 <= len(options.source.strip()) <= 64:
        problems.append(FieldProblem("source", "must be 1 to 64 characters"))
    if options.date_format is not None:
        try:
            check_date_format(options.date_format)
        except ValueError as exc:
            problems.append(FieldProblem("date_format", str(exc)))
    if options.encoding is not None:
        try:
            encoding.declared(options.encoding)
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    return mapping


async def _import(
    kind: ImportKind, table: Table, options: ImportOptions, *, read_as: str | None,
    all_or_nothing: bool, batch_size: int, progress: Progress | None, started: float,
) -> ImportReport:  # fmt: skip
    report = ImportReport(kind=ImportKind(kind).value, encoding=read_as)
    if table.refused:
        report.problems, report.refused = table.refused, True
        report.seconds = perf_counter() - started
        return report
    handler = _KINDS[ImportKind(kind)]
    tally = Tally()
    if all_or_nothing:
        try:
            async with in_transaction():
                await _run(handler, table, options, tally, batch_size, progress)
                if tally.failed:
                    raise _Refused
        except _Refused:
            report.refused = True
    else:
        await _run(handler, table, options, tally, batch_size, progress)
    if not report.refused:
        report.created, report.updated, report.unchanged = (
            tally.created, tally.updated, tally.unchanged
        )  # fmt: skip
    names = table.file_names  # problems name the file's own columns
    report.rows, report.failed = tally.rows, tally.failed
    report.problems = sorted(
        (replace(p, column=names.get(p.column, p.column)) for p in tally.problems),
        key=lambda problem: problem.line,
    )
    report.ignored_columns = list(table.ignored)
    report.seconds = perf_counter() - started
    return report


def _text_table(stream: TextIO, fmt: ImportFormat, reading: Reading, undecodable: str) -> Table:
    if fmt == ImportFormat.CSV:
        return tabular(csv_records(stream, undecodable), reading)
    if fmt == ImportFormat.JSONL:
        return objects(stream, reading, undecodable)
    raise ValueError(f"a {fmt} file is read from bytes, not text")


@contextmanager
def _table(
    source: Path | bytes, fmt: ImportFormat, reading: Reading, options: ImportOptions
) -> Iterator[tuple[Table, str | None]]:
    """The file as a table, and the text encoding it was read in (None for a workbook)."""
    if fmt == ImportFormat.XLSX:
        workbook: Path | IO[bytes] = source if isinstance(source, Path) else io.BytesIO(source)
        with sheet_records(workbook, options.sheet) as records:
            yield tabular(records, reading, pad=True), None
        return
    if isinstance(source, Path):
        stream, chosen = encoding.open_text(source, options.encoding)
    else:
        stream, chosen = encoding.decode(source, options.encoding)
    with stream:
        yield _text_table(stream, fmt, reading, encoding.undecodable_reason(chosen)), chosen


async def import_stream(
    kind: ImportKind,
    stream: TextIO,
    fmt: ImportFormat,
    *,
    all_or_nothing: bool = False,
    batch_size: int = 1000,
    progress: Progress | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import rows of one kind from CSV or JSON Lines text; see the package docstring."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = perf_counter()
    options = options or ImportOptions()
    reading = Reading(columns_of(kind), _checked(kind, options), options.ignore_unknown_columns)
    table = _text_table(stream, ImportFormat(fmt), reading, NOT_UTF8)
    return await _import(
        kind, table, options, read_as=None, all_or_nothing=all_or_nothing,
        batch_size=batch_size, progress=progress, started=started,
    )  # fmt: skip


async def _import_source(
    kind: ImportKind, source: Path | bytes, fmt: ImportFormat, options: ImportOptions | None,
    all_or_nothing: bool, progress: Progress | None,
) -> ImportReport:  # fmt: skip
    started = perf_counter()
    options = options or ImportOptions()
    reading = Reading(columns_of(kind), _checked(kind, options), options.ignore_unknown_columns)
    with _table(source, ImportFormat(fmt), reading, options) as (table, read_as):
        return await _import(
            kind, table, options, read_as=read_as, all_or_nothing=all_or_nothing,
            batch_size=1000, progress=progress, started=started,
        )  # fmt: skip


async def import_bytes(
    kind: ImportKind,
    data: bytes,
    fmt: ImportFormat,
    *,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a file's bytes: CSV or JSON Lines in UTF-8 or GB18030, or an .xlsx workbook."""
    return await _import_source(kind, data, fmt, options, all_or_nothing, progress)


async def import_file(
    kind: ImportKind,
    path: str | Path,
    *,
    fmt: ImportFormat | None = None,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Import a CSV, JSON Lines or .xlsx file; the format comes from the extension unless given."""
    fmt = fmt or detect_format(str(path))
    return await _import_source(kind, Path(path), fmt, options, all_or_nothing, progress)
