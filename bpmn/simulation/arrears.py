"""Days past due on a past day, from the installments that were paid late or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bpmn.simulation.population import day
from domain.loan.models import LoanStatus

# a loan's installments not paid by their due date, with the loan's status and closing day;
# {where} narrows the loans (``l.customer_id IN …`` or ``l.id IN …``)
LATE = """
SELECT l.id AS loan_id, l.customer_id, l.status, l.closed_on, i.due_date, i.paid_on
FROM installment i JOIN loan l ON l.id = i.loan_id
WHERE {where} AND (i.paid_on IS NULL OR i.paid_on > i.due_date)
"""


@dataclass(frozen=True, slots=True)
class Late:
    """An installment not paid by its due date, and when its loan was charged off if it was."""

    due: date
    paid: date | None
    charged_off_on: date | None


def late_of(row: Any) -> Late:
    """A late installment from its row of :data:`LATE`."""
    due = day(row["due_date"])
    assert due is not None  # a NOT NULL column
    charged_off = row["status"] == LoanStatus.CHARGED_OFF.value
    return Late(due, day(row["paid_on"]), day(row["closed_on"]) if charged_off else None)


def days_past_due(late: list[Late], on: date) -> int:
    """The worst days past due on a day among late installments (one unpaid that day and due
    before it; a loan charged off by then left out, as the live path reads active loans)."""
    worst = 0
    for found in late:
        if found.charged_off_on is not None and found.charged_off_on <= on:
            continue
        if found.due < on and (found.paid is None or found.paid > on):
            worst = max(worst, (on - found.due).days)
    return worst
