"""Where a simulated process's past cases come from: one entry a process.

An entry names the kind of population the process decides, how many cases a population holds
(for a background job's progress), the cases a chunk at a time, and, where its cases carry
them, the customer's labels the movements group by (:mod:`.movements`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bpmn import reminders
from bpmn.simulation import applications, customers, loans, reminder_cases
from bpmn.simulation.movements import Labels
from bpmn.simulation.population import Case, Population
from domain.simulation.models import PopulationKind


@dataclass(frozen=True)
class Source:
    """A process's past cases: their kind, their count, their chunks and what they carry."""

    kind: PopulationKind
    count: Callable[[Population], Awaitable[int]]
    # the population a chunk at a time; True: for the whole process (every start name)
    chunks: Callable[[Population, bool], AsyncIterator[list[Case]]]
    labels: Labels | None = None  # None: the movements read the labels


def _customers(process_id: str) -> Source:
    return Source(
        PopulationKind.CUSTOMERS,
        lambda population: customers.count(),
        lambda population, whole: customers.chunks(population, process_id),
    )


SOURCES: dict[str, Source] = {
    "credit_approval": Source(
        PopulationKind.APPLICATIONS,
        applications.count,
        lambda population, whole: applications.chunks(population, complete=whole),
    ),
    "collections": Source(
        PopulationKind.LOANS, loans.count, lambda population, whole: loans.chunks(population)
    ),
    reminders.PROCESS_ID: Source(  # on loans: each installment's days before its due date
        PopulationKind.LOANS,
        reminder_cases.count,
        lambda population, whole: reminder_cases.chunks(population),
        reminder_cases.labels,
    ),
    customers.RATING: _customers(customers.RATING),
    customers.LIMIT: _customers(customers.LIMIT),
}
