"""Importing payments: each is posted and allocated by the loan service, idempotently."""

from collections.abc import Sequence
from typing import Any

from domain.clock.service import local_date
from domain.errors import ConflictError, DomainError, NotFoundError, ValidationError
from domain.importer import records, refs, values
from domain.importer.rows import Env, Row, Tally
from domain.loan.models import Payment
from domain.loan.service import post_payment

COLUMNS = frozenset(
    {"source", "external_id", "loan_external_id", "loan_source", "amount", "paid_at",
     "idempotency_key"}
)  # fmt: skip
FIELDS = ("loan_id", "amount", "paid_at", "idempotency_key")
_COLUMN_OF = {"loan_id": "loan_external_id"}


def _parse(row: Row) -> None:
    out = row.values
    out["amount"] = values.money(row, "amount", required=True, positive=True)
    out["paid_at"] = values.moment(row, "paid_at", required=True)
    key = values.text(row, "idempotency_key", max_len=128)
    out["idempotency_key"] = key or f"{row.source}:{row.external_id}"
    if len(out["idempotency_key"]) > 128:
        row.add(
            "idempotency_key", "the default source:external_id is over 128 characters; give one"
        )


def _check_posted(row: Row, stored: dict[str, Any]) -> None:
    for name in FIELDS:
        if stored[name] != row.values[name]:
            column = _COLUMN_OF.get(name, name)
            row.add(
                column,
                f"is {stored[name]} in the payment already posted; a posted payment cannot change",
            )


def _record(row: Row, error: DomainError) -> None:
    if isinstance(error, ValidationError):
        for problem in error.problems:
            row.add(_COLUMN_OF.get(problem.field, problem.field), problem.message)
    elif isinstance(error, ConflictError):
        row.add("idempotency_key", error.message)
    elif isinstance(error, NotFoundError):
        row.add("loan_external_id", error.message)
    else:
        row.add("", error.message)


async def run(rows: Sequence[Row], env: Env, tally: Tally) -> None:
    """Post one batch of payment rows, in file order."""
    for row in rows:
        _parse(row)
    loans = await refs.resolve_loans(rows, required=True)
    for row in rows:
        loan = loans.get(row.line)
        if loan is None:
            continue
        row.values["loan_id"] = loan.id
        paid_at = row.values["paid_at"]
        if paid_at is not None and local_date(paid_at) < loan.disbursed_on:
            row.add("paid_at", f"must not be before the loan was disbursed ({loan.disbursed_on})")
    existing = await records.load_existing(Payment, [row for row in rows if row.ok], FIELDS)
    for row in rows:
        if not row.ok:
            continue
        stored = existing.get(row.key)
        if stored is not None:
            _check_posted(row, stored)
            if row.ok:
                tally.unchanged += 1
            continue
        try:
            posted = await post_payment(
                loan_id=row.values["loan_id"],
                amount=row.values["amount"],
                paid_at=row.values["paid_at"],
                idempotency_key=row.values["idempotency_key"],
                source=row.source,
                external_id=row.external_id,
            )
        except DomainError as error:
            _record(row, error)
            continue
        if posted.created:
            tally.created += 1
        else:
            tally.unchanged += 1
    tally.settle(rows)
