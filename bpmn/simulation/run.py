"""Simulating a decision-table draft: the draft's table and a deployed version's, side by
side over past cases, in memory.

Nothing is written, sent or counted: the tables run alone (no service task, no instance),
the cases are read a chunk of ids at a time, and each table runs once per class of inputs
it cannot tell apart. The caller keeps the report (:mod:`domain.simulation.service`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bpmn import deployments, engine, validation
from bpmn.simulation import collections_replay, process_run, tables
from bpmn.simulation.movements import Movements
from bpmn.simulation.observed import Observed
from bpmn.simulation.population import Case, Population, Scope, pause
from bpmn.simulation.process_report import ProcessTally
from bpmn.simulation.report import Side, Tally
from bpmn.simulation.sources import SOURCES, Source
from domain.clock import service as clock
from domain.errors import NotFoundError, ValidationError
from domain.process.models import ProcessDefinition
from domain.simulation.models import PopulationKind

MAX_REPLAY_DAYS = 366


@dataclass(frozen=True)
class Draft:
    """A draft as the designer sends it: a diagram and its tables."""

    bpmn_xml: bytes
    dmn_xmls: list[bytes]

    @property
    def digest(self) -> str:
        """The draft's identity, as a deployment of it would be named."""
        return deployments.content_hash(self.bpmn_xml, self.dmn_xmls)


@dataclass(frozen=True)
class Simulated:
    """What was simulated against what, and the report."""

    process_id: str
    decision_id: str
    draft_digest: str
    against_version: int
    report: dict[str, Any]


@dataclass
class Prepared:
    """A simulation checked and its two tables loaded: what a background job queues."""

    draft: Draft
    population: Population
    process_id: str
    decision_id: str
    source: Source  # where the cases come from, and their kind
    baseline: ProcessDefinition
    old: Side
    new: Side
    process: process_run.ProcessSides | None = None  # the whole diagrams (scope PROCESS)

    @property
    def kind(self) -> PopulationKind:
        """The kind of cases simulated."""
        return self.source.kind

    @property
    def against_version(self) -> int:
        """The version the draft is compared with."""
        return self.baseline.version


@dataclass(frozen=True)
class Point:
    """A progress point of a simulation: cases done of those counted, and the figures so far
    (the report's shape) made on demand."""

    done: int
    total: int | None
    phase: str  # CASES, then REPLAY for a collection strategy's day-by-day replay
    report: Callable[[], dict[str, Any]]


Progress = Callable[[Point], Awaitable[None]]
PROGRESS_SECONDS = 1.0  # at most this long between two progress points of the replay


async def simulate(
    draft: Draft,
    population: Population,
    *,
    process_id: str | None = None,
    decision_id: str | None = None,
    against_version: int | None = None,
) -> Simulated:
    """Run the draft's table and the baseline's over the population; nothing is stored."""
    prepared = await prepare(
        draft, population, process_id=process_id, decision_id=decision_id,
        against_version=against_version,
    )  # fmt: skip
    return await execute(prepared)


async def prepare(
    draft: Draft,
    population: Population,
    *,
    process_id: str | None = None,
    decision_id: str | None = None,
    against_version: int | None = None,
) -> Prepared:
    """Check what is asked (ValidationError, NotFoundError) and load both tables."""
    bundle = validation.deploy_check(draft.bpmn_xml, draft.dmn_xmls)
    process_id = _process(bundle.process_ids, process_id)
    source = SOURCES.get(process_id)
    if source is None:
        raise ValidationError.single(
            "processId", f"{process_id} has no past cases to simulate on; "
            f"simulated processes: {', '.join(sorted(SOURCES))}",
        )  # fmt: skip
    kind = source.kind
    if population.kind is not kind:
        raise ValidationError.single(
            "population.kind", f"{process_id} decides {kind.value.lower()}, not "
            f"{population.kind.value.lower()}",
        )  # fmt: skip
    if population.start > population.end:
        raise ValidationError.single("population.to", "the window ends before it starts")
    if not 1 <= population.replay_days <= MAX_REPLAY_DAYS:
        raise ValidationError.single(
            "population.replayDays",
            f"replays 1 to {MAX_REPLAY_DAYS} days, not {population.replay_days}",
        )
    baseline = await _baseline(process_id, against_version)
    decision_id = _decision(draft.bpmn_xml, decision_id)
    old = Side("old", tables.load(decision_id, [d.encode("utf-8") for d in baseline.dmn_xmls]))
    new = Side("new", tables.load(decision_id, draft.dmn_xmls))
    whole = None
    if population.scope is Scope.PROCESS:
        drafted = process_run.draft_definition(
            process_id, draft.bpmn_xml, draft.dmn_xmls, draft.digest
        )
        whole = process_run.sides(kind, baseline, drafted, bundle)
    return Prepared(draft, population, process_id, decision_id, source, baseline, old, new, whole)


