"""Who enters and who leaves: the changed cases by the customer's RFM segment and risk rating.

The groups are the customer's labels as stored now (``customer.rfm_segment`` and
``customer.risk_rating``), today's labels, not those the customer had on the case's date.
A case ENTERS when the draft gives the favourable outcome the version in force did not, and
LEAVES when the draft takes it away; what favourable means is the table's own (see
:func:`direction`). Any other change (between two favourable outcomes, between two others, or
for a table with no favourable outcome, such as a collection strategy) is MOVED. The amount is
the one the case carries in the confusion table: the exposure, principal or amount at stake.

The changed cases are counted as their chunk goes by, all of them (not only the sample kept),
with one read of the labels of the chunk's changed customers: the population is read once.
Cases that carry today's labels already (a reminder's inputs) are grouped by those, unread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bpmn.simulation.population import Case, in_list
from domain import sqltext
from domain.enums import RiskRating

ENTER, LEAVE, MOVE = 1, -1, 0
LABELS_PER_READ = 500  # customer ids per statement (SQLite's parameter limit is far above)
# the outcomes each simulated table or process counts as favourable
FAVOURABLE: dict[str, frozenset[str]] = {
    "limit_increase": frozenset({"True"}),  # eligible for an increase (an offer follows)
    # credit approval: a lane that is not DECLINE (table alone), or APPROVED (whole process)
    "credit_approval": frozenset({"FAST", "STANDARD", "ENHANCED", "APPROVED"}),
    "pre_due_reminders": frozenset({"True"}),  # a reminder sent
}
RANKED = "customer_risk_rating"  # a better rating enters, a worse one leaves
RANK = {rating.value: n for n, rating in enumerate(RiskRating)}  # LOW first: the best
Labels = Callable[[Case], tuple[str, str]]  # a case's (segment, rating), "" when unset
_LABELS = "SELECT id, rfm_segment, risk_rating FROM customer WHERE id IN "


def direction(process_id: str, old: str, new: str) -> int:
    """ENTER, LEAVE or MOVE for a case whose outcome goes from ``old`` to ``new``."""
    if process_id == RANKED:
        if old in RANK and new in RANK:
            return ENTER if RANK[new] < RANK[old] else LEAVE if RANK[new] > RANK[old] else MOVE
        return MOVE  # an error or no rating on either side: no direction
    favourable = FAVOURABLE.get(process_id)
    if favourable is None:
        return MOVE
    before, after = old in favourable, new in favourable
    return ENTER if after and not before else LEAVE if before and not after else MOVE


@dataclass
class Movement:
    """Changed cases of one (segment, rating) group, by direction, with their amounts."""

    entered: int = 0
    left: int = 0
    moved: int = 0
    entered_amount: Decimal = Decimal("0.00")
    left_amount: Decimal = Decimal("0.00")
    moved_amount: Decimal = Decimal("0.00")

    def add(self, way: int, amount: Decimal) -> None:
        """Count one changed case going ``way``."""
        if way == ENTER:
            self.entered, self.entered_amount = self.entered + 1, self.entered_amount + amount
        elif way == LEAVE:
            self.left, self.left_amount = self.left + 1, self.left_amount + amount
        else:
            self.moved, self.moved_amount = self.moved + 1, self.moved_amount + amount


class Movements:
    """The changed cases of a simulation by today's segment and rating of their customer;
    ``carried``: the labels as the cases carry them (None: read from the customers)."""

    def __init__(self, process_id: str, carried: Labels | None = None) -> None:
        self.process_id = process_id
        self.carried = carried
        self.groups: dict[tuple[str, str], Movement] = {}

    async def add(self, changed: Sequence[tuple[Case, tuple[str, str]]]) -> None:
        """Count a chunk's changed cases, each with its (old, new) outcome."""
        if not changed:
            return
        carried, read = self.carried, dict[int, tuple[str, str]]()
        if carried is None:
            read = await _labels(sorted({case.customer_id for case, _ in changed}))
        for case, (old, new) in changed:
            group = carried(case) if carried is not None else read.get(case.customer_id, ("", ""))
            found = self.groups.get(group)
            if found is None:
                found = self.groups[group] = Movement()
            found.add(direction(self.process_id, old, new), case.amount)

    def shown(self) -> list[dict[str, Any]]:
        """The groups with any change, as the report keeps them ("" for no label)."""
        return [
            {"segment": segment, "rating": rating, "entered": m.entered, "left": m.left,
             "moved": m.moved, "enteredAmount": str(m.entered_amount),
             "leftAmount": str(m.left_amount), "movedAmount": str(m.moved_amount)}
            for (segment, rating), m in sorted(self.groups.items())
        ]  # fmt: skip


async def _labels(ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each customer's RFM segment and risk rating as stored now ("" when unset)."""
    found: dict[int, tuple[str, str]] = {}
    for at in range(0, len(ids), LABELS_PER_READ):
        listed, values = in_list("c", tuple(ids[at : at + LABELS_PER_READ]))
        _, rows = await sqltext.execute(_LABELS + listed, values)
        for row in rows:
            found[int(row["id"])] = (str(row["rfm_segment"] or ""), str(row["risk_rating"] or ""))
    return found
