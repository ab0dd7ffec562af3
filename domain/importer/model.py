"""What an import is about and what it reports: kinds, formats, row problems, the report."""

from dataclasses import dataclass, field
from enum import StrEnum


class ImportKind(StrEnum):
    """What the rows of an import file describe."""

    CUSTOMERS = "customers"
    LOANS = "loans"
    PAYMENTS = "payments"
    INTERACTIONS = "interactions"
    CREDIT_REPORTS = "credit_reports"
    CAMPAIGN_RESPONSES = "campaign_responses"


class ImportFormat(StrEnum):
    """How an import file is written."""

    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one row: 1-based physical line, column ('' = whole row), reason."""

    line: int
    column: str
    reason: str


@dataclass
class ImportReport:
    """The outcome of importing one file."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    refused: bool = False
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall time (0 when nothing was timed)."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0
