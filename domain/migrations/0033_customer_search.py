from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL: a customer search (part of a name, digits of a phone) read every customer, in key
# order, until it had a page: 2.7 s over a million customers when few match. Trigram indexes
# (the pg_trgm extension, shipped with PostgreSQL) answer `LIKE '%…%'` on the very expressions
# the filter writes (domain/customer/service.py: search_condition). SQLite has no such index;
# its search reads the table, as before.
EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
INDEXES = (
    "CREATE INDEX IF NOT EXISTS idx_customer_name_trgm ON customer "
    "USING gin (UPPER(CAST(name AS VARCHAR)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS idx_customer_phone_trgm ON customer "
    "USING gin (CAST(phone AS VARCHAR) gin_trgm_ops)",
)


class ExtensionRefusedError(RuntimeError):
    """The database role may not create the pg_trgm extension."""


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def search_indexes(apps, schema_editor):
    if not _on_postgres(schema_editor):
        return
    if schema_editor.collect_sql:
        schema_editor.collected_sql.extend(s + ";" for s in (EXTENSION, *INDEXES))
        return
    _, rows = await schema_editor.client.execute_query(
        "SELECT current_database() AS db, "
        "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS present"
    )
    if not rows[0]["present"]:
        try:
            await schema_editor.client.execute_script(EXTENSION)
        except Exception as exc:
            raise ExtensionRefusedError(
                f"migration 0033 needs PostgreSQL's pg_trgm extension in database "
                f"{rows[0]['db']} and this role may not create it ({exc}). As a superuser (or "
                f"the database's owner), run `CREATE EXTENSION pg_trgm;` in {rows[0]['db']}, "
                "then migrate again; nothing was changed."
            ) from exc
    for statement in INDEXES:
        await schema_editor.client.execute_script(statement)


async def drop_search_indexes(apps, schema_editor):
    if _on_postgres(schema_editor):
        for name in ("idx_customer_name_trgm", "idx_customer_phone_trgm"):
            await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0032_foreign_key_lookups")]

    initial = False

    operations = [ops.RunPython(search_indexes, drop_search_indexes)]
