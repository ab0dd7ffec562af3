"""A row on its way in, the running tally of an import, and key helpers shared by every kind."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.customfield.models import CustomFieldDefinition
from domain.errors import Problems
from domain.importer.model import RowProblem

Key = tuple[str, str]


@dataclass
class Row:
    """One data row: its line, raw values, key and the values it would write."""

    line: int
    data: dict[str, Any]
    source: str
    external_id: str
    problems: Problems = field(default_factory=Problems)
    values: dict[str, Any] = field(default_factory=dict)
    date_format: str | None = None  # declared for the file: tried first for dates

    @property
    def key(self) -> Key:
        """(source, external_id): the row's identity in the other system."""
        return self.source, self.external_id

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong with the row so far."""
        return not self.problems.items

    def add(self, column: str, reason: str) -> None:
        """Record a problem with one column."""
        self.problems.add(column, reason)

    def given(self, column: str) -> bool:
        """Whether the row has a non-empty value in a column."""
        value = self.data.get(column)
        return value is not None and value != ""


@dataclass
class Env:
    """What every batch of one import needs: the business date and custom field definitions."""

    today: date
    defs: dict[str, CustomFieldDefinition]


@dataclass
class Tally:
    """Counts and problems of an import so far."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def fail(self, problems: Sequence[RowProblem]) -> None:
        """Count one row that failed, with what is wrong with it."""
        self.failed += 1
        self.problems.extend(problems)

    def fail_row(self, row: Row) -> None:
        """Count a row that failed with the problems recorded on it."""
        self.fail([RowProblem(row.line, column_of(p.field), p.message) for p in row.problems.items])

    def settle(self, rows: Iterable[Row]) -> None:
        """Count the failed rows of a batch (the others were counted when written)."""
        for row in rows:
            if not row.ok:
                self.fail_row(row)


def column_of(problem_field: str) -> str:
    """The file column a service's problem field stands for."""
    if problem_field.startswith("custom_fields."):
        return "custom." + problem_field.removeprefix("custom_fields.")
    return problem_field


def by_key(rows: Iterable[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    """Rows of a `.values()` query by their (source, external_id)."""
    return {(str(r["source"]), str(r["external_id"])): r for r in rows}


def key_filter(keys: Iterable[Key]) -> dict[str, list[str]]:
    """Filter arguments that select at least every row with one of these keys."""
    wanted = set(keys)
    return {
        "source__in": sorted({s for s, _ in wanted}),
        "external_id__in": sorted({e for _, e in wanted}),
    }
