"""Options every `lendgraph` command shares."""

from typing import Annotated

import typer

from domain.db import DEFAULT_DATABASE_URL

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help=f"Database URL (default: $DATABASE_URL, else {DEFAULT_DATABASE_URL}).",
        show_default=False,
    ),
]
