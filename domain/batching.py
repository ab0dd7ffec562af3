"""Bounded IN lists: PostgreSQL takes at most 32,767 parameters per statement.

Queries over a set of keys of unbounded size (every borrower, every customer on a holiday)
go in chunks; each chunk is one statement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
CHUNK = 10_000


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def gather_in(
    items: Iterable[T], fetch: Callable[[list[T]], Awaitable[Iterable[R]]], size: int = CHUNK
) -> list[R]:
    """``fetch`` over each chunk of ``items``, results concatenated."""
    out: list[R] = []
    for batch in chunks(items, size):
        out.extend(await fetch(batch))
    return out
