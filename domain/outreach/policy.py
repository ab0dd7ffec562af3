"""The contact policy: may this message go to this person now? Send, defer, or drop.

As ``DOMAIN.md`` states it: contact only inside the permitted window of the customer's local
time; caps per debt and per contact point; marketing only with consent for that channel;
a blocked message is deferred or dropped with its reason, never sent. Pure functions over what
happened before (the ``History``), so the same rules decide at enqueue and again at dispatch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.enums import Channel
from domain.outreach.models import MARKETING, MessagePurpose


class Verdict(StrEnum):
    SEND = "SEND"
    DEFER = "DEFER"
    DROP = "DROP"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy says, for a deferral when to ask again (UTC), and which rule blocked."""

    verdict: Verdict
    reason: str | None = None
    at: datetime | None = None
    rule: str | None = None  # one of RULES: the reason without its figures, to count by


# the rules that block a contact, as a Decision names them
NO_CONTACT_POINT, NO_CONSENT, OUTSIDE_WINDOW = "NO_CONTACT_POINT", "NO_CONSENT", "OUTSIDE_WINDOW"
DEBT_CAP, POINT_CAP = "DEBT_CAP", "POINT_CAP"
RULES = (NO_CONTACT_POINT, NO_CONSENT, OUTSIDE_WINDOW, DEBT_CAP, POINT_CAP)


@dataclass(frozen=True, slots=True)
class Rules:
    """The configurable part of the policy (LENDGRAPH_CONTACT_* variables)."""

    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    debt_cap: int = 7  # contacts about one debt in any rolling debt_cap_days
    debt_cap_days: int = 7
    point_cap: int = 6  # attempts at one phone number or address per local day

    @classmethod
    def from_env(cls) -> Rules:
        """Rules from LENDGRAPH_CONTACT_WINDOW (08:00-21:00) and the _CAP variables."""
        window = os.environ.get("LENDGRAPH_CONTACT_WINDOW", "08:00-21:00")
        start, _, end = window.partition("-")
        return cls(
            window_start=time.fromisoformat(start.strip()),
            window_end=time.fromisoformat(end.strip()),
            debt_cap=int(os.environ.get("LENDGRAPH_CONTACT_DEBT_CAP", "7")),
            debt_cap_days=int(os.environ.get("LENDGRAPH_CONTACT_DEBT_CAP_DAYS", "7")),
            point_cap=int(os.environ.get("LENDGRAPH_CONTACT_POINT_CAP", "6")),
        )


@dataclass(frozen=True, slots=True)
class Person:
    """What the policy needs to know about the customer."""

    time_zone: str
    consents: frozenset[Channel]
    contact_points: dict[Channel, str]


@dataclass(slots=True)
class History:
    """Earlier contacts (UTC moments): about the debt, and at the contact point."""

    debt: list[datetime] = field(default_factory=list)
    point: list[datetime] = field(default_factory=list)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def next_window_opening(moment: datetime, zone: ZoneInfo, rules: Rules) -> datetime:
    """The first moment at or after ``moment`` inside the window, in UTC."""
    local = moment.astimezone(zone)
    if rules.window_start <= local.time().replace(tzinfo=None) < rules.window_end:
        return moment
    day = local.date()
    if local.time().replace(tzinfo=None) >= rules.window_end:
        day += timedelta(days=1)
    return datetime.combine(day, rules.window_start, zone).astimezone(UTC)


def decide(
    *,
    purpose: MessagePurpose,
    channel: Channel,
    person: Person,
    now: datetime,
    history: History,
    debt_related: bool,
    rules: Rules | None = None,
) -> Decision:
    """Send, defer until a moment, or drop with the reason: nothing blocked is ever sent."""
    rules = rules or Rules.from_env()
    if channel not in person.contact_points:
        return Decision(
            Verdict.DROP, f"no {channel.value} contact point on file", rule=NO_CONTACT_POINT
        )
    if purpose in MARKETING and channel not in person.consents:
        return Decision(
            Verdict.DROP, f"no consent to {purpose.value.lower()} by {channel.value}",
            rule=NO_CONSENT,
        )  # fmt: skip
    zone = _zone(person.time_zone)
    opening = next_window_opening(now, zone, rules)
    if opening != now:
        return Decision(
            Verdict.DEFER,
            f"outside {rules.window_start:%H:%M}-{rules.window_end:%H:%M} customer local time",
            opening,
            OUTSIDE_WINDOW,
        )
    if debt_related:
        since = now - timedelta(days=rules.debt_cap_days)
        recent = sorted(t for t in history.debt if t > since)
        if len(recent) >= rules.debt_cap:
            frees = recent[len(recent) - rules.debt_cap] + timedelta(days=rules.debt_cap_days)
            return Decision(
                Verdict.DEFER,
                f"{len(recent)} contacts about this debt in {rules.debt_cap_days} days "
                f"(cap {rules.debt_cap})",
                next_window_opening(frees, zone, rules),
                DEBT_CAP,
            )
    local_day = now.astimezone(zone).date()
    today = [t for t in history.point if t.astimezone(zone).date() == local_day]
    if len(today) >= rules.point_cap:
        tomorrow = datetime.combine(local_day + timedelta(days=1), rules.window_start, zone)
        return Decision(
            Verdict.DEFER,
            f"{len(today)} attempts at this contact point today (cap {rules.point_cap})",
            tomorrow.astimezone(UTC),
            POINT_CAP,
        )
    return Decision(Verdict.SEND)
