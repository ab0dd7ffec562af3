"""Keeping simulations and the deployments that cite them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from domain.errors import ConflictError, NotFoundError
from domain.simulation.models import (
    PopulationKind,
    Simulation,
    SimulationCitation,
    SimulationStatus,
)


async def create(
    *,
    process_id: str,
    decision_id: str,
    draft_digest: str,
    against_version: int,
    population_kind: PopulationKind,
    population: dict[str, Any],
    report: dict[str, Any],
    ran_by: str,
    draft: dict[str, Any] | None = None,
) -> Simulation:
    """Keep a simulation's report with the draft it was made on; given the draft itself, it is
    a background job, QUEUED for a worker (``report`` the empty figures until then)."""
    now, queued = datetime.now(UTC), draft is not None
    cases = None if queued else int(report["totals"]["cases"])
    return await Simulation.create(
        process_id=process_id, decision_id=decision_id, draft_digest=draft_digest,
        against_version=against_version, population_kind=population_kind,
        population=population, report=report, ran_by=ran_by[:64], ran_at=now,
        status=SimulationStatus.QUEUED if queued else SimulationStatus.DONE, draft=draft,
        cases_done=cases or 0, cases_total=cases, started_at=None if queued else now,
        finished_at=None if queued else now,
    )  # fmt: skip


async def get_or_raise(simulation_id: int) -> Simulation:
    """A kept simulation, or NotFoundError."""
    found = await Simulation.get_or_none(id=simulation_id)
    if found is None:
        raise NotFoundError("Simulation", simulation_id)
    return found


async def check_citable(simulation_id: int, *, draft_digest: str) -> Simulation:
    """The simulation a deploy cites, refused (ConflictError) when it was made on another
    draft: the same digest is the same diagram and tables, hence the same process."""
    found = await get_or_raise(simulation_id)
    if found.status is not SimulationStatus.DONE:
        raise ConflictError(
            f"simulation {simulation_id} is {found.status.value}: a deploy cites a simulation "
            "that ran to its end"
        )
    if found.draft_digest != draft_digest:
        raise ConflictError(
            f"simulation {simulation_id} was run on another draft "
            f"(digest {found.draft_digest[:12]}…, this draft {draft_digest[:12]}…): "
            "simulate this draft and cite that simulation"
        )
    return found


async def cite(*, definition_id: int, simulation_id: int, cited_by: str) -> SimulationCitation:
    """Record that a deployment was made on the strength of a simulation."""
    return await SimulationCitation.create(
        definition_id=definition_id, simulation_id=simulation_id, cited_by=cited_by[:64],
        cited_at=datetime.now(UTC),
    )  # fmt: skip


async def cited_by_definitions(definition_ids: Iterable[int]) -> dict[int, int]:
    """The simulation each deployment last cited, by definition id (those citing none left out)."""
    ids = list(definition_ids)
    if not ids:
        return {}
    rows = SimulationCitation.filter(definition_id__in=ids).order_by("id")
    found: dict[int, int] = {}
    for definition_id, simulation_id in await rows.values_list("definition_id", "simulation_id"):
        found[int(definition_id)] = int(simulation_id)
    return found
