"""CPU seconds spent by processes of this machine: a server, the database's backends, us.

A benchmark that runs one client against one server can say where each request's time went:
the server's Python, the database server's work, the client. Read from /proc, so Linux only.
"""

import os
import time

import asyncpg

_TICKS = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (0 if it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes connected to the database `url` names."""
    name = url.split("?")[0].rpartition("/")[2]
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


class CpuMeter:
    """CPU seconds of some processes and of this one between `start()` and `stop()`."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self._before: dict[int, float] = {}
        self._ours = 0.0
        self.seconds: dict[int, float] = {}
        self.ours = 0.0

    def start(self) -> None:
        self._before = {pid: process_seconds(pid) for pid in self.pids}
        self._ours = time.process_time()

    def stop(self) -> None:
        self.ours = time.process_time() - self._ours
        self.seconds = {pid: process_seconds(pid) - self._before[pid] for pid in self.pids}

    def total(self, pids: list[int]) -> float:
        """The CPU seconds of `pids` (a subset of the measured ones) between start and stop."""
        return sum(self.seconds.get(pid, 0.0) for pid in pids)
