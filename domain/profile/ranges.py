"""Customer-id ranges: the unit of work of the chunked daily profiling."""

from __future__ import annotations

LARGEST_ID = 2**31 - 1  # ids are 32-bit integers: a bound past them leaves that end open


def within(field: str, lo: int | None = None, hi: int | None = None) -> dict[str, int]:
    """Filter arguments keeping ``lo <= field < hi``; a bound left out (or past ids) is open."""
    out: dict[str, int] = {}
    if lo is not None and lo > 0:
        out[f"{field}__gte"] = lo
    if hi is not None and hi <= LARGEST_ID:
        out[f"{field}__lt"] = hi
    return out


def where(column: str, lo: int | None = None, hi: int | None = None) -> tuple[str, dict[str, int]]:
    """The same filter as SQL over ``column`` with parameters ``:lo`` and ``:hi``, and their
    values (``1 = 1`` when both ends are open)."""
    bounds = within("id", lo, hi)
    parts = [f"{column} >= :lo"] if "id__gte" in bounds else []
    parts += [f"{column} < :hi"] if "id__lt" in bounds else []
    values = {"lo": bounds["id__gte"]} if "id__gte" in bounds else {}
    values.update({"hi": bounds["id__lt"]} if "id__lt" in bounds else {})
    return " AND ".join(parts) or "1 = 1", values
