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
