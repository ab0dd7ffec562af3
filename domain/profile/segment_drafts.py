"""A segment's rules weighed before they are saved: who would enter, who would leave.

The draft's members are the customers its rules select on their labels as they stand now
(those of the last daily profiling); the segment's members are the ones the last daily run
kept. The difference is what the next daily run would record as the segment's joins and
leaves. It is counted in one grouped statement over the customers, by the customer's RFM
segment and risk rating (both as stored today), and nothing is written. Who the entering and
leaving customers are is a query of its own, which callers narrow to the rows they may read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from domain import sqltext
from domain.customer.models import Customer
from domain.errors import NotFoundError
from domain.profile import segments
from domain.profile.models import Segment, SegmentMember

_NONE = -1  # the segment id of a draft with no saved segment: no member
_GROUPS = """
SELECT rfm_segment, risk_rating, SUM(d * (1 - m)) AS entered, SUM(m * (1 - d)) AS gone,
       SUM(d * m) AS stayed
FROM (
  SELECT c.rfm_segment, c.risk_rating, CASE WHEN {drafted} THEN 1 ELSE 0 END AS d,
         CASE WHEN sm.customer_id IS NULL THEN 0 ELSE 1 END AS m
  FROM customer c
  LEFT JOIN segment_member sm ON sm.customer_id = c.id AND sm.segment_id = :segment
) weighed
WHERE d = 1 OR m = 1
GROUP BY rfm_segment, risk_rating
ORDER BY rfm_segment IS NULL, rfm_segment, risk_rating IS NULL, risk_rating
"""  # customers not yet segmented or rated come last on either database
_TAGGED = (
    "EXISTS (SELECT 1 FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
    "WHERE ct.customer_id = c.id AND t.name IN {names})"
)


@dataclass(frozen=True)
class Group:
    """The customers of one RFM segment and risk rating the draft lets in, leaves out or keeps."""

    rfm_segment: str | None
    risk_rating: str | None
    entered: int
    left: int
    stayed: int


@dataclass(frozen=True)
class Preview:
    """What a draft of a segment's rules would change, in counts."""

    rules: dict[str, list[str]]
    segment: str | None  # the saved segment compared with; None for a new one
    segment_id: int | None
    groups: list[Group] = field(default_factory=list)

    @property
    def entered(self) -> int:
        return sum(g.entered for g in self.groups)

    @property
    def left(self) -> int:
        return sum(g.left for g in self.groups)

    @property
    def stayed(self) -> int:
        return sum(g.stayed for g in self.groups)

    @property
    def members(self) -> int:
        """Members under the draft."""
        return self.entered + self.stayed

    @property
    def current(self) -> int:
        """Members the segment has now (as of the last daily run)."""
        return self.left + self.stayed


def _condition(rules: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    """The rules as a SQL condition over customer ``c``, and its parameters."""
    parts, values = [], dict[str, Any]()
    for n, (name, allowed) in enumerate(sorted(rules.items())):
        names = {f"r{n}_{k}": value for k, value in enumerate(allowed)}
        listed = "(" + ", ".join(f":{key}" for key in names) + ")"
        values |= names
        # the column names come from segments.FIELDS (validated), never from the caller's text
        parts.append(_TAGGED.format(names=listed) if name == "tag" else f"c.{name} IN {listed}")
    return " AND ".join(parts), values


async def _saved(name: str | None) -> Segment | None:
    if name is None:
        return None
    found = await Segment.get_or_none(name=name)
    if found is None:
        raise NotFoundError("segment", repr(name))
    return found


async def preview(rules: Any, name: str | None = None) -> Preview:
    """Who the rules would select against the members of segment ``name`` (none for a new
    one), by RFM segment and risk rating. ValidationError for rules a segment cannot have,
    NotFoundError for an unknown segment."""
    clean = segments.validate(rules)
    saved = await _saved(name)
    drafted, values = _condition(clean)
    pk = saved.id if saved is not None else _NONE
    _, rows = await sqltext.execute(_GROUPS.format(drafted=drafted), {**values, "segment": pk})
    groups = [
        Group(row["rfm_segment"], row["risk_rating"], int(row["entered"] or 0),
              int(row["gone"] or 0), int(row["stayed"] or 0))
        for row in rows
    ]  # fmt: skip
    return Preview(clean, name, saved.id if saved is not None else None, groups)


def _sets(found: Preview) -> tuple[Q, Q]:
    """Customers the draft selects, and the segment's members now, as filters on customers."""
    drafted = Customer.filter(segments.member_filter(found.rules)).values("id")
    held = SegmentMember.filter(segment_id=found.segment_id or _NONE).values("customer_id")
    return Q(id__in=Subquery(drafted)), Q(id__in=Subquery(held))


def entering(found: Preview) -> QuerySet[Customer]:
    """The customers the draft lets in (callers narrow it to the rows they may read)."""
    drafted, held = _sets(found)
    return Customer.filter(drafted & ~held)


def leaving(found: Preview) -> QuerySet[Customer]:
    """The members the draft leaves out."""
    drafted, held = _sets(found)
    return Customer.filter(held & ~drafted)


async def redefine(
    name: str, rules: Any, description: str | None
) -> tuple[Segment, dict[str, Any]]:
    """Give segment ``name`` new rules (and description); its members follow at the next daily
    run, which records the joins and leaves. Returns the segment and what it was."""
    clean = segments.validate(rules)
    saved = await _saved(name)
    assert saved is not None
    before = {"rules": saved.rules, "description": saved.description}
    saved.rules = clean
    if description is not None:
        saved.description = description[:400]
    await saved.save(update_fields=["rules", "description"])
    return saved, before
