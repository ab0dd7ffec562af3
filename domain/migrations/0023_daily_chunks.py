from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops

from domain.daily.models import ChunkStatus


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0022_running_business_key")]

    initial = False

    operations = [
        ops.CreateModel(
            name="DailyChunk",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("business_date", fields.DateField()),
                ("step", fields.CharField(max_length=32)),
                ("lo", fields.BigIntField()),
                ("hi", fields.BigIntField()),
                ("status", fields.CharEnumField(default=ChunkStatus.PENDING, description="PENDING: PENDING\nDONE: DONE\nFAILED: FAILED", enum_type=ChunkStatus, max_length=8)),
                ("detail", fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ("error", fields.TextField(null=True)),
                ("attempts", fields.IntField(default=0)),
                ("worker", fields.CharField(null=True, max_length=96)),
                ("seconds", fields.FloatField(null=True)),
                ("statements", fields.IntField(null=True)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "daily_chunk", "app": "lendgraph", "unique_together": (("business_date", "step", "lo"),), "pk_attr": "id", "table_description": "A range of customers (ids ``lo`` ≤ id < ``hi``) for one step of one business date."},
            bases=["Model"],
        ),
    ]
