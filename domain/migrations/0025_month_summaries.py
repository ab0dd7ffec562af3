from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# the summaries of month ends kept before this release are made by the next daily run
# (domain.reports.snapshots.ensure makes any that are missing)


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0024_rfm_basis")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LoanMonthSummary",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("month_end", fields.DateField(db_index=True)),
                ("product_id", fields.IntField()),
                ("bucket", fields.CharField(max_length=16)),
                ("prev_bucket", fields.CharField(null=True, max_length=16)),
                ("loans", fields.IntField()),
                ("outstanding", fields.DecimalField(max_digits=18, decimal_places=2)),
                ("prev_outstanding", fields.DecimalField(null=True, max_digits=18, decimal_places=2)),
            ],
            options={"table": "loan_month_summary", "app": "lendgraph", "pk_attr": "id", "table_description": "The month-end positions of one month, summed by product, bucket and bucket before."},
            bases=["Model"],
        ),
    ]
