"""Dashboards: a default board per role, and boards users build, save and share with roles.

A board is a list of tiles; a tile names a measure, a dimension, a chart and filters. Tiles
are checked against the measure catalogue when saved, so a saved board always loads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import ForbiddenError, NotFoundError, Problems
from domain.reports.measures import MEASURES
from domain.reports.models import Board

CHARTS = ("bar", "stacked", "line", "pie", "funnel", "table", "number")
FILTER_KEYS = ("dateFrom", "dateTo", "branch", "productCode", "channel", "segment", "days")
MAX_TILES = 24


def _tile(
    measure: str, dimension: str, chart: str, title: str = "", **filters: Any
) -> dict[str, Any]:
    return {"measure": measure, "dimension": dimension, "chart": chart,
            "title": title or MEASURES[measure].title, "filters": filters}  # fmt: skip


_PORTFOLIO = [
    _tile("portfolio.outstanding", "bucket", "bar", "Outstanding by bucket"),
    _tile("portfolio.loans", "product", "pie", "Active loans by product"),
    _tile("portfolio.default_rate", "branch", "bar", "Default rate by branch"),
    _tile("portfolio.roll_rate", "bucket", "line", "Roll rates month over month"),
    _tile("portfolio.cure_rate", "bucket", "line", "Cure rates month over month"),
]
_APPROVALS = [
    _tile("approvals.funnel", "stage", "funnel", "Approval funnel (90 days)", days=90),
    _tile("approvals.funnel", "lane", "stacked", "Funnel by lane (90 days)", days=90),
    _tile("approvals.decision_hours", "lane", "bar", "Hours to decision", days=90),
    _tile("approvals.no_human_share", "product", "bar", "Decided with no human", days=90),
]
_COLLECTIONS = [
    _tile("portfolio.outstanding", "bucket", "bar", "Past-due balance by bucket"),
    _tile("collections.contacts", "channel", "stacked", "Contacts (30 days)", days=30),
    _tile("collections.promises_kept", "month", "line", "Promises kept", days=180),
    _tile("collections.recovered", "strategy", "bar", "Recovered by strategy", days=180),
    _tile("collections.cure_rate", "strategy", "bar", "Cases cured by strategy", days=180),
    _tile("collections.blocked", "reason", "table", "Blocked by the contact policy", days=30),
]
_CUSTOMERS = [
    _tile("customers.count", "rfm_segment", "bar", "Customers by RFM segment"),
    _tile("customers.count", "risk_rating", "pie", "Customers by risk rating"),
    _tile("customers.count", "lifecycle_stage", "bar", "Customers by lifecycle stage"),
    _tile("customers.reminder_reach", "channel", "bar", "Reminder reach (30 days)", days=30),
    _tile("customers.campaign_responses", "campaign", "stacked", "Campaign responses"),
]
DEFAULTS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "admin": ("Morning board", _PORTFOLIO[:3] + _APPROVALS[:2] + _COLLECTIONS[1:2]
              + _CUSTOMERS[:2]),
    "risk_officer": ("Risk board", _PORTFOLIO + _APPROVALS),
    "senior_risk_officer": ("Risk board", _PORTFOLIO + _APPROVALS),
    "team_lead": ("Team board", _PORTFOLIO[:2] + _CUSTOMERS),
    "account_manager": ("My customers", [*_PORTFOLIO[:2], *_CUSTOMERS]),
    "collector": ("Collections board", _COLLECTIONS),
    "auditor": ("Overview", _PORTFOLIO[:3] + _APPROVALS[:1] + _COLLECTIONS[4:]),
    "analyst": ("Processes and rules", _APPROVALS + _COLLECTIONS[1:4] + _CUSTOMERS[3:]),
}  # fmt: skip


def check_tiles(tiles: Any) -> list[dict[str, Any]]:
    """The tiles, checked: known measures and dimensions, charts, filters."""
    problems = Problems()
    if not isinstance(tiles, list) or not 0 < len(tiles) <= MAX_TILES:
        problems.add("tiles", f"must be a list of 1..{MAX_TILES} tiles")
        problems.raise_if_any()
    clean = []
    for i, tile in enumerate(tiles):
        where = f"tiles[{i}]"
        if not isinstance(tile, dict):
            problems.add(where, "must be an object with measure, dimension, chart")
            continue
        measure = MEASURES.get(str(tile.get("measure")))
        if measure is None:
            problems.add(f"{where}.measure", f"no measure {tile.get('measure')!r}")
            continue
        dimension = tile.get("dimension") or measure.dimensions[0]
        if dimension not in measure.dimensions:
            known = ", ".join(measure.dimensions)
            problems.add(f"{where}.dimension", f"{measure.name} is broken down by {known}")
        chart = tile.get("chart", "bar")
        if chart not in CHARTS:
            problems.add(f"{where}.chart", f"must be one of {', '.join(CHARTS)}")
        filters = tile.get("filters") or {}
        if not isinstance(filters, dict) or set(filters) - set(FILTER_KEYS):
            problems.add(f"{where}.filters", f"may only hold {', '.join(FILTER_KEYS)}")
            continue
        for key in ("dateFrom", "dateTo"):
            if filters.get(key) is not None:
                try:
                    date.fromisoformat(str(filters[key]))
                except ValueError:
                    problems.add(f"{where}.filters.{key}", "must be a date YYYY-MM-DD")
        if filters.get("days") is not None and not (
            isinstance(filters["days"], int) and 1 <= filters["days"] <= 3660
        ):
            problems.add(f"{where}.filters.days", "must be a number of days, 1..3660")
        title = str(tile.get("title") or measure.title)[:100]
        clean.append({"measure": measure.name, "dimension": dimension, "chart": chart,
                      "title": title, "filters": filters})  # fmt: skip
    problems.raise_if_any()
    return clean


async def save(
    *, user_id: int, name: str, tiles: Any, shared_with: list[str], known_roles: set[str],
    board_id: int | None = None,
) -> Board:  # fmt: skip
    """Create a board, or change one of the user's own."""
    problems = Problems()
    if not 0 < len(name.strip()) <= 100:
        problems.add("name", "must be 1..100 characters")
    unknown = sorted(set(shared_with) - known_roles)
    if unknown:
        problems.add("sharedWith", f"unknown role(s) {', '.join(unknown)}")
    problems.raise_if_any()
    clean = check_tiles(tiles)
    if board_id is None:
        return await Board.create(name=name.strip(), owner_id=user_id, tiles=clean,
                                  shared_with=sorted(set(shared_with)))  # fmt: skip
    board = await Board.get_or_none(id=board_id)
    if board is None:
        raise NotFoundError("board", board_id)
    if board.owner_id != user_id:  # type: ignore[attr-defined]
        raise ForbiddenError("only its owner may change a board")
    board.name, board.tiles, board.shared_with = name.strip(), clean, sorted(set(shared_with))
    await board.save()
    return board


async def visible(user_id: int, roles: list[str]) -> list[Board]:
    """The user's own boards and those shared with one of their roles, newest first."""
    rows = await Board.all().order_by("-updated_at", "-id")
    return [b for b in rows
            if b.owner_id == user_id or set(b.shared_with) & set(roles)]  # type: ignore[attr-defined]  # fmt: skip


def defaults(roles: list[str]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(role, name, tiles) of the default board of each of the user's roles."""
    return [(role, *DEFAULTS[role]) for role in roles if role in DEFAULTS]


async def delete(board_id: int, user_id: int) -> None:
    """Remove one of the user's own boards."""
    board = await Board.get_or_none(id=board_id)
    if board is None:
        raise NotFoundError("board", board_id)
    if board.owner_id != user_id:  # type: ignore[attr-defined]
        raise ForbiddenError("only its owner may delete a board")
    await board.delete()
