from tortoise import migrations
from tortoise.migrations import operations as ops

# every profiled customer's profile row is rewritten by each business date's profiling (its
# explanations name the date, the days idle, the days since the last event): on PostgreSQL
# its pages keep half their room free, so the new version of a row goes on the row's own page
# and no index is touched (a HOT update); rows already stored move as they are next rewritten
FILLFACTOR = "ALTER TABLE customer_profile SET (fillfactor = 50)"
RESET = "ALTER TABLE customer_profile RESET (fillfactor)"


async def leave_room_for_updates(apps, schema_editor):
    await _on_postgres(schema_editor, FILLFACTOR)


async def fill_pages(apps, schema_editor):
    await _on_postgres(schema_editor, RESET)


async def _on_postgres(schema_editor, sql):
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    if schema_editor.collect_sql:
        schema_editor.collected_sql.append(sql + ";")
        return
    await schema_editor.client.execute_query(sql)


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0025_month_summaries")]

    initial = False

    operations = [ops.RunPython(leave_room_for_updates, fill_pages)]
