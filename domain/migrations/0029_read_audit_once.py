from tortoise import migrations
from tortoise.migrations import operations as ops

# an unmasked read is audited once: the entries of one read are told apart by the request, the
# moment of the read, the object and the fields shown. A compiled read on PostgreSQL writes its
# entries inside the statement that reads (api/compiled/root.py), a statement that is sent again
# when its connection is lost; sent again with the same values, it inserts nothing
# (ON CONFLICT DO NOTHING against this index). Entries without a request (the CLI, workers)
# are not concerned
INDEX = (
    "CREATE UNIQUE INDEX uid_audit_entry_read_once ON audit_entry "
    "(request_id, at, object_type, object_id, fields_read) "
    "WHERE action = 'read_sensitive' AND request_id IS NOT NULL"
)


async def one_entry_per_read(apps, schema_editor):
    if schema_editor.collect_sql:
        schema_editor.collected_sql.append(INDEX + ";")
        return
    await schema_editor.client.execute_query(INDEX)


async def drop_index(apps, schema_editor):
    await schema_editor.client.execute_query("DROP INDEX uid_audit_entry_read_once")


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0028_simulations")]

    initial = False

    operations = [ops.RunPython(one_entry_per_read, drop_index)]
