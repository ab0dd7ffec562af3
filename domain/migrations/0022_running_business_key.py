from tortoise import migrations
from tortoise.migrations import operations as ops

# a business key has at most one instance in progress (running, retrying or failed): two
# workers starting the same instances at once cannot both start one (bpmn.bulk skips a key
# another has, waiting for its commit on PostgreSQL)
ACTIVE = "status IN ('RUNNING', 'RETRYING', 'FAILED')"
INDEX = f"CREATE UNIQUE INDEX uid_process_instance_running_key ON process_instance (business_key) WHERE {ACTIVE}"
DOUBLED = (
    f"SELECT id, business_key FROM process_instance WHERE {ACTIVE} AND business_key IN ("
    f"SELECT business_key FROM process_instance WHERE {ACTIVE} GROUP BY business_key "
    "HAVING COUNT(*) > 1) ORDER BY business_key, id LIMIT 200"
)


class DoubledInstancesError(RuntimeError):
    """Business keys with more than one instance in progress: the index cannot be made."""


async def one_in_progress_per_key(apps, schema_editor):
    """Make the index, or say which business keys hold several instances in progress."""
    if schema_editor.collect_sql:
        schema_editor.collected_sql.append(INDEX + ";")
        return
    _, rows = await schema_editor.client.execute_query(DOUBLED)
    if rows:
        held = {}
        for row in rows:
            held.setdefault(str(row["business_key"]), []).append(int(row["id"]))
        keys = "; ".join(f"{key}: instances {', '.join(map(str, ids))}" for key, ids in held.items())
        raise DoubledInstancesError(
            "migration 0022 allows one instance in progress (RUNNING, RETRYING or FAILED) per "
            f"business key, and these keys have several: {keys}. Keep one of each (the first "
            "is the one started first), set the others' status to CANCELLED, and migrate "
            "again; nothing was changed."
        )
    await schema_editor.client.execute_query(INDEX)


async def drop_index(apps, schema_editor):
    await schema_editor.client.execute_query("DROP INDEX uid_process_instance_running_key")


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0021_outside_calls")]

    initial = False

    operations = [ops.RunPython(one_in_progress_per_key, drop_index)]
