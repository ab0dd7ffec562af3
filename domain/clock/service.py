"""Reading and moving the business date."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from tortoise import connections

from domain.clock.models import BusinessDay
from domain.errors import ForbiddenError, ValidationError
from domain.settings import settings

_ROW = 1


def local_date(moment: datetime) -> date:
    """The calendar date of a moment in the institution's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(settings().time_zone).date()


def calendar_date() -> date:
    """The institution's calendar date now (the business date when none is stored)."""
    return local_date(datetime.now(UTC))


# read by nearly every request and step: one plain statement, no query built, no model made
_STORED = f'SELECT "current", "pinned_time" FROM "business_day" WHERE "id" = {_ROW}'  # noqa: S608


# the same two values as columns of another statement's row (named `lg_bd_current` and
# `lg_bd_pinned`), for a statement that reads them with its own rows (`moment_of`)
COLUMNS = (
    f'(SELECT "current" FROM "business_day" WHERE "id" = {_ROW}) AS "lg_bd_current", '  # noqa: S608
    f'(SELECT "pinned_time" FROM "business_day" WHERE "id" = {_ROW}) AS "lg_bd_pinned"'
)


def _stored_of(current: object, pinned: str | None) -> tuple[date, str | None] | None:
    if current is None:
        return None
    return BusinessDay._meta.fields_map["current"].to_python_value(current), pinned


async def _stored() -> tuple[date, str | None] | None:
    """The stored business date and pinned time of day, if a business date is stored."""
    _, rows = await connections.get("default").execute_query(_STORED)
    if not rows:
        return None
    return _stored_of(rows[0]["current"], rows[0]["pinned_time"])


async def get() -> date:
    """Today for the business: the stored business date, else the institution's calendar date."""
    stored = await _stored()
    return stored[0] if stored is not None else calendar_date()


async def now() -> datetime:
    """The business moment (UTC): the business date at the wall clock's time of day.

    With no stored business date this is simply now. With one (demo, tests, replays) the
    day is the business date and the time of day runs on, so timers due on a later business
    day fire when that day is reached, and ones due within the day as the hours pass.
    """
    return _moment(await _stored())


def moment_of(row: Mapping[str, Any]) -> datetime:
    """`now()` from a row read with `COLUMNS`: the business moment when that row was read."""
    return _moment(_stored_of(row["lg_bd_current"], row["lg_bd_pinned"]))


def _moment(stored: tuple[date, str | None] | None) -> datetime:
    wall = datetime.now(UTC)
    if stored is None:
        return wall
    current, pinned = stored
    zone = settings().time_zone
    of_day = _time_of(pinned) or wall.astimezone(zone).time()
    return datetime.combine(current, of_day, zone).astimezone(UTC)


def _time_of(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


async def set_(
    new_date: date, *, allow_backwards: bool = False, pinned_time: time | None = None
) -> date:
    """Store a new business date (demo and test mode only); callers refresh what depends on it."""
    if not settings().business_date_settable:
        raise ForbiddenError("the business date can be set only in demo or test mode")
    current = await BusinessDay.get_or_none(id=_ROW)
    if current is not None and new_date < current.current and not allow_backwards:
        raise ValidationError.single(
            "date", f"must not be before the current business date {current.current}"
        )
    defaults: dict[str, object] = {"current": new_date}
    if pinned_time is not None:
        defaults["pinned_time"] = pinned_time.isoformat(timespec="seconds")
    await BusinessDay.update_or_create(id=_ROW, defaults=defaults)
    return new_date
