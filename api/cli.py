"""The `lendgraph` command: demo, seed, serve, migrate, import, export-schema, worker,
create-user."""

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from tortoise import Tortoise

from api import cli_import, cli_processes, cli_users, cli_worker
from api.cli_options import UrlOption
from domain import migrate as migrations
from domain.db import database_url

app = typer.Typer(
    help="lendgraph: the customer graph of a credit institution.", no_args_is_help=True
)
app.add_typer(cli_processes.processes, name="processes")
console = Console()
T = TypeVar("T")
DEFAULT_DEMO_PASSWORD = "lendgraph-demo"  # noqa: S105  (printed at start; demo data only)


def _run(url: str | None, work: Callable[[], Awaitable[T]], *, check: bool = True) -> T:
    async def main() -> T:
        await migrations.init(url)
        try:
            if check:
                await migrations.check(url)
            return await work()
        finally:
            await Tortoise.close_connections()

    try:
        return asyncio.run(main())
    except migrations.NotMigratedError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def migrate(database_url_: UrlOption = None) -> None:
    """Apply pending schema migrations, then deploy the shipped processes where due."""

    async def work() -> list[str]:
        return await migrations.apply(
            database_url_, progress=lambda n: console.print(f"applied {n}")
        )

    applied = _run(database_url_, work, check=False)
    console.print(f"database is up to date ({len(applied)} migration(s) applied)")
    _run(database_url_, cli_processes.deploy_bundled)  # see `lendgraph processes status`


def _business_date(value: str | None) -> date:
    if value:
        return date.fromisoformat(value)
    from domain.clock.service import local_date

    return local_date(datetime.now(UTC))


@app.command()
def seed(
    database_url_: UrlOption = None,
    customers: Annotated[int, typer.Option(help="How many customers.")] = 2000,
    demo_password: Annotated[str, typer.Option(help="Password of every demo user.")] = (
        DEFAULT_DEMO_PASSWORD
    ),
    business_date: Annotated[
        str | None, typer.Option(help="Business date (YYYY-MM-DD); default: today.")
    ] = None,
    rng_seed: Annotated[int, typer.Option(help="Random seed: same seed, same portfolio.")] = (
        20261128
    ),
) -> None:
    """Seed a deterministic demo portfolio into an empty database."""
    from domain.seed.generator import DatabaseNotEmptyError
    from domain.seed.generator import seed as generate

    day = _business_date(business_date)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        async def work() -> object:
            return await generate(
                customers=customers,
                demo_password=demo_password,
                business_date=day,
                rng_seed=rng_seed,
                progress=progress,
            )

        try:
            summary = _run(database_url_, work)
        except DatabaseNotEmptyError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
    console.print(summary)
    console.print(f"demo users' password: [bold]{demo_password}[/bold]; business date {day}")


@app.command()
def serve(
    database_url_: UrlOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve GraphQL (GraphiQL at /graphql).

    On SIGTERM (or Ctrl-C) it stops accepting connections, lets the requests in flight finish
    (for up to LENDGRAPH_SHUTDOWN_GRACE_SECONDS), closes the database pool and exits (0 after
    SIGTERM).
    """
    import signal

    import uvicorn

    from api.app import create_app
    from api.limits import Limits

    url = database_url(database_url_)
    _run(url, _nothing)  # refuse early, with the fix, on an unmigrated database
    grace = os.environ.get("LENDGRAPH_SHUTDOWN_GRACE_SECONDS", "30").strip()
    # above the idle timeout of the load balancer in front (60 s on most): a connection the
    # server closes while the balancer sends on it is an error the client sees
    keep_alive = os.environ.get("LENDGRAPH_KEEPALIVE_SECONDS", "75").strip()
    try:
        application = create_app(url)
        for name, value in (("LENDGRAPH_SHUTDOWN_GRACE_SECONDS", grace),
                            ("LENDGRAPH_KEEPALIVE_SECONDS", keep_alive)):  # fmt: skip
            if not value.isdigit():
                raise ValueError(f"{name} must be whole seconds: {value!r}")
        limits = Limits.from_env()
    except ValueError as exc:  # a setting that is not valid: the message names it
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    console.print(f"serving {url} on http://{host}:{port}/graphql")
    # what the process holds by now (modules, the schema, the policy's model) lives as long as
    # it does: frozen out of the collector's reach, a full collection walks only what requests
    # leave behind (with them in it, one took about 70 ms every few hundred requests)
    gc.collect()
    gc.freeze()
    # uvicorn raises the signal it stopped on again once done; a stop it asked for and
    # completed is a success: exit 0 instead of dying of SIGTERM
    signal.signal(signal.SIGTERM, lambda *_: None)
    uvicorn.run(application, host=host, port=port, log_level="info",
                timeout_graceful_shutdown=int(grace), timeout_keep_alive=int(keep_alive),
                ws_max_size=limits.max_body)  # fmt: skip


async def _nothing() -> None:
    return None


@app.command()
def demo(
    database_url_: UrlOption = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    customers: Annotated[int, typer.Option(help="Customers to seed when empty.")] = 2000,
    demo_password: Annotated[str, typer.Option(help="Password of the demo users.")] = (
        DEFAULT_DEMO_PASSWORD
    ),
) -> None:
    """Migrate, seed if empty, then serve, in demo mode (the business date can be moved)."""
    os.environ.setdefault("LENDGRAPH_MODE", "demo")
    # the demo's credit bureau is served by the demo itself (see api.app.simulated_bureau)
    os.environ.setdefault("LENDGRAPH_BUREAU_URL", f"http://127.0.0.1:{port}/simulated-bureau")
    migrate(database_url_)

    async def count() -> int:
        from domain.customer.models import Customer

        return await Customer.all().count()

    if _run(database_url_, count) == 0:
        seed(database_url_, customers=customers, demo_password=demo_password,
             business_date=None, rng_seed=20261128)  # fmt: skip
    else:
        console.print(f"database already seeded; demo users' password: {demo_password}")
    serve(database_url_, host="127.0.0.1", port=port)


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path(
        "api/schema.graphql"
    ),
) -> None:
    """Write the GraphQL schema (SDL) to a file."""
    from api.schema import schema

    output.write_text(schema.as_str() + "\n", encoding="utf-8")
    console.print(f"wrote {output}")


cli_import.register(app, _run)  # import
cli_users.register(app, _run)  # create-user
cli_worker.register(app)  # worker

if __name__ == "__main__":
    app()
