from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# 1. SQLite only: indexes that migrations 0007, 0015 and 0020 lost there. Tortoise remakes a
#    SQLite table to add or alter a column, and the copy was made without the table's indexes:
#    the outbox was scanned whole by every claim, process instances by business key and status,
#    and campaign responses had lost two unique indexes. They are made again under the names
#    PostgreSQL has, so both schemas agree (tests/domain/test_indexes.py reads both).
# 2. Both databases: foreign keys looked up, or checked when their parent row is deleted, that
#    had no index: a signature found its application's contract and loan by reading every one;
#    shortening a schedule (a prepayment deletes installments) read the whole outbox for each.
RESTORED = (
    ("idx_outbox_mess_custome_054a19", "outbox_message", "customer_id"),
    ("idx_outbox_mess_loan_id_38b704", "outbox_message", "loan_id"),
    ("idx_outbox_mess_status_4cdf01", "outbox_message", "status"),
    ("idx_outbox_mess_status_e567eb", "outbox_message", "status, scheduled_at"),
    ("idx_process_ins_busines_f4dc74", "process_instance", "business_key"),
    ("idx_process_ins_definit_3a92de", "process_instance", "definition_id"),
    ("idx_process_ins_status_a7c447", "process_instance", "status"),
    ("idx_campaign_re_custome_bbdb24", "campaign_response", "customer_id"),
)
RESTORED_UNIQUE = (
    ("uid_campaign_re_campaig_9a5443", "campaign_response", "campaign_id, customer_id"),
    ("uid_campaign_re_source_cd9c24", "campaign_response", "source, external_id"),
)


class DoubledRowsError(RuntimeError):
    """Rows a unique index restored on SQLite forbids: the index cannot be made."""


def _statements(create: bool) -> list[str]:
    made = [(name, table, cols, "") for name, table, cols in RESTORED] + [
        (name, table, cols, "UNIQUE ") for name, table, cols in RESTORED_UNIQUE
    ]
    if not create:
        return [f"DROP INDEX IF EXISTS {name}" for name, *_ in made]
    return [f"CREATE {u}INDEX IF NOT EXISTS {n} ON {t} ({c})" for n, t, c, u in made]


async def _doubled(client, table: str, columns: str) -> list[str]:
    present = " AND ".join(f"{c.strip()} IS NOT NULL" for c in columns.split(","))
    _, rows = await client.execute_query(
        f"SELECT {columns}, COUNT(*) AS n, MIN(id) AS first FROM {table} WHERE {present} "  # noqa: S608
        f"GROUP BY {columns} HAVING COUNT(*) > 1 ORDER BY first LIMIT 20"
    )
    names = [c.strip() for c in columns.split(",")]
    return [", ".join(f"{n} {row[n]}" for n in names) + f" ({row['n']} rows)" for row in rows]


def _on_sqlite(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "sqlite"


async def restore_sqlite_indexes(apps, schema_editor):
    """Make the lost indexes again on SQLite, or say which rows two unique ones forbid."""
    if not _on_sqlite(schema_editor):
        return
    if schema_editor.collect_sql:
        schema_editor.collected_sql.extend(s + ";" for s in _statements(create=True))
        return
    problems = []
    for _name, table, columns in RESTORED_UNIQUE:
        doubled = await _doubled(schema_editor.client, table, columns)
        if doubled:
            problems.append(f"{table} ({columns}): " + "; ".join(doubled))
    if problems:
        raise DoubledRowsError(
            "migration 0032 makes again, on SQLite, unique indexes an earlier migration lost, "
            "and these rows hold the same values: " + " | ".join(problems) + ". Keep one row "
            "of each (the first is the oldest), delete the others, and migrate again; nothing "
            "was changed."
        )
    for statement in _statements(create=True):
        await schema_editor.client.execute_script(statement)


async def drop_restored_indexes(apps, schema_editor):
    if _on_sqlite(schema_editor):
        for statement in _statements(create=False):
            await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("lendgraph", "0031_scoped_customer_pages")]

    initial = False

    operations = [
        ops.RunPython(restore_sqlite_indexes, drop_restored_indexes),
        ops.AddIndex(model_name="Contract", index=Index(fields=["application_id"])),
        ops.AddIndex(model_name="Loan", index=Index(fields=["contract_id"])),
        ops.AddIndex(model_name="OutboxMessage", index=Index(fields=["installment_id"])),
        ops.AddIndex(model_name="WorkTask", index=Index(fields=["assignee_id"])),
        ops.AddIndex(model_name="ProcessInstance", index=Index(fields=["customer_id"])),
        ops.AddIndex(model_name="SegmentMember", index=Index(fields=["customer_id"])),
        ops.AddIndex(model_name="CustomerTag", index=Index(fields=["tag_id"])),
    ]
