"""What the generators share: the staff, one customer being built, local times."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.loan.models import LoanStatus
from domain.seed.loans import LoanOutcome
from domain.seed.people import Identity
from domain.seed.plans import Behaviour
from domain.settings import settings

_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    """A cached time zone."""
    found = _ZONES.get(name)
    if found is None:
        found = _ZONES[name] = ZoneInfo(name)
    return found


def institution_zone() -> str:
    """The institution's time zone name, in which payment dates are calendar dates."""
    return settings().time_zone.key


def at_local(day: date, seconds: int, zone_name: str) -> datetime:
    """The UTC moment `seconds` after local midnight of `day` in a time zone."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone(zone_name))
    return (start + timedelta(seconds=seconds)).astimezone(UTC)


def daytime(
    rng: random.Random, day: date, zone_name: str, first: int = 9, last: int = 20
) -> datetime:
    """A UTC moment on a local day between `first`:00 and `last`:59."""
    return at_local(day, rng.randint(first * 3600, last * 3600 + 3599), zone_name)


@dataclass(frozen=True, slots=True)
class Staff:
    """User ids of the demo staff and the account managers of each branch."""

    ids: dict[str, int]
    managers: dict[str, tuple[int, ...]]

    def manager_for(self, rng: random.Random, branch: str) -> int:
        """An account manager of the branch; am1 and am2 take half of their branch's customers."""
        pool = self.managers[branch]
        featured = [self.ids[name] for name in ("am1", "am2") if self.ids[name] in pool]
        if featured and rng.random() < 0.5:
            return rng.choice(featured)
        return rng.choice(pool)

    @property
    def collectors(self) -> tuple[int, int]:
        """collector1 and collector2."""
        return self.ids["collector1"], self.ids["collector2"]


@dataclass(slots=True)
class Member:
    """One customer while the seed builds it: identity, behaviour, loans and contacts."""

    id: int
    ident: Identity
    behaviour: Behaviour
    since: date
    manager_id: int
    loans: list[tuple[int, LoanOutcome]] = field(default_factory=list)
    collectors: dict[int, int] = field(default_factory=dict)
    online_contacts: int = 0
    offline_contacts: int = 0
    scores: list[tuple[date, int]] = field(default_factory=list)  # bureau scores, oldest first

    @property
    def active(self) -> list[tuple[int, LoanOutcome]]:
        """The loans still being repaid."""
        return [(i, o) for i, o in self.loans if o.status is LoanStatus.ACTIVE]

    @property
    def outstanding(self) -> Decimal:
        """Principal still owed on active loans."""
        return sum((o.outstanding for _, o in self.active), Decimal("0.00"))

    @property
    def max_dpd(self) -> int:
        """Days past due of the worst active loan."""
        return max((o.days_past_due for _, o in self.active), default=0)
