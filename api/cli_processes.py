"""`lendgraph processes`: where the shipped and deployed processes stand; migrate's deploy step."""

import asyncio

import typer
from rich.console import Console
from tortoise import Tortoise

from api.cli_options import UrlOption
from bpmn import bundled
from bpmn.errors import DeployError
from domain import migrate as migrations

processes = typer.Typer(
    help="The processes shipped with lendgraph and the versions in force.", no_args_is_help=True
)
console = Console()


def print_entries(entries: list[bundled.Entry]) -> None:
    """One line per process, never wrapped (each is read, and grepped, as a whole)."""
    for entry in entries:
        console.print(entry.line(), highlight=False, markup=False, soft_wrap=True)


async def deploy_bundled() -> None:
    """Migrate's last step: deploy the shipped processes the plan says to, line per process."""
    try:
        entries = await bundled.install()
    except DeployError as exc:  # a shipped file that does not deploy is a broken release
        console.print(f"error: a shipped process does not deploy: {exc}", markup=False)
        raise typer.Exit(1) from exc
    print_entries(entries)


@processes.command("status")
def status(database_url_: UrlOption = None) -> None:
    """Per shipped and deployed process: version in force, origin, and what migrate does."""

    async def main() -> list[bundled.Entry]:
        await migrations.init(database_url_)
        try:
            await migrations.check(database_url_)
            return await bundled.status()
        finally:
            await Tortoise.close_connections()

    try:
        entries = asyncio.run(main())
    except migrations.NotMigratedError as exc:
        console.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    if not entries:
        console.print("no process shipped or deployed")
    print_entries(entries)
