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


def recording(
    process_id: str, business_key: str, data: dict[str, Any], *, completed: bool
) -> byhand.Statement | None:
    """The statement that brings the application in line with its approval instance's
    decision so far (None when there is nothing to write): it changes only what differs, with
    no read before (an unchanged row is not written, nor locked).

    An approval that ends without a contract declined the application, whichever way the
    diagram got there (a DECLINE lane, a reviewer's decline, a gateway's default flow): the
    application, still open when it ends, is declined then.
    """
    pk = application_id(business_key)
    if process_id != APPROVAL or pk is None:
        return None
    lane, reason = _text(data, "lane"), _text(data, "reason")
    if not completed:  # nothing is declined yet
        return _noting(pk, lane, reason)
    declined = _text(data, "decline_reason") or _text(data, "comment") or reason
    values = {
        "lane": _checked(risk_lane=lane and lane[:32]),
        "reason": _checked(decision_reason=reason and reason[:_REASON_LENGTH]),
        "declined_reason": _checked(decision_reason=declined and declined[:_REASON_LENGTH]),
        "declined": _checked(status=ApplicationStatus.DECLINED),
        "decision": _checked(decision="DECLINED"),
        "at": _checked(decided_at=datetime.now(UTC)),
        **{f"open_{i}": _checked(status=s) for i, s in enumerate(OPEN)},
        "id": pk,
    }
    return _closing_sql(sqltext.postgres()), values


async def record(
    process_id: str, business_key: str, data: dict[str, Any], *, completed: bool
) -> None:
    """Bring the application in line with its approval instance's decision so far
    (:func:`recording`'s statement, sent)."""
    statement = recording(process_id, business_key, data, completed=completed)
    if statement is not None:
        await sqltext.execute(*statement)


def _checked(**value: Any) -> Any:
    """A value checked and converted by its column's field (a None left None)."""
    [(name, given)] = value.items()
    return None if given is None else byhand.checked(Application, **value)[name]


def _noting(pk: int, lane: str | None, reason: str | None) -> byhand.Statement | None:
    """The lane and the reason on the application, each only where it differs. Each value is
    checked by its column as Tortoise would check it; the statement is written once per
    combination."""
    changes: dict[str, Any] = {}
    if lane is not None:
        changes["risk_lane"] = lane[:32]
    if reason is not None:
        changes["decision_reason"] = reason[:_REASON_LENGTH]
    if not changes:
        return None
    values = byhand.checked(Application, **changes)
    return _note_sql(tuple(values), sqltext.postgres()), {**values, "id": pk}


@cache
def _closing_sql(pg: bool) -> str:
    """An ended approval's application: its lane and reason where given and different; declined
    (with the decline's reason) when it is still open. Every SET reads the row as it was."""
    differs = "IS DISTINCT FROM" if pg else "IS NOT"  # NULL included

    def given(name: str) -> str:
        return f"CAST(:{name} AS TEXT)" if pg else f":{name}"

    still_open = f"status IN ({', '.join(f':open_{i}' for i in range(len(OPEN)))})"
    at = "CAST(:at AS TIMESTAMPTZ)" if pg else ":at"
    lane = f"COALESCE({given('lane')}, risk_lane)"
    reason = (
        f"COALESCE(CASE WHEN {still_open} THEN {given('declined_reason')} "
        f"ELSE {given('reason')} END, decision_reason)"
    )
    table = Application._meta.db_table
    return (
        f"UPDATE {table} SET risk_lane = {lane}, decision_reason = {reason}, "  # noqa: S608
        f"status = CASE WHEN {still_open} THEN {given('declined')} ELSE status END, "
        f"decision = CASE WHEN {still_open} THEN {given('decision')} ELSE decision END, "
        f"decided_at = CASE WHEN {still_open} THEN {at} ELSE decided_at END "
        f"WHERE id = :id AND ({still_open} OR risk_lane {differs} {lane} "
        f"OR decision_reason {differs} {reason})"
    )


@cache
def _note_sql(columns: tuple[str, ...], pg: bool) -> str:
    differs = "IS DISTINCT FROM" if pg else "IS NOT"  # NULL included
    changes = ", ".join(f"{c} = :{c}" for c in columns)
    unequal = " OR ".join(f"{c} {differs} :{c}" for c in columns)
    table = Application._meta.db_table
    return f"UPDATE {table} SET {changes} WHERE id = :id AND ({unequal})"  # noqa: S608
