"""Deployed process definitions (immutable versions) and their running instances."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.customer.models import Customer
    from domain.user.models import User


class InstanceStatus(StrEnum):
    """Where a process instance stands."""

    RUNNING = "RUNNING"
    RETRYING = "RETRYING"  # a service was unavailable: a RETRY wait holds the next attempt
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class DefinitionOrigin(StrEnum):
    """Where a deployed version came from."""

    BUNDLED = "bundled"  # shipped in bpmn/processes, deployed by `lendgraph migrate`
    DEPLOYED = "deployed"  # the institution's own (designer, deployProcess)


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
    # a DefinitionOrigin value
    origin = fields.CharField(max_length=16, default="deployed", db_default="deployed")
    # a retired version starts no new instances; the version in force is the newest one not
    # retired, and a process whose versions all carry the mark is retired
    retired_at = fields.DatetimeField(null=True)
    retired_by = fields.CharField(max_length=64, null=True)

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
    # the customer the instance works for: task visibility follows that customer's row scope
    customer: fields.ForeignKeyNullableRelation["Customer"] = fields.ForeignKeyField(
        "lendgraph.Customer", related_name="process_instances", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
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
        indexes = (("definition_id",), ("customer_id",))


class WorkTaskStatus(StrEnum):
    """Where a human task of a process instance stands."""

    OPEN = "OPEN"
    CLAIMED = "CLAIMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class WorkTask(Model):
    """A human task waiting in a process instance, offered to a role, claimed by a user."""

    id = fields.IntField(primary_key=True)
    instance: fields.ForeignKeyRelation[ProcessInstance] = fields.ForeignKeyField(
        "lendgraph.ProcessInstance", related_name="work_tasks", on_delete=fields.CASCADE
    )
    task_id = fields.CharField(max_length=64, unique=True)
    element_id = fields.CharField(max_length=128)
    name = fields.CharField(max_length=200, default="")
    candidate_role = fields.CharField(max_length=64, null=True, db_index=True)
    assignee: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "lendgraph.User", related_name="work_tasks", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(
        WorkTaskStatus, max_length=16, default=WorkTaskStatus.OPEN, db_index=True
    )
    form: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    completed_at = fields.DatetimeField(null=True)
    completed_by_id = fields.IntField(null=True)
    revision = fields.IntField(default=0)

    class Meta:
        table = "work_task"
        indexes = (("instance_id",), ("assignee_id",))


class WaitKind(StrEnum):
    """Why an instance waits for the worker."""

    TIMER = "TIMER"  # a timer event, due on the business clock
    RETRY = "RETRY"  # another attempt at a run that met an unavailable service, wall clock


class ProcessWait(Model):
    """A due time the worker acts on: a timer to fire or a run to retry.

    Rows are rewritten with every stored step of their instance. Workers take a due row
    with ``FOR UPDATE SKIP LOCKED`` inside the transaction that acts on it, so a row is
    handled once, and a worker that dies mid-way releases it to the next.
    """

    id = fields.IntField(primary_key=True)
    instance: fields.ForeignKeyRelation[ProcessInstance] = fields.ForeignKeyField(
        "lendgraph.ProcessInstance", related_name="waits", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(WaitKind, max_length=8)
    element_id = fields.CharField(max_length=128)
    task_id = fields.CharField(max_length=64, null=True)
    due_at = fields.DatetimeField()
    attempt = fields.IntField(default=0)

    class Meta:
        table = "process_wait"
        indexes = (("due_at",), ("instance_id",))


class TaskEventKind(StrEnum):
    """What happened to a human task."""

    CREATED = "CREATED"
    CLAIMED = "CLAIMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class TaskEvent(Model):
    """A change to a human task, written in the transaction that made it.

    Subscribers read these rows in id order after a wake-up (PostgreSQL NOTIFY, which is
    delivered at commit, or the in-process signal), so they see committed changes only, in
    order, whichever API process made them. The worker prunes old rows.
    """

    id = fields.BigIntField(primary_key=True)
    task_id = fields.IntField()
    instance_id = fields.IntField()
    kind = fields.CharEnumField(TaskEventKind, max_length=16)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "task_event"
