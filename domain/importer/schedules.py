"""A loan's repayment schedule: given explicitly in a JSON Lines row, or generated."""

from datetime import date
from decimal import Decimal
from typing import Any

from domain.importer import values
from domain.importer.rows import Row
from domain.loan.schedule import (
    AmortizationMethod,
    PlannedInstallment,
    first_due_date,
    schedule_for,
)

SCHEDULE = "schedule"
_ITEM_KEYS = ("seq", "due_date", "principal_due", "interest_due")


def generated(
    principal: Decimal, annual_rate: Decimal, term_months: int, disbursed_on: date,
    method: AmortizationMethod,
) -> list[PlannedInstallment]:  # fmt: skip
    """The schedule lendgraph computes for a loan's terms."""
    return schedule_for(
        principal=principal,
        annual_rate=annual_rate,
        term_months=term_months,
        first_due=first_due_date(disbursed_on),
        method=method,
    )


def _item(row: Row, index: int, item: Any, after: date | None) -> PlannedInstallment | None:
    where = f"{SCHEDULE}[{index}]"
    if not isinstance(item, dict):
        row.add(where, "must be an object with seq, due_date, principal_due and interest_due")
        return None
    sub = Row(row.line, item, row.source, row.external_id, date_format=row.date_format)
    for key in sorted(set(item) - set(_ITEM_KEYS)):
        sub.add(key, "is not an installment attribute")
    seq = values.integer(sub, "seq", low=1, high=10_000, required=True)
    if seq is not None and seq != index + 1:
        sub.add("seq", f"must be {index + 1}: seqs run 1..n in order")
    due = values.day(sub, "due_date", required=True)
    if due is not None and after is not None and due <= after:
        previous = f"{SCHEDULE}[{index - 1}].due_date" if index else "disbursed_on"
        sub.add("due_date", f"must be after {previous} ({after})")
    principal_due = values.money(sub, "principal_due", required=True)
    interest_due = values.money(sub, "interest_due", required=True)
    for problem in sub.problems.items:
        row.add(f"{where}.{problem.field}", problem.message)
    if not sub.ok or seq is None or due is None or principal_due is None or interest_due is None:
        return None
    return PlannedInstallment(seq, due, principal_due, interest_due)


def explicit(
    row: Row, principal: Decimal | None, term_months: int | None, disbursed_on: date | None
) -> list[PlannedInstallment] | None:
    """The schedule a row gives (None when it gives none); problems name schedule[i].column."""
    given = row.data.get(SCHEDULE)
    if given is None or given == "":
        return None
    if isinstance(given, str):
        row.add(SCHEDULE, "can be given only in JSON Lines, as a list of installments")
        return None
    if not isinstance(given, list) or not given:
        row.add(SCHEDULE, "must be a non-empty list of installments")
        return None
    if term_months is not None and len(given) != term_months:
        row.add(SCHEDULE, f"has {len(given)} installments but term_months is {term_months}")
    plan: list[PlannedInstallment] = []
    after = disbursed_on
    for index, item in enumerate(given):
        planned = _item(row, index, item, after)
        if planned is not None:
            plan.append(planned)
        after = planned.due_date if planned is not None else None
    if len(plan) != len(given):
        return None
    total = sum((p.principal_due for p in plan), Decimal("0.00"))
    if principal is not None and total != principal:
        row.add(
            f"{SCHEDULE}[{len(plan) - 1}].principal_due",
            f"principal parts sum to {total}, not the principal {principal}",
        )
    return plan if row.ok else None


def same(plan: list[PlannedInstallment], stored: list[dict[str, Any]]) -> bool:
    """Whether stored installment rows (ordered by seq) are exactly this plan."""
    return len(plan) == len(stored) and all(
        (p.seq, p.due_date, p.principal_due, p.interest_due)
        == (s["seq"], s["due_date"], s["principal_due"], s["interest_due"])
        for p, s in zip(plan, stored, strict=True)
    )
