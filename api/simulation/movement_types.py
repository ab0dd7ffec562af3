"""Who enters and who leaves, by the customer's segment and rating, as GraphQL types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from api.enums import RiskRating


@strawberry.type(
    description="The changed cases of one RFM segment and risk rating, both the customer's as "
    "stored today (not as they were on the case's date): how many the draft lets in and how "
    "many it leaves out, with the amounts the cases carry."
)
class SimulationMovement:
    segment: str | None = strawberry.field(description="The customer's RFM segment now.")
    rating: RiskRating | None = strawberry.field(description="The customer's risk rating now.")
    entered: int = strawberry.field(
        description="Cases the draft gives the favourable outcome the version in force did "
        "not: eligible for a limit increase, a better rating, a lane other than DECLINE (or "
        "APPROVED) for an application."
    )
    left: int = strawberry.field(description="Cases the draft takes the favourable outcome from.")
    moved: int = strawberry.field(
        description="Other changes: between two favourable outcomes, two others, or for a table "
        "with no favourable outcome (a collection strategy)."
    )
    entered_amount: Decimal = strawberry.field(
        description="Exposures, principals or application amounts of the cases entering."
    )
    left_amount: Decimal
    moved_amount: Decimal

    @classmethod
    def from_report(cls, found: list[dict[str, Any]] | None) -> list[SimulationMovement] | None:
        """The report's movements; null for a report kept before they were counted."""
        if found is None:
            return None
        return [
            cls(segment=m["segment"] or None,
                rating=RiskRating(m["rating"]) if m["rating"] else None,
                entered=m["entered"], left=m["left"], moved=m["moved"],
                entered_amount=Decimal(m["enteredAmount"]), left_amount=Decimal(m["leftAmount"]),
                moved_amount=Decimal(m["movedAmount"]))
            for m in found
        ]  # fmt: skip
