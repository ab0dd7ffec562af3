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


class Simulation(Model):
    """A draft's table run beside a deployed version over past cases, and its report."""

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
    ran_at = fields.DatetimeField()

    class Meta:
        table = "simulation"


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
