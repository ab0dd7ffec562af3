"""The loans whose collection strategy a draft changes, and how they went on: observed history.

A loan's strategy changes when, on some day of the window it was past due, the draft's table
gives another strategy than the baseline's for that day's inputs (its bucket and days past
due, its customer's risk rating and value segment). What is shown of those loans is what
happened to them under the strategy actually applied, not a prediction of the draft's effect:
where each stood at the window's end (charged off, cured, rolled to a worse bucket than the one
it was in when first past due in the window, or neither).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bpmn.simulation.collection_history import Covered
from bpmn.simulation.population import pause
from bpmn.simulation.report import Side
from domain.loan.delinquency import Bucket, bucket_for

LABEL = "observed history of the loans whose strategy changes, not a prediction"
OUTCOMES = ("CHARGED_OFF", "CURED", "ROLLED", "STAYED")


@dataclass
class Fate:
    """Loans, their principal, and how many ended each way."""

    loans: int = 0
    principal: Decimal = Decimal("0")
    ended: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def add(self, principal: Decimal, outcome: str) -> None:
        """Count a loan."""
        self.loans += 1
        self.principal += principal
        self.ended[outcome] += 1

    def shown(self) -> dict[str, Any]:
        """As the report keeps it."""
        ended = self.ended
        return {"loans": self.loans, "principal": str(self.principal),
                "cured": ended["CURED"], "rolled": ended["ROLLED"],
                "chargedOff": ended["CHARGED_OFF"], "stayed": ended["STAYED"]}  # fmt: skip


class Differences:
    """The days past due on which the two tables choose differently, per risk and value."""

    def __init__(self, old: Side, new: Side, buckets: Sequence[Bucket]) -> None:
        self.old, self.new, self.buckets = old, new, buckets
        self.found: dict[tuple[Any, Any], tuple[list[int], list[tuple[str, str]], int]] = {}

    def first(self, risk: Any, value: Any, lo: int, hi: int) -> tuple[int, str, str] | None:
        """The first days past due in ``lo``..``hi`` where the strategies differ, and both."""
        dpds, pairs, upto = self.found.get((risk, value), ([], [], 0))
        for dpd in range(upto + 1, hi + 1):
            values = {"bucket": bucket_for(dpd, self.buckets), "days_past_due": dpd,
                      "risk_rating": risk, "value_segment": value}  # fmt: skip
            before, after = self.old.decide(values).outcome, self.new.decide(values).outcome
            if before != after:
                dpds.append(dpd)
                pairs.append((before, after))
        self.found[(risk, value)] = (dpds, pairs, max(upto, hi))
        at = bisect_left(dpds, lo)
        if at < len(dpds) and dpds[at] <= hi:
            return dpds[at], *pairs[at]
        return None


@dataclass
class Changed:
    """The changed loans' observed fates, overall and per (old, new) strategy."""

    overall: Fate = field(default_factory=Fate)
    cells: dict[tuple[str, str], Fate] = field(default_factory=dict)

    def shown(self, as_of: str) -> dict[str, Any]:
        """As the report keeps it, labelled as observed history."""
        return {
            "label": LABEL, "asOf": as_of, **self.overall.shown(),
            "cells": [{"old": pair[0], "new": pair[1], **self.cells[pair].shown()}
                      for pair in sorted(self.cells)],
        }  # fmt: skip


async def tally(
    loans: Sequence[Covered], differences: Differences, first: int, last: int
) -> Changed:
    """Which loans change strategy on a day of ``first``..``last``, and how they ended."""
    buckets = differences.buckets
    rank = {b.name: n for n, b in enumerate(buckets)}
    found = Changed()
    for done, loan in enumerate(loans, start=1):
        await pause(done)
        spans = loan.timeline.spans(first, last)
        pair = None
        for start, end, anchor in spans:
            hit = differences.first(loan.risk_rating, loan.value_segment,
                                    start - anchor, end - anchor)  # fmt: skip
            if hit is not None:
                pair = (hit[1], hit[2])
                break
        if pair is None:
            continue
        outcome = _outcome(loan, spans, last, buckets, rank)
        found.overall.add(loan.principal, outcome)
        found.cells.setdefault(pair, Fate()).add(loan.principal, outcome)
    return found


def _outcome(
    loan: Covered, spans: list[tuple[int, int, int]], last: int, buckets: Sequence[Bucket],
    rank: dict[str, int],
) -> str:  # fmt: skip
    line = loan.timeline
    if line.charged_off is not None and line.charged_off <= last:
        return "CHARGED_OFF"
    if line.dpd(last) == 0:
        return "CURED"
    start, _, anchor = spans[0]
    began = rank[bucket_for(start - anchor, buckets)]
    worst = line.worst(spans[0][0], last)
    return "ROLLED" if rank[bucket_for(worst, buckets)] > began else "STAYED"
