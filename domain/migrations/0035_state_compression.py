from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL compresses a value of more than about 2 KB before storing it, by default with pglz.
# A process instance's state (9 KB of JSON, 2.7 KB compressed, the same ratio with either) is
# compressed again at every step of every instance, and a definition's diagram (26 KB) is
# decompressed whenever it is read: with lz4 the same writes cost PostgreSQL about a third of
# the CPU (43 against 113 µs a state, measured on 6,000 of them). New values only:
# values stored before stay pglz and are read as ever; a state is rewritten at its next step.
# Skipped where the server was built without lz4 (`default_toast_compression` does not offer it).
# SQLite does not compress.
COLUMNS = (
    ("process_instance", "state"),
    ("process_definition", "bpmn_xml"),
    ("process_definition", "dmn_xmls"),
)
LZ4_OFFERED = (
    "SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
    "AND 'lz4' = ANY(enumvals)) AS offered"
)


def _statements(method: str) -> list[str]:
    return [f'ALTER TABLE "{t}" ALTER COLUMN "{c}" SET COMPRESSION {method}' for t, c in COLUMNS]


async def _compress_with(schema_editor, method: str) -> None:
    if schema_editor.client.capabilities.dialect != "postgres":
        return
    if schema_editor.collect_sql:  # the SQL shown is for a server that offers lz4
        schema_editor.collected_sql.extend(s + ";" for s in _statements(method))
        return
    _, rows = await schema_editor.client.execute_query(LZ4_OFFERED)
    if rows[0]["offered"]:
        for statement in _statements(method):
            await schema_editor.client.execute_script(statement)


async def lz4(apps, schema_editor):
    await _compress_with(schema_editor, "lz4")


async def default_compression(apps, schema_editor):
    await _compress_with(schema_editor, "DEFAULT")


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0034_undecided_applications")]

    initial = False

    operations = [ops.RunPython(lz4, default_compression)]
