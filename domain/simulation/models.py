"""Simulations of decision-table drafts kept with the draft, and the deployments citing them."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.process.models import ProcessDefinition


class PopulationKind(StrEnum):
    """Which past cases a simulation replays."""

    APPLICATIONS = "APPLICATIONS"
    LOANS = "LOANS"
    CUSTOMERS = "CUSTOMERS"


class SimulationStatus(StrEnum):
    """Where a simulation stands: asked in the background it is a job a worker runs."""

    QUEUED = "QUEUED"  # waits for a worker
    RUNNING = "RUNNING"  # claimed by a worker (claimed_by, lease_until), report partial
    DONE = "DONE"
    FAILED = "FAILED"  # error says what and where
    CANCELLED = "CANCELLED"  # stopped at a progress point: the report is the figures so far


class Simulation(Model):
    """A draft's table run beside a deployed version over past cases, and its report.

    A simulation asked in the background is its own job: kept QUEUED with its draft, claimed
    by a worker, its report the figures so far at each progress point, DONE at the end.
    """

    id = fields.IntField(primary_key=True)
    process_id = fields.CharField(max_length=64, db_index=True)
    decision_id = fields.CharField(max_length=128)
    # deployments.content_hash of the draft: a deploy citing this simulation must match it
    draft_digest = fields.CharField(max_length=64, db_index=True)
    against_version = fields.IntField()
    population_kind = fields.CharEnumField(PopulationKind, max_length=16)
    population: fields.Field[dict[str, Any]] = fields.JSONField()
    report: fields.Field[dict[str, Any]] = fields.JSONField()
    ran_by = fields.CharField(max_length=64)
    ran_at = fields.DatetimeField()  # asked at (queued at, for a background one)
    status = fields.CharEnumField(SimulationStatus, max_length=16, default=SimulationStatus.DONE)
    # a background job's draft, kept until it is done: {"bpmnXml": …, "dmnXmls": […]}
    draft: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    cases_done = fields.IntField(default=0)
    cases_total = fields.IntField(null=True)  # known once the worker counted the population
    phase = fields.CharField(max_length=16, null=True)  # CASES, then REPLAY for a strategy
    claimed_by = fields.CharField(max_length=96, null=True)
    lease_until = fields.DatetimeField(null=True)  # wall clock: past it, another worker takes over
    attempts = fields.IntField(default=0)
    cancel_requested_by = fields.CharField(max_length=64, null=True)
    error = fields.TextField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "simulation"
        indexes = (("status", "lease_until"),)


class SimulationCitation(Model):
    """A deployment made on the strength of a simulation of the same draft."""

    id = fields.IntField(primary_key=True)
    definition: fields.ForeignKeyRelation["ProcessDefinition"] = fields.ForeignKeyField(
        "lendgraph.ProcessDefinition", related_name="simulation_citations",
        on_delete=fields.CASCADE,
    )  # fmt: skip
    simulation: fields.ForeignKeyRelation[Simulation] = fields.ForeignKeyField(
        "lendgraph.Simulation", related_name="citations", on_delete=fields.RESTRICT
    )
    cited_by = fields.CharField(max_length=64)
    cited_at = fields.DatetimeField()

    class Meta:
        table = "simulation_citation"
        indexes = (("definition_id",), ("simulation_id",))
