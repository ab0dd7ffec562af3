"""A loan's days past due over time, from its late installments, as day ordinals.

The days past due on a day are :func:`bpmn.simulation.arrears.days_past_due`'s: the day minus
the oldest due date of an installment due before that day and unpaid on it, 0 from the day the
loan was charged off. That oldest due date changes only on the days an installment falls
overdue (the day after its due date), is paid, or the loan is charged off, so a loan's history
is a short list of spans each with one anchor (the oldest unpaid due date, or none), and the
days past due of any day is a bisection away. Days are ``date.toordinal()`` numbers.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from bpmn.simulation.arrears import Late


@dataclass(slots=True)
class Timeline:
    """Where a loan's days past due change, and from when each anchor holds."""

    starts: list[int]  # first day of each span, ascending
    anchors: list[int]  # the oldest unpaid due date of each span; 0 when none is past due
    charged_off: int | None  # the day the loan was charged off, if it was
    payments: list[int] = field(default_factory=list)  # days a late installment was paid

    def dpd(self, day: int) -> int:
        """Days past due on ``day``."""
        at = bisect_right(self.starts, day) - 1
        if at < 0:
            return 0
        anchor = self.anchors[at]
        return day - anchor if anchor else 0

    def next_past_due(self, day: int) -> int | None:
        """The first day from ``day`` on that the loan is past due, if any."""
        if self.dpd(day) > 0:
            return day
        for at in range(bisect_right(self.starts, day), len(self.starts)):
            if self.anchors[at]:
                return self.starts[at]
        return None

    def payment_between(self, after: int, before: int) -> int | None:
        """The first day strictly between the two on which a late installment was paid."""
        at = bisect_right(self.payments, after)
        if at < len(self.payments) and self.payments[at] < before:
            return self.payments[at]
        return None

    def spans(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """The past-due spans within ``first``..``last``: (from day, to day, anchor)."""
        out = []
        at = max(0, bisect_right(self.starts, first) - 1)
        for n in range(at, len(self.starts)):
            start = max(self.starts[n], first)
            if start > last:
                break
            end = min(self.starts[n + 1] - 1 if n + 1 < len(self.starts) else last, last)
            if self.anchors[n] and end >= start:
                out.append((start, end, self.anchors[n]))
        return out

    def worst(self, first: int, last: int) -> int:
        """The most days past due reached within ``first``..``last``."""
        return max((end - anchor for _, end, anchor in self.spans(first, last)), default=0)


def of(late: list[Late]) -> Timeline:
    """A loan's timeline from its installments not paid by their due date."""
    dues = [(found.due.toordinal(), found.paid.toordinal() if found.paid else None)
            for found in late]  # fmt: skip
    charged = late[0].charged_off_on.toordinal() if late and late[0].charged_off_on else None
    changes = {due + 1 for due, _ in dues} | {paid for _, paid in dues if paid is not None}
    if charged is not None:
        changes.add(charged)
    starts: list[int] = []
    anchors: list[int] = []
    for day in sorted(changes):
        anchor = 0
        if charged is None or day < charged:
            open_ = [due for due, paid in dues if due < day and (paid is None or paid > day)]
            anchor = min(open_, default=0)
        if anchors and anchors[-1] == anchor:
            continue
        starts.append(day)
        anchors.append(anchor)
    payments = sorted({paid for due, paid in dues if paid is not None and paid > due})
    return Timeline(starts, anchors, charged, payments)
