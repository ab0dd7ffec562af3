"""Customer-id ranges: the unit of work of the chunked daily profiling.

A range is a chunk's :class:`~domain.daily.chunks.Span` given by its ends, either of which may
be left out: these read ``lo``/``hi`` as the daily run's chunks do (``OPEN`` leaves the top
open, so customers created since the chunks were cut are taken too).
"""

from __future__ import annotations

from domain.daily.chunks import OPEN, Span


def span(lo: int | None = None, hi: int | None = None) -> Span:
    """The span ``lo <= id < hi``; an end left out (or ``hi`` at or past ``OPEN``) is open."""
    return Span(max(lo or 0, 0), OPEN if hi is None else min(hi, OPEN))


def within(field: str, lo: int | None = None, hi: int | None = None) -> dict[str, int]:
    """Filter arguments keeping ``lo <= field < hi`` (see :func:`span`)."""
    bounds = span(lo, hi)
    out = {f"{field}__gte": bounds.lo} if bounds.lo > 0 else {}
    return out | ({f"{field}__lt": bounds.hi} if bounds.hi < OPEN else {})


def where(column: str, lo: int | None = None, hi: int | None = None) -> tuple[str, dict[str, int]]:
    """The same filter as SQL over ``column`` (``Span.where``), and its parameters' values."""
    bounds = span(lo, hi)
    return bounds.where(column), {"lo": bounds.lo, "hi": bounds.hi}
