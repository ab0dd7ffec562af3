"""A collection strategy draft's day-by-day replay, as GraphQL types."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import strawberry


@strawberry.type(description="Contacts made on one channel, per day of the replayed window.")
class ContactSeries:
    channel: str = strawberry.field(
        description="SMS, APP_PUSH, EMAIL, PHONE (calls) or VISIT (field visits)."
    )
    total: int
    per_day: list[int] = strawberry.field(
        description="One count per day of the window, its first day first."
    )


@strawberry.type(description="Contacts the contact policy stopped or put off, by its rule.")
class ContactSuppression:
    rule: str = strawberry.field(
        description="NO_CONTACT_POINT, NO_CONSENT, OUTSIDE_WINDOW, DEBT_CAP or POINT_CAP."
    )
    effect: str = strawberry.field(
        description="SKIPPED: a call not made; DROPPED: a message never sent; POSTPONED: a "
        "message sent later, when the policy allowed (counted then among the contacts)."
    )
    channel: str
    count: int
    reason: str = strawberry.field(description="The policy's reason, as it first gave it.")


@strawberry.type(description="The calls and field visits one collector would have been given.")
class CollectorWorkload:
    collector_id: int | None = strawberry.field(
        description="The collector's user id; null when no active collector could take them."
    )
    collector: str | None = strawberry.field(description="The collector's username.")
    loans: int = strawberry.field(description="Loans the tasks were about.")
    calls: int
    visits: int
    tasks: int = strawberry.field(description="Calls and visits.")
    busiest_day: int = strawberry.field(description="The most tasks on one day.")
    per_day: list[int] = strawberry.field(description="Tasks per day of the window.")


@strawberry.type(description="User tasks the diagram would have made for one candidate role.")
class RoleTasks:
    role: str
    tasks: int


@strawberry.type(description="Collection cycles run with one strategy in the window.")
class StrategyCycles:
    strategy: str
    count: int


@strawberry.type(description="What one table's strategies would have done in the window.")
class CollectionsSide:
    contacts: int = strawberry.field(description="Contacts made, after the contact policy.")
    suppressed: int = strawberry.field(description="Calls not made and messages dropped.")
    postponed: int = strawberry.field(description="Messages the policy put off.")
    channels: list[ContactSeries]
    suppressions: list[ContactSuppression]
    workload: list[CollectorWorkload]
    tasks_by_role: list[RoleTasks]
    cycles: list[StrategyCycles]
    evaluations: int = strawberry.field(
        description="Times the table ran: once per class of inputs it tells apart."
    )


@strawberry.type(description="How the changed loans with one pair of strategies ended.")
class ChangedLoansCell:
    old: str = strawberry.field(description="The baseline's strategy on the first day they differ.")
    new: str = strawberry.field(description="The draft's strategy that day.")
    loans: int
    principal: Decimal
    cured: int
    rolled: int
    charged_off: int
    stayed: int


@strawberry.type(
    description="How the loans whose strategy the draft changes went on, under the strategy "
    "actually applied: observed history, not a prediction."
)
class ChangedLoansHistory:
    label: str
    as_of: date
    loans: int
    principal: Decimal
    cured: int = strawberry.field(description="Nothing past due at the window's end.")
    rolled: int = strawberry.field(
        description="Still past due, in a worse bucket than when first past due in the window."
    )
    charged_off: int = strawberry.field(description="Charged off by the window's end.")
    stayed: int = strawberry.field(description="Still past due, in the same or a better bucket.")
    cells: list[ChangedLoansCell]


@strawberry.type(
    description="A collection strategy draft and the version in force replayed day by day "
    "over the loans past due in a window, with the live contact policy; nothing sent."
)
class CollectionsReplay:
    from_: date = strawberry.field(name="from", description="The window's first day.")
    to: date
    dates: list[date] = strawberry.field(description="The window's days, for the series.")
    contact_time: str = strawberry.field(
        description="The institution's time of day the replayed contacts are made."
    )
    loans: int = strawberry.field(description="Loans past due on some day of the window.")
    old: CollectionsSide = strawberry.field(description="The baseline's strategies.")
    new: CollectionsSide = strawberry.field(description="The draft's strategies.")
    changed: ChangedLoansHistory

    @classmethod
    def from_report(cls, found: dict[str, Any] | None) -> CollectionsReplay | None:
        """The GraphQL view of a kept replay (None when the simulation had none)."""
        if found is None:
            return None
        first = date.fromisoformat(found["from"])
        return cls(
            from_=first, to=date.fromisoformat(found["to"]),
            dates=[first + timedelta(days=n) for n in range(int(found["days"]))],
            contact_time=found["contactTime"], loans=found["loans"],
            old=_side(found["old"]), new=_side(found["new"]), changed=_changed(found["changed"]),
        )  # fmt: skip


def _side(found: dict[str, Any]) -> CollectionsSide:
    return CollectionsSide(
        contacts=found["contacts"], suppressed=found["suppressed"], postponed=found["postponed"],
        channels=[ContactSeries(channel=c["channel"], total=c["total"], per_day=c["perDay"])
                  for c in found["channels"]],
        suppressions=[ContactSuppression(rule=s["rule"], effect=s["effect"],
                                         channel=s["channel"], count=s["count"],
                                         reason=s["reason"]) for s in found["suppressions"]],
        workload=[CollectorWorkload(collector_id=w["collectorId"], collector=w["collector"],
                                    loans=w["loans"], calls=w["calls"], visits=w["visits"],
                                    tasks=w["tasks"], busiest_day=w["busiestDay"],
                                    per_day=w["perDay"]) for w in found["workload"]],
        tasks_by_role=[RoleTasks(role=r["role"], tasks=r["tasks"]) for r in found["tasksByRole"]],
        cycles=[StrategyCycles(strategy=c["strategy"], count=c["count"]) for c in found["cycles"]],
        evaluations=found["evaluations"],
    )  # fmt: skip


def _fates(found: dict[str, Any]) -> dict[str, Any]:
    return {"loans": found["loans"], "principal": Decimal(found["principal"]),
            "cured": found["cured"], "rolled": found["rolled"],
            "charged_off": found["chargedOff"], "stayed": found["stayed"]}  # fmt: skip


def _changed(found: dict[str, Any]) -> ChangedLoansHistory:
    return ChangedLoansHistory(
        label=found["label"], as_of=date.fromisoformat(found["asOf"]), **_fates(found),
        cells=[ChangedLoansCell(old=c["old"], new=c["new"], **_fates(c)) for c in found["cells"]],
    )  # fmt: skip
