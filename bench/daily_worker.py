"""One worker of the daily-run benchmark: the date's daily run, sharing chunks with the others.

    python bench/daily_worker.py URL YYYY-MM-DD

Runs `bpmn.daily.run` for the date until it is done (waiting while other workers hold
chunks), as `lendgraph worker` does before its timers and outbox, then prints one JSON line:
its seconds, chunks done and peak memory (max RSS, MB).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from datetime import date

from tortoise import Tortoise

from domain.db import tortoise_config


async def main(url: str, day: date) -> None:
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    try:
        from bpmn import daily

        chunks = 0

        def count(_: str) -> None:
            nonlocal chunks
            chunks += 1

        started = time.perf_counter()
        report = await daily.run(day, notify=count)
        while report.busy:
            await asyncio.sleep(0.2)
            report = await daily.run(day, notify=count)
        seconds = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 1), "chunks": chunks, "peak_mb": round(peak),
                      "done": report.done, "failed": report.failed}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], date.fromisoformat(sys.argv[2])))
