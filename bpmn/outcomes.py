"""What a credit approval instance has decided, kept on its application as the process goes.

The approval diagram decides in its own variables (`lane` and `reason` from `risk_lane.dmn`,
`decision`, `decline_reason` and a reviewer's `comment`); the application row is what staff,
clients and dashboards read. After every step of an instance whose business key is
``application:<id>``, this writes the lane, the reason, and a decline when the process ended
with one (an approval that ends without a contract), in the step's own transaction.
Approvals become CONTRACTED through the contract's service task.
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from domain import byhand, sqltext
from domain.application.models import Application, ApplicationStatus

APPROVAL = "credit_approval"  # the process whose instances decide applications
PREFIX = "application:"
OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW)
_REASON_LENGTH = 400  # application.decision_reason


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def application_id(business_key: str) -> int | None:
    """The application an instance decides, from its business key."""
    if not business_key.startswith(PREFIX):
        return None
    tail = business_key[len(PREFIX) :]
    return int(tail) if tail.isdigit() else None


async def record(
    process_id: str, business_key: str, data: dict[str, Any], *, completed: bool
) -> None:
    """Bring the application in line with its approval instance's decision so far.

    An approval that ends without a contract declined the application, whichever way the
    diagram got there (a DECLINE lane, a reviewer's decline, a gateway's default flow).
    """
    pk = application_id(business_key)
    if process_id != APPROVAL or pk is None:
        return
    if not completed:  # nothing is declined yet: write what differs, without reading first
        await _note(pk, _text(data, "lane"), _text(data, "reason"))
        return
    application = await byhand.by_id(Application, pk)
    if application is None:
        return
    changes: dict[str, Any] = {}
    lane = _text(data, "lane")
    if lane is not None and lane != application.risk_lane:
        changes["risk_lane"] = lane[:32]
    declined = application.status in OPEN
    reason = (
        _text(data, "decline_reason") or _text(data, "comment") or _text(data, "reason")
        if declined
        else _text(data, "reason")
    )
    if reason is not None and reason != application.decision_reason:
        changes["decision_reason"] = reason[:_REASON_LENGTH]
    if declined:
        changes.update(
            status=ApplicationStatus.DECLINED, decision="DECLINED", decided_at=datetime.now(UTC)
        )
    if changes:
        await byhand.update(Application, pk, **changes)


async def _note(pk: int, lane: str | None, reason: str | None) -> None:
    """The lane and the reason on the application, in one statement that changes only what
    differs (an unchanged row is not written, nor locked). Each value is checked by its column
    as Tortoise would check it; the statement is written once per combination."""
    changes: dict[str, Any] = {}
    if lane is not None:
        changes["risk_lane"] = lane[:32]
    if reason is not None:
        changes["decision_reason"] = reason[:_REASON_LENGTH]
    if changes:
        values = byhand.checked(Application, **changes)
        sql = _note_sql(tuple(values), sqltext.postgres())
        await sqltext.execute(sql, {**values, "id": pk})


@cache
def _note_sql(columns: tuple[str, ...], pg: bool) -> str:
    differs = "IS DISTINCT FROM" if pg else "IS NOT"  # NULL included
    changes = ", ".join(f"{c} = :{c}" for c in columns)
    unequal = " OR ".join(f"{c} {differs} :{c}" for c in columns)
    table = Application._meta.db_table
    return f"UPDATE {table} SET {changes} WHERE id = :id AND ({unequal})"  # noqa: S608
