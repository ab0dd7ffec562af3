"""Running an import: read, check keys and columns, process in batches, one transaction each."""

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import TextIO

from tortoise.transactions import in_transaction

from domain.clock import service as clock
from domain.customfield.service import definitions
from domain.importer import campaigns, credit, customers, interactions, loans, payments
from domain.importer.model import ImportFormat, ImportKind, ImportReport, RowProblem
from domain.importer.reader import Item, detect_format, read_rows
from domain.importer.rows import Env, Key, Row, Tally
from domain.importer.store import prepare_batch

Progress = Callable[[int], None]
Runner = Callable[[Sequence[Row], Env, Tally], Awaitable[None]]


@dataclass(frozen=True)
class _Kind:
    name: str
    columns: frozenset[str]
    run: Runner
    prefix: str | None = None  # columns starting with it are accepted too (custom fields)

    def unknown(self, data: dict[str, object]) -> list[str]:
        """Columns of a row this kind does not know."""
        return [
            name
            for name in data
            if name not in self.columns and not (self.prefix and name.startswith(self.prefix))
        ]


_KINDS = {
    ImportKind.CUSTOMERS: _Kind(
        ImportKind.CUSTOMERS.value, customers.COLUMNS, customers.run, customers.CUSTOM
    ),
    ImportKind.LOANS: _Kind(ImportKind.LOANS.value, loans.COLUMNS, loans.run),
    ImportKind.PAYMENTS: _Kind(ImportKind.PAYMENTS.value, payments.COLUMNS, payments.run),
    ImportKind.INTERACTIONS: _Kind(
        ImportKind.INTERACTIONS.value, interactions.COLUMNS, interactions.run
    ),
    ImportKind.CREDIT_REPORTS: _Kind(ImportKind.CREDIT_REPORTS.value, credit.COLUMNS, credit.run),
    ImportKind.CAMPAIGN_RESPONSES: _Kind(
        ImportKind.CAMPAIGN_RESPONSES.value, campaigns.COLUMNS, campaigns.run
    ),
}


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


def _row(kind: _Kind, line: int, data: dict[str, object]) -> Row | list[RowProblem]:
    """A row ready for its kind, or what is wrong with its key and columns."""
    problems = [
        RowProblem(line, name, f"is not a column of {kind.name} imports")
        for name in kind.unknown(data)
    ]
    source, bad_source = _key_part(data, "source", 64)
    external_id, bad_external_id = _key_part(data, "external_id", 128)
    for column, reason in (("source", bad_source), ("external_id", bad_external_id)):
        if reason is not None:
            problems.append(RowProblem(line, column, reason))
    return problems or Row(line, dict(data), source, external_id)


async def _run(
    kind: _Kind, items: Iterable[Item], tally: Tally, batch_size: int, progress: Progress | None
) -> None:
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

    for item in items:
        if isinstance(item, RowProblem):
            tally.rows += 1
            tally.fail([item])
            continue
        line, data = item
        checked = _row(kind, line, data)
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


async def import_stream(
    kind: ImportKind,
    stream: TextIO,
    fmt: ImportFormat,
    *,
    all_or_nothing: bool = False,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> ImportReport:
    """Import rows of one kind from a text stream; see the package docstring for the rules."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = perf_counter()
    handler = _KINDS[ImportKind(kind)]
    tally = Tally()
    items = read_rows(stream, ImportFormat(fmt))
    refused = False
    if all_or_nothing:
        try:
            async with in_transaction():
                await _run(handler, items, tally, batch_size, progress)
                if tally.failed:
                    raise _Refused
        except _Refused:
            refused = True
    else:
        await _run(handler, items, tally, batch_size, progress)
    return ImportReport(
        kind=ImportKind(kind).value,
        rows=tally.rows,
        created=0 if refused else tally.created,
        updated=0 if refused else tally.updated,
        unchanged=0 if refused else tally.unchanged,
        failed=tally.failed,
        problems=sorted(tally.problems, key=lambda problem: problem.line),
        refused=refused,
        seconds=perf_counter() - started,
    )


def _open(path: Path) -> TextIO:
    # Undecodable bytes become surrogate escapes that the reader reports on their own line.
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


async def import_file(
    kind: ImportKind,
    path: str | Path,
    *,
    fmt: ImportFormat | None = None,
    all_or_nothing: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV or JSON Lines file; the format comes from the extension unless given."""
    fmt = fmt or detect_format(str(path))
    with _open(Path(path)) as stream:
        return await import_stream(
            kind, stream, fmt, all_or_nothing=all_or_nothing, progress=progress
        )
