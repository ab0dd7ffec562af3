"""A DataLoader that waits for the event loop to go quiet before it batches.

Strawberry's loader dispatches one loop tick after the first `load`, but graphql-core resumes
sibling resolvers over several ticks (each `await` level adds one), so children of a list
arrive in several small batches: loans of 50 customers became 50 installment queries. Here
the batch is sent once no new key has arrived for a few ticks, so one relation costs one
statement per request whatever the number of rows.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
QUIET_TICKS = 4


class DataLoader(Generic[K, V]):
    """Loads values by key in batches, caching each key for the request."""

    def __init__(self, load_fn: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self._load_fn = load_fn
        self._cache: dict[K, asyncio.Future[V]] = {}
        self._pending: list[K] = []
        self._task: asyncio.Task[None] | None = None

    def load(self, key: K) -> Awaitable[V]:
        """The value for a key, loaded with every other key asked for meanwhile."""
        future = self._cache.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._cache[key] = loop.create_future()
            self._pending.append(key)
            if self._task is None:
                self._task = loop.create_task(self._dispatch())
        return future

    def prime(self, key: K, value: V) -> None:
        """Seed the cache with a value already at hand."""
        if key not in self._cache:
            future = asyncio.get_running_loop().create_future()
            future.set_result(value)
            self._cache[key] = future

    async def _dispatch(self) -> None:
        seen = -1
        while seen != len(self._pending):
            seen = len(self._pending)
            for _ in range(QUIET_TICKS):
                await asyncio.sleep(0)
        keys, self._pending, self._task = self._pending, [], None
        try:
            values = await self._load_fn(keys)
            if len(values) != len(keys):
                raise RuntimeError(f"loader returned {len(values)} values for {len(keys)} keys")
        except Exception as exc:  # every waiter gets the failure, and may retry later
            for key in keys:
                self._cache.pop(key).set_exception(exc)
            return
        for key, value in zip(keys, values, strict=True):
            self._cache[key].set_result(value)
