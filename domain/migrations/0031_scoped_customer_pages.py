from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

# an account manager's customers in key order: a page of them is a range of one index (the
# manager, then the id) instead of every customer in key order, filtered; the index it replaces
# (the manager alone) is its prefix. Index operations only: on SQLite, altering a field rebuilds
# the table without its other indexes


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0030_simulation_jobs")]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name="Customer",
            name=None,
            fields=["account_manager_id"],
        ),
        ops.AddIndex(
            model_name="Customer",
            index=Index(fields=["account_manager_id", "id"]),
        ),
    ]
