"""Tortoise configuration: every model module listed once, one app, versioned migrations.

On PostgreSQL each process keeps one bounded pool (``LENDGRAPH_DB_POOL_SIZE`` connections) and
uses :mod:`domain.pgclient`, which turns outages into typed errors; the API's connections also
carry a statement timeout (``LENDGRAPH_STATEMENT_TIMEOUT_MS``), the workers' do not.
"""

import os
from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

APP = "lendgraph"
DEFAULT_DATABASE_URL = "sqlite://lendgraph.db"
POOL_SIZE_ENV, STATEMENT_TIMEOUT_ENV = "LENDGRAPH_DB_POOL_SIZE", "LENDGRAPH_STATEMENT_TIMEOUT_MS"
DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT_MS = 20, 5000
RANDOM_PAGE_COST_ENV = "LENDGRAPH_DB_RANDOM_PAGE_COST"
CONNECT_TIMEOUT_SECONDS = 5.0  # opening a connection; asyncpg's own default is 60 s

MODEL_MODULES = [
    "domain.user.models",
    "domain.customer.models",
    "domain.customfield.models",
    "domain.product.models",
    "domain.application.models",
    "domain.loan.models",
    "domain.interaction.models",
    "domain.credit.models",
    "domain.campaign.models",
    "domain.reports.models",
    "domain.clock.models",
    "domain.process.models",
    "domain.outreach.models",
    "domain.daily.models",
    "domain.profile.models",
    "domain.access.models",
    "domain.simulation.models",
]


def database_url(explicit: str | None = None) -> str:
    """The database to use: the explicit URL, else `DATABASE_URL`, else a local SQLite file."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def normalise(url: str) -> str:
    # Tortoise spells PostgreSQL "postgres://"; accept the spellings other tools use.
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            url = "postgres://" + url[len(prefix) :]
    return url


def positive_setting(name: str, default: int, *, zero: bool = False) -> int:
    """A whole-number setting from the environment (ValueError naming it when not valid)."""
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = -1
    if value < 0 or (value == 0 and not zero):
        least = "0 or more" if zero else "1 or more"
        raise ValueError(f"{name} must be a whole number, {least} (got {raw!r})")
    return value


def pool_size() -> int:
    """Connections one process may hold on PostgreSQL (``LENDGRAPH_DB_POOL_SIZE``, default 20)."""
    return positive_setting(POOL_SIZE_ENV, DEFAULT_POOL_SIZE)


def statement_timeout_ms() -> int:
    """The API's per-statement limit in ms (``LENDGRAPH_STATEMENT_TIMEOUT_MS``; 0: none)."""
    return positive_setting(STATEMENT_TIMEOUT_ENV, DEFAULT_STATEMENT_TIMEOUT_MS, zero=True)


def connection(url: str, *, statement_timeout: int = 0) -> str | dict[str, Any]:
    """Tortoise's connection entry: SQLite's file with `domain.sqliteclient`, PostgreSQL's
    credentials with the pool's size and `domain.pgclient`.

    `statement_timeout` (ms, 0 for none) is set on every connection of the pool, and the
    driver gives up on an unanswered statement a few seconds after the server should have.
    """
    url = normalise(url)
    if not url.startswith("postgres://"):
        sqlite: dict[str, Any] = expand_db_url(url)
        sqlite["engine"] = "domain.sqliteclient"  # transactions take the write lock first
        return sqlite
    credentials: dict[str, Any] = expand_db_url(url)["credentials"]
    credentials.setdefault("maxsize", pool_size())
    credentials["minsize"] = min(int(credentials.get("minsize", 1)), credentials["maxsize"])
    credentials.setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
    settings = dict(credentials.get("server_settings") or {})
    settings.update(planner_settings())
    if statement_timeout:
        settings["statement_timeout"] = str(statement_timeout)
        credentials.setdefault("command_timeout", statement_timeout / 1000 + 5)
    credentials["server_settings"] = settings
    credentials["reset"] = keep_session
    return {"engine": "domain.pgclient", "credentials": credentials}


async def keep_session(connection: object) -> None:
    """What the pool does to a connection given back, beyond asyncpg's own rollback of an open
    transaction: nothing.

    asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``,
    one more round trip after every statement outside a transaction. None of it has anything
    to undo here: advisory locks are transaction-level (``pg_advisory_xact_lock``), settings
    are ``SET LOCAL`` or the connection's own (``server_settings``, which ``RESET ALL`` would
    only restore), no cursor outlives its transaction, and LISTEN has a connection of its own
    (``domain.process.events``). A statement that leaves session state behind breaks this
    (see tests/api/test_request_floor.py).
    """


def planner_settings() -> dict[str, str]:
    """Planner settings for lendgraph's connections: JIT off (compiling a grouped statement
    costs more than it saves on these short queries) and ``random_page_cost`` from
    ``LENDGRAPH_DB_RANDOM_PAGE_COST`` (default 1.1, for data in memory or on SSD: with the
    server's default of 4 a chunk of the daily run scans every installment instead of
    reading its customers' through the index); ``server`` keeps the server's own."""
    raw = os.environ.get(RANDOM_PAGE_COST_ENV, "").strip() or "1.1"
    if raw == "server":
        return {"jit": "off"}
    try:
        cost = float(raw)
    except ValueError:
        cost = -1.0
    if not 0 < cost <= 100:
        raise ValueError(
            f"{RANDOM_PAGE_COST_ENV} must be a number above 0 or 'server' (got {raw!r})"
        )
    return {"jit": "off", "random_page_cost": str(cost)}


def tortoise_config(url: str | None = None, *, statement_timeout: int = 0) -> dict[str, Any]:
    """The Tortoise config dict for a database URL (its models guarded by their columns)."""
    from domain import columns  # imports the model modules: not at this module's import

    columns.guard(MODEL_MODULES)
    return {
        "connections": {
            "default": connection(database_url(url), statement_timeout=statement_timeout)
        },
        "apps": {
            APP: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "domain.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(url: str | None = None) -> bool:
    """Whether the URL points at PostgreSQL."""
    return normalise(database_url(url)).startswith("postgres://")


TORTOISE_ORM = tortoise_config()
