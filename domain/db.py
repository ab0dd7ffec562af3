"""Tortoise configuration: every model module listed once, one app, versioned migrations."""

import os
from typing import Any

APP = "lendgraph"
DEFAULT_DATABASE_URL = "sqlite://lendgraph.db"

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
]


def database_url(explicit: str | None = None) -> str:
    """The database to use: the explicit URL, else `DATABASE_URL`, else a local SQLite file."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def normalise(url: str) -> str:
    # Tortoise spells PostgreSQL "postgres://"; accept the spellings other tools use.
    for prefix in ("postgresql+asyncpg://", "postgresql://", "asyncpg://"):
        if url.startswith(prefix):
            url = "postgres://" + url[len(prefix) :]
    if url.startswith("postgres://") and "maxsize=" not in url:
        url += ("&" if "?" in url else "?") + "maxsize=20"
    return url


def tortoise_config(url: str | None = None) -> dict[str, Any]:
    """The Tortoise config dict for a database URL (its models guarded by their columns)."""
    from domain import columns  # imports the model modules: not at this module's import

    columns.guard(MODEL_MODULES)
    return {
        "connections": {"default": normalise(database_url(url))},
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
