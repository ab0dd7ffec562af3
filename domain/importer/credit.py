"""Importing credit-bureau reports."""

from collections.abc import Sequence
from decimal import Decimal

from domain.credit.models import CreditReport
from domain.importer import records, refs, values
from domain.importer.rows import Env, Row, Tally

COLUMNS = frozenset(
    {"source", "external_id", "customer_external_id", "customer_source", "bureau", "score",
     "pulled_at", "total_debt", "open_accounts", "delinquencies", "inquiries"}
)  # fmt: skip
FIELDS = (
    "customer_id", "bureau", "score", "pulled_at", "total_debt", "open_accounts",
    "delinquencies", "inquiries",
)  # fmt: skip
_COUNT_LIMIT = 100_000


def _parse(row: Row) -> None:
    out = row.values
    out["bureau"] = values.text(row, "bureau", max_len=64, required=True)
    out["score"] = values.integer(row, "score", low=300, high=999, required=True)
    out["pulled_at"] = values.moment(row, "pulled_at", required=True)
    out["total_debt"] = values.money(row, "total_debt") or Decimal("0.00")
    for column in ("open_accounts", "delinquencies", "inquiries"):
        out[column] = values.integer(row, column, low=0, high=_COUNT_LIMIT) or 0


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Upsert one batch of credit report rows."""
    for row in rows:
        _parse(row)
    await refs.resolve_customers(rows)
    good = [row for row in rows if row.ok]
    existing = await records.load_existing(CreditReport, good, FIELDS)
    await records.write(CreditReport, FIELDS, rows, existing, tally)
