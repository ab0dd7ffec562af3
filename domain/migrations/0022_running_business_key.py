from tortoise import migrations
from tortoise.migrations import operations as ops

# a business key has at most one instance in progress (running, retrying or failed): two
# workers starting the same instances at once cannot both start one (bpmn.bulk skips a key
# another has, waiting for its commit on PostgreSQL)
ACTIVE = "status IN ('RUNNING', 'RETRYING', 'FAILED')"


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0021_outside_calls")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uid_process_instance_running_key "
                f"ON process_instance (business_key) WHERE {ACTIVE}"
            ],
            reverse_sql=["DROP INDEX uid_process_instance_running_key"],
        ),
    ]
