"""How the loans granted on changed applications went on to perform: observed history.

This is what happened to the loans the institution actually granted, not a prediction of
what a new outcome would have led to: an application the draft declines but that was
granted shows how such a borrower did pay; one the draft would approve but that was
declined has no loan to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bpmn.simulation.population import in_list, money
from domain import sqltext
from domain.loan.models import LoanStatus

LABEL = "observed history of the loans actually granted, not a prediction"
DEFAULT_DPD = 90  # days past due from which a loan counts as defaulted

_LOANS = """
SELECT c.application_id, l.id, l.status, l.days_past_due, l.principal,
       (SELECT MAX({late}) FROM installment i
         WHERE i.loan_id = l.id AND i.due_date < :today
           AND (i.paid_on IS NULL OR i.paid_on > i.due_date)) AS worst_late
FROM contract c JOIN loan l ON l.contract_id = c.id
WHERE c.application_id IN {applications}
"""


@dataclass
class Performance:
    """Loans granted, their principal, the worst days past due seen and how many defaulted."""

    loans: int = 0
    principal: Decimal = Decimal("0")
    worst_dpd: int = 0
    defaulted: int = 0

    def shown(self) -> dict[str, Any]:
        """As the report keeps it."""
        return {"loans": self.loans, "principal": str(self.principal),
                "worstDpd": self.worst_dpd, "defaulted": self.defaulted}  # fmt: skip


@dataclass
class Observed:
    """The performance of the granted loans among changed applications, per cell."""

    today: date
    overall: Performance = field(default_factory=Performance)
    cells: dict[tuple[str, str], Performance] = field(default_factory=dict)

    async def add(self, changed: dict[int, tuple[str, str]]) -> None:
        """Read the loans of a chunk's changed applications (id -> (old, new))."""
        if not changed:
            return
        listed, values = in_list("application", tuple(sorted(changed)))
        late = sqltext.days_between("COALESCE(i.paid_on, :today)", "i.due_date",
                                    pg=sqltext.postgres())  # fmt: skip
        statement = _LOANS.format(late=late, applications=listed)
        _, rows = await sqltext.execute(statement, {"today": self.today, **values})
        for row in rows:
            worst = max(int(row["days_past_due"] or 0), int(row["worst_late"] or 0))
            defaulted = row["status"] == LoanStatus.CHARGED_OFF.value or worst >= DEFAULT_DPD
            principal = money(row["principal"]) or Decimal("0")
            cell = self.cells.setdefault(changed[int(row["application_id"])], Performance())
            for found in (self.overall, cell):
                found.loans += 1
                found.principal += principal
                found.worst_dpd = max(found.worst_dpd, worst)
                found.defaulted += int(defaulted)

    def shown(self) -> dict[str, Any]:
        """As the report keeps it, labelled as observed history."""
        return {
            "label": LABEL, "asOf": self.today.isoformat(), "defaultDpd": DEFAULT_DPD,
            **self.overall.shown(),
            "cells": [{"old": pair[0], "new": pair[1], **self.cells[pair].shown()}
                      for pair in sorted(self.cells)],
        }  # fmt: skip
