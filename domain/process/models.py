"""Deployed process definitions (immutable versions) and their running instances."""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class InstanceStatus(StrEnum):
    """Where a process instance stands."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ProcessDefinition(Model):
    """One deployed version of a process with its decision tables, keyed by content hash."""

    id = fields.IntField(primary_key=True)
    process_id = fields.CharField(max_length=64, db_index=True)
    version = fields.IntField()
    content_hash = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200, default="")
    bpmn_xml = fields.TextField()
    dmn_xmls: fields.Field[list[str]] = fields.JSONField(default=list)
    deployed_at = fields.DatetimeField()
    deployed_by = fields.CharField(max_length=64, default="")

    class Meta:
        table = "process_definition"
        unique_together = (("process_id", "version"),)


class ProcessInstance(Model):
    """A run of a definition version. Its engine state lives here, the spec stays with it."""

    id = fields.IntField(primary_key=True)
    definition: fields.ForeignKeyRelation[ProcessDefinition] = fields.ForeignKeyField(
        "lendgraph.ProcessDefinition", related_name="instances", on_delete=fields.RESTRICT
    )
    business_key = fields.CharField(max_length=128, db_index=True)
    status = fields.CharEnumField(
        InstanceStatus, max_length=16, default=InstanceStatus.RUNNING, db_index=True
    )
    state: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "process_instance"
        indexes = (("definition_id",),)
