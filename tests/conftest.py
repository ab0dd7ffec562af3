"""Test databases: a real SQLite file, or a fresh PostgreSQL database when DATABASE_URL says so."""

import os
from collections.abc import AsyncIterator, Iterator
from datetime import date, time
from pathlib import Path

import pytest
from tortoise import Tortoise, connections

from domain import migrate
from domain.db import is_postgres, tortoise_config
from tests.pgdatabase import fresh_database

os.environ.setdefault("LENDGRAPH_MODE", "test")
TEN_AM = time(10, 0)  # the business time of day in tests: inside every contact window
TODAY = date(2026, 6, 15)  # the business date tests start from; never the wall clock


# Tests that touch no database (FEEL, DMN, the engine in memory, schedule arithmetic): with
# PostgreSQL configured they ran already in the SQLite pass of `make test` and are left out.
DATABASE_FREE = (
    "tests/bpmn/feel/", "tests/bpmn/dmn/", "tests/bpmn/feel_processes/",
    "tests/bpmn/test_expressions.py", "tests/bpmn/test_hostile.py", "tests/bpmn/test_engine.py",
    "tests/domain/loan/test_schedule.py", "tests/domain/loan/test_allocation.py",
    "tests/authz/test_masking.py",
)  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not is_postgres(os.environ.get("DATABASE_URL") or "sqlite://x"):
        return
    kept, left = [], []
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        free = where.startswith(DATABASE_FREE) and "database_url" not in item.fixturenames
        (left if free else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated-ready, empty database for this test session."""
    configured = os.environ.get("DATABASE_URL", "")
    if not is_postgres(configured or "sqlite://x"):
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'lendgraph.db'}"
        return
    with fresh_database(configured) as url:
        yield url


@pytest.fixture(scope="session")
async def orm(database_url: str) -> AsyncIterator[str]:
    """Tortoise connected to the session database, schema built by the real migrations."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    await migrate.apply(database_url)
    yield database_url
    await Tortoise.close_connections()


def _tables() -> list[str]:
    return [model._meta.db_table for model in Tortoise.apps["lendgraph"].values()]


@pytest.fixture
async def db(orm: str) -> AsyncIterator[str]:
    """An empty database for one test (emptied again afterwards), business clock at TODAY 10:00."""
    from domain.clock.models import BusinessDay

    await BusinessDay.create(id=1, current=TODAY, pinned_time=TEN_AM.isoformat())
    yield orm
    await _empty(orm)


@pytest.fixture
async def shipped_processes(db: str) -> str:
    """An empty database with the shipped processes deployed, as `lendgraph migrate` does."""
    from bpmn import bundled

    await bundled.install()
    return db


async def _empty(url: str) -> None:
    """Delete every row, past the append-only triggers of the audit log."""
    conn = connections.get("default")
    tables = _tables()
    if is_postgres(url):
        # replica mode skips row triggers and FK checks: plain DELETEs beat TRUNCATE here
        await conn.execute_script(
            "SET session_replication_role = replica;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "SET session_replication_role = DEFAULT;"
        )
        return
    _, rows = await conn.execute_query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    triggers = [(row["name"], row["sql"]) for row in rows]
    for name, _ in triggers:
        await conn.execute_query(f'DROP TRIGGER "{name}"')
    await conn.execute_script(
        "PRAGMA foreign_keys=OFF;"
        + "".join(f'DELETE FROM "{t}";' for t in tables)
        + "DELETE FROM sqlite_sequence;PRAGMA foreign_keys=ON;"
    )
    for _, sql in triggers:
        await conn.execute_query(sql)


@pytest.fixture
def samples_dir() -> Path:
    """Where shared interoperability samples live (tests skip when absent)."""
    return Path(__file__).resolve().parents[2] / "shared" / "samples"
