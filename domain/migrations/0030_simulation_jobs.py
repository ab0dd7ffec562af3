from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.simulation.models import SimulationStatus
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# a simulation asked in the background is its own job (status, progress, the worker's claim and
# lease, a cancel asked, the error); the simulations kept before it ran in their request: DONE


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0029_read_audit_once")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Simulation",
            name="attempts",
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name="Simulation",
            name="cancel_requested_by",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name="Simulation",
            name="cases_done",
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name="Simulation",
            name="cases_total",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Simulation",
            name="claimed_by",
            field=fields.CharField(null=True, max_length=96),
        ),
        ops.AddField(
            model_name="Simulation",
            name="draft",
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name="Simulation",
            name="error",
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name="Simulation",
            name="finished_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Simulation",
            name="lease_until",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Simulation",
            name="phase",
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name="Simulation",
            name="started_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Simulation",
            name="status",
            field=fields.CharEnumField(
                default=SimulationStatus.DONE,
                description="QUEUED: QUEUED\nRUNNING: RUNNING\nDONE: DONE\nFAILED: FAILED\nCANCELLED: CANCELLED",
                enum_type=SimulationStatus,
                max_length=16,
            ),
        ),
        ops.AddIndex(
            model_name="Simulation",
            index=Index(fields=["status", "lease_until"]),
        ),
    ]
