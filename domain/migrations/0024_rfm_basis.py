from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0023_daily_chunks")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RfmBasis",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("business_date", fields.DateField(unique=True)),
                ("window_start", fields.DateField()),
                ("active", fields.IntField()),
                ("cuts", fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ("computed_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "rfm_basis",
                "app": "lendgraph",
                "pk_attr": "id",
                "table_description": (
                    "The population's RFM score cuts on a business date, taken once before "
                    "profiling."
                ),
            },
            bases=["Model"],
        ),
    ]
