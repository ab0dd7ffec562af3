"""How far the daily run of a date has come: per step, chunks done and failed, time, estimate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.daily.models import ChunkStatus, DailyChunk, DailyRun, DailyStepStatus


@dataclass(frozen=True, slots=True)
class ChunkFailure:
    """A chunk that failed: its customers, the error, how often it was tried."""

    lo: int
    hi: int
    error: str
    attempts: int


@dataclass(slots=True)
class StepProgress:
    """One step of a date's run."""

    step: str
    status: str  # DONE, FAILED, RUNNING (chunks made, not all done) or NOT_STARTED
    chunks: int = 0
    done: int = 0
    failures: list[ChunkFailure] = field(default_factory=list)
    seconds: float = 0.0  # spent on its chunks that are done
    workers: int = 0  # distinct workers that did its chunks
    detail: dict[str, Any] | None = None

    @property
    def estimate(self) -> float | None:
        """Seconds left for one worker: the chunks left at the mean time of those done."""
        if self.status == "DONE":
            return 0.0
        if not self.done or not self.chunks:
            return None
        return round(self.seconds / self.done * (self.chunks - self.done), 1)


async def progress(day: date, steps: list[str]) -> list[StepProgress]:
    """Every step of the date in run order (two statements, whatever the number of chunks)."""
    runs = {r.step: r for r in await DailyRun.filter(business_date=day)}
    rows = (
        await DailyChunk.filter(business_date=day)
        .order_by("lo")
        .values("step", "lo", "hi", "status", "error", "attempts", "seconds", "worker")
    )
    by_step: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_step[row["step"]].append(row)
    out = []
    for name in steps:
        run, chunks = runs.get(name), by_step.get(name, [])
        status = run.status.value if run is not None and run.status else None
        done = [c for c in chunks if c["status"] == ChunkStatus.DONE]
        out.append(StepProgress(
            step=name,
            status=status or ("RUNNING" if chunks else "NOT_STARTED"),
            chunks=len(chunks), done=len(done),
            failures=[ChunkFailure(int(c["lo"]), int(c["hi"]), str(c["error"] or ""),
                                   int(c["attempts"]))
                      for c in chunks if c["status"] == ChunkStatus.FAILED],
            seconds=round(sum(float(c["seconds"] or 0) for c in done), 3),
            workers=len({c["worker"] for c in done if c["worker"]}),
            detail=dict(run.detail or {}) if run is not None and run.detail else None,
        ))  # fmt: skip
    return out


def summary(steps: list[StepProgress]) -> str:
    """One line for a person: the step under way, its chunks and the estimate."""
    for step in steps:
        if step.status == DailyStepStatus.DONE:
            continue
        if step.status == "NOT_STARTED":
            return f"{step.step}: not started"
        left = step.estimate
        eta = f", about {left:.0f} s left" if left is not None else ""
        failed = f", {len(step.failures)} failed" if step.failures else ""
        return f"{step.step}: {step.done}/{step.chunks} chunks{failed}{eta}"
    return "every step done"
