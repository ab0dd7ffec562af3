"""Versioned schema migrations (Tortoise's own), applied by one command."""

from collections.abc import Callable

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.executor import MigrationExecutor

from domain.db import APP, tortoise_config

MIGRATE_HINT = "lendgraph migrate"


class NotMigratedError(RuntimeError):
    """The database schema is behind the code."""


def _executor(url: str | None) -> MigrationExecutor:
    config = tortoise_config(url)
    return MigrationExecutor(get_connection("default"), {APP: config["apps"][APP]})


async def pending(url: str | None = None) -> list[str]:
    """Names of migrations not yet applied (Tortoise must be initialised)."""
    steps = await _executor(url).plan()
    return [step.migration.name for step in steps if not step.backward]


async def apply(url: str | None = None, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration; returns their names."""
    names = await pending(url)
    if names:

        def report(event: str, app: str, name: str) -> None:
            if progress is not None and event == "apply_done":
                progress(name)

        await _executor(url).migrate(progress=report)
    return names


async def check(url: str | None = None) -> None:
    """Raise NotMigratedError naming the command that fixes an unmigrated database."""
    names = await pending(url)
    if names:
        where = f" --database-url {url}" if url else ""
        raise NotMigratedError(
            f"the database is not migrated ({len(names)} pending: {', '.join(names)}); "
            f"run `{MIGRATE_HINT}{where}` first"
        )


async def init(url: str | None = None) -> None:
    """Connect Tortoise to a database."""
    await Tortoise.init(config=tortoise_config(url))
