"""Dashboard measures and boards over GraphQL, computed in SQL under the caller's scope.

``measure`` answers any measure of the catalogue (``measures``) by one dimension with filters;
each point says which list is behind it (``drill``: the ``loans`` or ``customers`` query and
the filter to give it), and ``csv`` is the same table as text. ``portfolioByBucket`` is the
portfolio's standard view. Boards are the dashboard page's layouts: a default one per role,
and those users save and share with roles.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from tortoise.expressions import Q

from api.access import Audited, require, require_read, subject_of
from api.context import Info
from api.errors import UserErrors, returns_user_errors
from api.relay import expect_id, optional_id, to_global_id
from domain.errors import ValidationError as Invalid
from domain.reports import boards, snapshots
from domain.reports import measures as catalogue
from domain.reports.models import Board as BoardModel


@strawberry.type(description="A figure the dashboard can draw, and how it can be broken down.")
class MeasureInfo:
    name: str
    title: str
    unit: str = strawberry.field(description="count, money, ratio or hours")
    description: str
    dimensions: list[str]
    filters: list[str]
    drill: str | None = strawberry.field(description="The list behind a point, if any.")


@strawberry.type(description="One bar, slice or cell of a measure.")
class MeasurePoint:
    key: str = strawberry.field(description="The dimension's value.")
    series: str = strawberry.field(description="The series (stage, month…); empty if one.")
    value: float | None = strawberry.field(description="The figure, for drawing.")
    exact: str | None = strawberry.field(description="The figure as exact text (money).")
    count: int = strawberry.field(description="How many rows it is computed from.")
    drill: JSON | None = strawberry.field(
        description='{"list": "loans" | "customers" | "applications", "filter": {...}}: '
        "the rows behind it, for that query."
    )


@strawberry.type(description="A measure broken down by a dimension, under your scope.")
class MeasureResult:
    measure: str
    title: str
    dimension: str
    unit: str
    business_date: date
    points: list[MeasurePoint]

    @strawberry.field(description="The points as CSV: key, series, value, count.")
    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.dimension, "series", self.unit, "rows"])
        for p in self.points:
            writer.writerow([p.key, p.series, p.exact if p.exact is not None else p.value,
                             p.count])  # fmt: skip
        return out.getvalue()


@strawberry.input(description="Conditions for measures (those that do not apply are ignored).")
class ReportFilter:
    date_from: date | None = None
    date_to: date | None = None
    days: int | None = strawberry.field(
        default=None, description="The last N days up to the business date (if no dates)."
    )
    branch: str | None = None
    product_code: str | None = None
    channel: str | None = None
    segment: str | None = strawberry.field(default=None, description="A segment's name.")


@strawberry.input(description="Conditions on the portfolio.")
class PortfolioFilter:
    branch: str | None = None
    product_code: str | None = None
    segment: str | None = None
    disbursed_from: date | None = None
    disbursed_to: date | None = None


@strawberry.type(description="Active loans and their balance in one delinquency bucket.")
class BucketSummary:
    bucket: str
    loans: int
    outstanding: Decimal


_LOAN_DRILL = {
    "bucket": "bucket", "product": "productCode", "branch": "branch",
    "risk_rating": "riskRating", "rfm_segment": "rfmSegment", "status": "status",
}  # fmt: skip
_CUSTOMER_DRILL = {
    "rfm_segment": "rfmSegment", "risk_rating": "riskRatings",
    "lifecycle_stage": "lifecycleStages", "branch": "branch", "kind": "kind",
}  # fmt: skip
_LISTS = {"riskRatings", "lifecycleStages"}


_APPLICATION_DRILL = {"lane": "riskLane", "channel": "channel", "product": "productCode",
                      "branch": "branch", "status": "statuses"}  # fmt: skip
_STAGE_STATUSES = {stage: [s.value for s in statuses] if statuses else None
                   for stage, statuses in catalogue.STAGES}  # fmt: skip


def _application_drill(
    measure: catalogue.Measure, dimension: str, key: str, series: str, flt: catalogue.Filters
) -> Any:
    found: dict[str, Any] = {}
    if dimension == "stage" or measure.name == "approvals.funnel":
        stage = key if dimension == "stage" else series
        if _STAGE_STATUSES.get(stage):
            found["statuses"] = _STAGE_STATUSES[stage]
    if dimension in _APPLICATION_DRILL:
        if key == "—":
            return None
        found[_APPLICATION_DRILL[dimension]] = [key] if dimension == "status" else key
    elif dimension == catalogue.MONTH:
        year, month = (int(x) for x in key.split("-"))
        start = date(year, month, 1)
        found["submittedFrom"] = start.isoformat()
        found["submittedTo"] = snapshots.end_of(start).isoformat()
    if measure.name != "approvals.funnel":
        found["decided"] = True
    for name, value in (("branch", flt.branch), ("productCode", flt.product_code),
                        ("channel", flt.channel)):  # fmt: skip
        if value and name not in found:
            found[name] = value
    if flt.date_from and "submittedFrom" not in found:
        found["submittedFrom"] = flt.date_from.isoformat()
    if flt.date_to and "submittedTo" not in found:
        found["submittedTo"] = flt.date_to.isoformat()
    return {"list": "applications", "filter": found}


def _drill(
    measure: catalogue.Measure, dimension: str, key: str, flt: catalogue.Filters, series: str = ""
) -> Any:
    if measure.drill == "applications":
        return _application_drill(measure, dimension, key, series, flt)
    if measure.drill == "loans" and dimension in _LOAN_DRILL and key != "—":
        found: dict[str, Any] = {_LOAN_DRILL[dimension]: key, "status": "ACTIVE"}
        if flt.branch:
            found["branch"] = flt.branch
        if flt.product_code:
            found["productCode"] = flt.product_code
        if measure.name.startswith("portfolio.") and (flt.date_from or flt.date_to):
            found["disbursedFrom"] = flt.date_from and flt.date_from.isoformat()
            found["disbursedTo"] = flt.date_to and flt.date_to.isoformat()
        return {"list": "loans", "filter": {k: v for k, v in found.items() if v is not None}}
    if measure.name == "customers.count" and dimension in _CUSTOMER_DRILL and key != "—":
        name = _CUSTOMER_DRILL[dimension]
        drill: dict[str, Any] = {name: [key] if name in _LISTS else key}
        if flt.branch:
            drill["branch"] = flt.branch
        return {"list": "customers", "filter": drill}
    return None


def _filters(flt: ReportFilter | None, today: date) -> catalogue.Filters:
    if flt is None:
        return catalogue.Filters()
    start, end = flt.date_from, flt.date_to
    if flt.days is not None and start is None and end is None:
        if not 1 <= flt.days <= 3660:
            raise Invalid.single("filter.days", "must be 1..3660")
        start, end = today - timedelta(days=flt.days), today
    return catalogue.Filters(date_from=start, date_to=end, branch=flt.branch,
                             product_code=flt.product_code, channel=flt.channel,
                             segment=flt.segment)  # fmt: skip


def _scope(info: Info) -> Q | None:
    found = require_read(info, "report")
    return None if not found.children and not found.filters else found


async def answer(
    info: Info, name: str, dimension: str | None, flt: ReportFilter | None
) -> MeasureResult:
    """A measure for the caller (shared by the query and the board tiles)."""
    scope = _scope(info)
    today = await info.context.today()
    filters = _filters(flt, today)
    measure, chosen, points = await catalogue.run(name, dimension, filters, scope, today)
    return MeasureResult(
        measure=measure.name, title=measure.title, dimension=chosen, unit=measure.unit,
        business_date=today,
        points=[MeasurePoint(
            key=p.key, series=p.series, count=p.count,
            value=None if p.value is None else float(p.value),
            exact=str(p.value) if isinstance(p.value, Decimal) else None,
            drill=cast(JSON, _drill(measure, chosen, p.key, filters, p.series)),
        ) for p in points],
    )  # fmt: skip


@strawberry.type(description="A dashboard: tiles of measure, dimension, chart and filters.")
class Board:
    id: strawberry.ID | None = strawberry.field(description="Null for a role's default board.")
    name: str
    tiles: JSON
    shared_with: list[str]
    mine: bool = strawberry.field(description="You own it and may change it.")
    default_for: str | None = strawberry.field(description="The role whose default board it is.")


def _board(row: BoardModel, user_id: int) -> Board:
    return Board(id=strawberry.ID(to_global_id("Board", row.id)), name=row.name,
                 tiles=cast(JSON, row.tiles), shared_with=list(row.shared_with),
                 mine=row.owner_id == user_id, default_for=None)  # type: ignore[attr-defined]  # fmt: skip


@strawberry.input(description="A board to save; with an id, your own board is changed.")
class SaveBoardInput:
    name: str
    tiles: JSON = strawberry.field(
        description='[{"measure": "portfolio.outstanding", "dimension": "bucket", '
        '"chart": "bar", "title": "…", "filters": {"days": 90}}]'
    )
    shared_with: list[str] = strawberry.field(default_factory=list, description="Role names.")
    id: strawberry.ID | None = None


@strawberry.type(description="The board is saved.")
class SaveBoardSuccess:
    board: Board


@strawberry.type(description="The board is gone.")
class DeleteBoardSuccess:
    id: strawberry.ID


SaveBoardResult = Annotated[SaveBoardSuccess | UserErrors, strawberry.union("SaveBoardResult")]
DeleteBoardResult = Annotated[
    DeleteBoardSuccess | UserErrors, strawberry.union("DeleteBoardResult")
]


@strawberry.type
class ReportQueries:
    @strawberry.field(description="The measures the dashboard can draw.")
    def measures(self, info: Info) -> list[MeasureInfo]:
        require_read(info, "report")
        return [MeasureInfo(name=m.name, title=m.title, unit=m.unit, description=m.description,
                            dimensions=list(m.dimensions), filters=list(m.filters),
                            drill=m.drill) for m in catalogue.MEASURES.values()]  # fmt: skip

    @strawberry.field(description="A measure by a dimension, computed under your scope.")
    async def measure(
        self, info: Info, name: str, dimension: str | None = None,
        filter: ReportFilter | None = None,
    ) -> MeasureResult:  # fmt: skip
        return await answer(info, name, dimension, filter)

    @strawberry.field(description="Active loans and balances by delinquency bucket.")
    async def portfolio_by_bucket(
        self, info: Info, filter: PortfolioFilter | None = None
    ) -> list[BucketSummary]:
        flt = ReportFilter(
            date_from=filter.disbursed_from if filter else None,
            date_to=filter.disbursed_to if filter else None,
            branch=filter.branch if filter else None,
            product_code=filter.product_code if filter else None,
            segment=filter.segment if filter else None,
        )  # fmt: skip
        result = await answer(info, "portfolio.outstanding", "bucket", flt)
        return [BucketSummary(bucket=p.key, loans=p.count, outstanding=Decimal(p.exact or "0"))
                for p in result.points]  # fmt: skip

    @strawberry.field(description="Your boards, those shared with your roles, and your roles' "
                      "default boards (first).")  # fmt: skip
    async def boards(self, info: Info) -> list[Board]:
        require_read(info, "report")
        subject = subject_of(info)
        found = [Board(id=None, name=name, tiles=cast(JSON, tiles), shared_with=[role],
                       mine=False, default_for=role)
                 for role, name, tiles in boards.defaults(list(subject.roles))]  # fmt: skip
        rows = await boards.visible(subject.user_id, list(subject.roles))
        return found + [_board(r, subject.user_id) for r in rows]


@strawberry.type
class ReportMutations:
    @strawberry.mutation(description="Save a board (tiles are checked), optionally shared.")
    @returns_user_errors
    async def save_board(self, info: Info, input: SaveBoardInput) -> SaveBoardResult:
        require(info, "report", "read")
        subject = subject_of(info)
        board_id = optional_id(input.id, "Board", "id")
        async with Audited(info, "board.save", "board") as change:
            row = await boards.save(
                user_id=subject.user_id, name=input.name, tiles=input.tiles,
                shared_with=list(input.shared_with), board_id=board_id,
                known_roles=set(info.context.authorizer.known_roles),
            )  # fmt: skip
            change.object_id, change.after = row.id, {"name": row.name, "tiles": len(row.tiles),
                                                      "shared_with": row.shared_with}  # fmt: skip
        return SaveBoardSuccess(board=_board(row, subject.user_id))

    @strawberry.mutation(description="Delete one of your boards.")
    @returns_user_errors
    async def delete_board(self, info: Info, id: strawberry.ID) -> DeleteBoardResult:
        require(info, "report", "read")
        pk = expect_id(id, "Board", "id")
        async with Audited(info, "board.delete", "board") as change:
            await boards.delete(pk, subject_of(info).user_id)
            change.object_id = pk
        return DeleteBoardSuccess(id=id)
