"""`lendgraph import`: rows from another system, from a CSV, JSON Lines or .xlsx file.
Registered on the main command by `register`."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_options import UrlOption

if TYPE_CHECKING:
    from domain.importer import ImportReport

Runner = Callable[[str | None, Callable[[], Awaitable["ImportReport"]]], "ImportReport"]
console = Console()
FAILED, USAGE = 1, 2  # a row or the header refused; the command itself was wrong
KINDS_HELP = "customers, loans, payments, interactions, credit_reports or campaign_responses"


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(USAGE)


def _print_report(r: "ImportReport") -> None:
    refused = " — file refused, nothing written" if r.refused else ""
    console.print(
        f"{r.rows} rows: {r.created} created, {r.updated} updated, {r.unchanged} unchanged, "
        f"{r.failed} failed in {r.seconds:.1f} s{refused}"
    )
    if r.encoding is not None:
        console.print(f"read as {r.encoding.upper()}")
    if r.ignored_columns:
        console.print(f"ignored columns: {escape(', '.join(r.ignored_columns))}")
    if r.problems:
        table = Table("line", "column", "reason")
        for p in r.problems[:200]:
            table.add_row(str(p.line), escape(p.column), escape(p.reason))
        console.print(table)
        if len(r.problems) > 200:
            console.print(f"... and {len(r.problems) - 200} more")


def register(app: typer.Typer, run: Runner) -> None:
    """Add `import` to the command (`run` opens the migrated database around the work)."""

    @app.command("import")
    def import_(
        kind: Annotated[str, typer.Argument(help=KINDS_HELP)],
        file: Annotated[
            Path, typer.Argument(help="A .csv, .jsonl (.ndjson) or .xlsx file.", exists=True)
        ],
        database_url_: UrlOption = None,
        all_or_nothing: Annotated[
            bool, typer.Option("--all-or-nothing", help="Refuse the whole file on any bad row.")
        ] = False,
        source: Annotated[
            str | None,
            typer.Option(help="The source of rows without a source column (or with it empty)."),
        ] = None,
        column_map: Annotated[
            list[str] | None,
            typer.Option(
                "--map",
                help="The file's columns that stand for ours: '手机号=phone,客户编号=external_id' "
                "(repeatable).",
            ),
        ] = None,
        map_file: Annotated[
            Path | None,
            typer.Option(
                "--map-file",
                exists=True,
                dir_okay=False,
                help="A .csv (the file's column, ours; one pair a line) or .json "
                '({"手机号": "phone"}) column map.',
            ),
        ] = None,
        ignore_unknown_columns: Annotated[
            bool,
            typer.Option(
                "--ignore-unknown-columns",
                help="Leave out columns the kind does not know, instead of refusing the file.",
            ),
        ] = False,
        date_format: Annotated[
            str | None,
            typer.Option(
                help="A strptime format tried first for dates, e.g. '%d/%m/%Y' (year-first "
                "dates such as 2026/1/5 and 2026年1月5日 are always read)."
            ),
        ] = None,
        encoding: Annotated[
            str | None,
            typer.Option(help="The file's encoding, e.g. gb18030 (default: UTF-8, else GB18030)."),
        ] = None,
        sheet: Annotated[
            str | None, typer.Option(help="The sheet of an .xlsx workbook (default: the first).")
        ] = None,
    ) -> None:
        """Import rows from another system; re-running the same file changes nothing.

        Exit status: 0 imported; 1 some rows failed or the file was refused (unknown columns,
        all-or-nothing); 2 the command was wrong (kind, map, options, file format).
        """
        from domain.errors import DomainError
        from domain.importer import (
            ImportKind,
            ImportOptions,
            detect_format,
            import_file,
            parse_pairs,
            read_map_file,
        )

        try:
            chosen = ImportKind(kind)
        except ValueError as exc:
            raise _fail(f"unknown kind '{kind}' ({', '.join(ImportKind)})") from exc
        try:
            fmt = detect_format(str(file))
            pairs = [pair for spec in column_map or [] for pair in parse_pairs(spec)]
            if map_file is not None:
                pairs.extend(read_map_file(map_file))
        except (ValueError, DomainError) as exc:
            raise _fail(getattr(exc, "message", str(exc))) from exc
        options = ImportOptions(
            source=source, column_map=pairs, ignore_unknown_columns=ignore_unknown_columns,
            date_format=date_format, encoding=encoding, sheet=sheet,
        )  # fmt: skip
        with Progress(
            TextColumn(f"importing {kind}"), BarColumn(pulse_style="cyan"),
            TextColumn("{task.completed} rows · {task.fields[rate]} rows/s"),
            TimeElapsedColumn(), console=console,
        ) as bar:  # fmt: skip
            task = bar.add_task("import", total=None, rate="-")
            started = datetime.now(UTC)

            def progress(done: int) -> None:
                seconds = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
                bar.update(task, completed=done, rate=f"{done / seconds:,.0f}")

            async def work() -> "ImportReport":
                return await import_file(
                    chosen, file, fmt=fmt, all_or_nothing=all_or_nothing, progress=progress,
                    options=options,
                )  # fmt: skip

            try:
                report = run(database_url_, work)
            except DomainError as exc:
                raise _fail(exc.message) from exc
        _print_report(report)
        if report.failed or report.refused:
            raise typer.Exit(FAILED)