def empty_report(prepared: Prepared) -> dict[str, Any]:
    """The report of a simulation no case of which has run yet (a queued job's)."""
    return _report(prepared, _tally(prepared), None, None, 0.0, _movements(prepared))


def _movements(prepared: Prepared) -> Movements:
    """The movements of the simulation's changed cases, by the labels its cases carry if any."""
    return Movements(prepared.process_id, prepared.source.labels)


def _tally(prepared: Prepared) -> Tally | ProcessTally:
    """The table's tally, or the whole process's (scope PROCESS)."""
    if prepared.process is not None:
        return prepared.process.tally()
    return Tally(prepared.old, prepared.new)


async def execute(prepared: Prepared, progress: Progress | None = None) -> Simulated:
    """Run a prepared simulation; ``progress`` hears a :class:`Point` before the first case,
    after each chunk of cases and about every second of the replay (it may raise to stop)."""
    started = time.perf_counter()
    population, kind = prepared.population, prepared.kind
    tally = _tally(prepared)
    observed = Observed(await clock.get()) if kind is PopulationKind.APPLICATIONS else None
    movements = _movements(prepared)

    def so_far() -> dict[str, Any]:
        seconds = time.perf_counter() - started
        return _report(prepared, tally, observed, None, seconds, movements)

    total = None
    if progress is not None:
        total = await prepared.source.count(population)
        await progress(Point(0, total, "CASES", so_far))
    done = 0
    async for chunk in prepared.source.chunks(population, prepared.process is not None):
        moves: list[tuple[Case, tuple[str, str]]] = []
        for case in chunk:
            done += 1
            await pause(done)
            moved = tally.add(case)
            if tally.busy():
                await asyncio.sleep(0)
            if moved is not None:
                moves.append((case, moved))
        await movements.add(moves)
        if observed is not None:
            await observed.add({case.case_id: moved for case, moved in moves})
        if progress is not None:
            await progress(Point(done, max(done, total or 0), "CASES", so_far))
    replayed = None
    if kind is PopulationKind.LOANS and collections_replay.applies(prepared.new.table):
        tick = None if progress is None else _ticker(progress, Point(done, done, "REPLAY", so_far))
        replayed = await collections_replay.replay(
            population, prepared.old.table, prepared.new.table, tick
        )
    seconds = time.perf_counter() - started
    report = _report(prepared, tally, observed, replayed, seconds, movements)
    return Simulated(
        prepared.process_id, prepared.decision_id, prepared.draft.digest,
        prepared.against_version, report,
    )  # fmt: skip


def _ticker(progress: Progress, point: Point) -> Callable[[], Awaitable[None]]:
    """A progress point about every :data:`PROGRESS_SECONDS` of the replay."""
    last = [time.perf_counter()]

    async def tick() -> None:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            await progress(point)

    return tick


def _report(
    prepared: Prepared,
    tally: Tally | ProcessTally,
    observed: Observed | None,
    replayed: dict[str, Any] | None,
    seconds: float,
    movements: Movements,
) -> dict[str, Any]:
    baseline = prepared.baseline
    return {
        "processId": prepared.process_id, "decisionId": prepared.decision_id,
        "draftDigest": prepared.draft.digest,
        "against": {"version": baseline.version, "contentHash": baseline.content_hash},
        "population": prepared.population.described(), **tally.figures(),
        "observed": observed.shown() if observed is not None else None,
        "collections": replayed, "movements": movements.shown(),
        "sample": list(tally.counts.sample), "seconds": round(seconds, 3),
    }  # fmt: skip


def _process(drafted: list[str], asked: str | None) -> str:
    if len(drafted) != 1:
        raise ValidationError.single("draft.bpmnXml", f"a draft holds one process, found {drafted}")
    if asked is not None and asked != drafted[0]:
        raise ValidationError.single("processId", f"the draft is of {drafted[0]}, not {asked}")
    return drafted[0]


def _decision(bpmn_xml: bytes, asked: str | None) -> str:
    called = engine.called_decisions(bpmn_xml)
    if asked is not None:
        if asked not in called:
            raise ValidationError.single("decisionId", f"the draft's diagram does not call {asked}")
        return asked
    if len(called) != 1:
        raise ValidationError.single(
            "decisionId", f"name the table to simulate: the diagram calls {called or 'none'}"
        )
    return called[0]


async def _baseline(process_id: str, version: int | None) -> ProcessDefinition:
    """The version in force, or the one named."""
    if version is None:
        return await deployments.require_in_force(process_id)
    found = await ProcessDefinition.get_or_none(process_id=process_id, version=version)
    if found is None:
        raise NotFoundError(f"version of {process_id}", version)
    return found
