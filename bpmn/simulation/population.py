"""Which past cases a simulation replays, and the case as both tables see it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.settings import settings
from domain.simulation.models import PopulationKind

CHUNK = 5_000  # cases read per statement: bounded memory whatever the population
# cases between two yields to the event loop: a simulation runs in the API's loop, whose lag
# sheds other requests (api.limits), so no stretch of it may hold the loop for long
PAUSE_EVERY = 250
REPLAY_DAYS = 90


class Scope(StrEnum):
    """What a simulation runs on each case."""

    TABLE = "TABLE"  # the decision table alone
    PROCESS = "PROCESS"  # the whole diagram, its service tasks answered from history


class InputSource(StrEnum):
    """Where a case's inputs came from."""

    RECORDED = "RECORDED"  # the data the live decision had, kept with its process instance
    REBUILT = "REBUILT"  # rebuilt from the stored facts as of the case's date


@dataclass(frozen=True)
class Population:
    """Past cases of one kind in a date window (both days included), optionally narrowed."""

    kind: PopulationKind
    start: date
    end: date
    product_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    chunk: int = CHUNK
    replay_days: int = REPLAY_DAYS  # collections: the days replayed, ending at ``end``
    scope: Scope = Scope.TABLE  # TABLE: the decision table alone; PROCESS: the whole diagram

    def window(self) -> tuple[datetime, datetime]:
        """The window as moments (UTC): from the first day's start to the day after the
        last's, days of the institution's time zone."""
        zone = settings().time_zone
        first = datetime.combine(self.start, time.min, tzinfo=zone)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone)
        # in UTC: SQLite keeps moments as UTC text, and compares text
        return first.astimezone(UTC), after.astimezone(UTC)

    def narrowing(self, status_column: str) -> tuple[str, dict[str, Any]]:
        """The filter as SQL (`` AND p.code IN (…) AND <status_column> IN (…)``, where ``p``
        is the product) and its parameters."""
        sql, values = "", dict[str, Any]()
        if self.product_codes:
            listed, values = in_list("product", self.product_codes)
            sql += f" AND p.code IN {listed}"
        if self.statuses:
            listed, more = in_list("status", self.statuses)
            sql, values = sql + f" AND {status_column} IN {listed}", {**values, **more}
        return sql, values

    def described(self) -> dict[str, Any]:
        """The population as it is kept with the simulation."""
        described: dict[str, Any] = {
            "kind": self.kind.value, "from": self.start.isoformat(), "to": self.end.isoformat(),
            "filter": {"productCodes": list(self.product_codes), "statuses": list(self.statuses)},
        }  # fmt: skip
        if self.kind is PopulationKind.LOANS:
            described["replayDays"] = self.replay_days
        if self.scope is Scope.PROCESS:
            described["scope"] = self.scope.value
        return described


def described_again(described: dict[str, Any], *, chunk: int = CHUNK) -> Population:
    """The population a simulation keeps (:meth:`Population.described`), as it was asked."""
    narrowed = described.get("filter") or {}
    return Population(
        kind=PopulationKind(described["kind"]), start=date.fromisoformat(described["from"]),
        end=date.fromisoformat(described["to"]),
        product_codes=tuple(narrowed.get("productCodes", ())),
        statuses=tuple(narrowed.get("statuses", ())), chunk=chunk,
        replay_days=int(described.get("replayDays", REPLAY_DAYS)),
        scope=Scope(described.get("scope", Scope.TABLE.value)),
    )  # fmt: skip


@dataclass(slots=True)
class Case:
    """One past case: who, how much is at stake, and the inputs its table is given."""

    case_id: int
    customer_id: int
    amount: Decimal
    values: dict[str, Any] = field(default_factory=dict)
    source: InputSource = InputSource.REBUILT
    status: str | None = None  # an application's status now (its actual decision)


def in_list(prefix: str, values: tuple[str, ...] | tuple[int, ...]) -> tuple[str, dict[str, Any]]:
    """``(:prefix_0, :prefix_1, …)`` and its parameters (a filter's few values)."""
    names = {f"{prefix}_{n}": value for n, value in enumerate(values)}
    return "(" + ", ".join(f":{name}" for name in names) + ")", names


# Raw column values read back fast: a simulation reads hundreds of thousands of them, and
# the ORM's field parsers cost more than the decisions themselves. SQLite gives text (the
# ORM writes moments as ISO text in UTC), PostgreSQL gives the Python values.
def moment(raw: Any) -> datetime | None:
    """A stored moment, aware (UTC when stored without a zone)."""
    if raw is None:
        return None
    found = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def day(raw: Any) -> date | None:
    """A stored date."""
    if raw is None or (isinstance(raw, date) and not isinstance(raw, datetime)):
        return raw
    return date.fromisoformat(str(raw)[:10])


def money(raw: Any) -> Decimal | None:
    """A stored decimal."""
    return None if raw is None else raw if isinstance(raw, Decimal) else Decimal(str(raw))


async def pause(done: int) -> None:
    """Let the event loop run other work after every :data:`PAUSE_EVERY` cases."""
    if done % PAUSE_EVERY == 0:
        await asyncio.sleep(0)
