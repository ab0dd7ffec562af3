from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

# The audit log is append-only at the database level too: UPDATE and DELETE are refused by
# triggers (PostgreSQL: a plpgsql function, SQLite: RAISE(ABORT)). TRUNCATE fires no row
# trigger on PostgreSQL: revoke TRUNCATE (and UPDATE, DELETE) from the application's role.
AUDIT_TRIGGERS = {
    "postgres": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP"
        " USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry"
        " FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry"
        " BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry"
        " BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused'); END",
    ],
}
AUDIT_TRIGGERS_DROP = {
    "postgres": [
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
        "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_entry_no_update",
        "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    ],
}


async def _run(schema_editor, statements):
    dialect = schema_editor.client.capabilities.dialect
    if dialect not in statements:
        raise RuntimeError(f"no append-only audit triggers for the {dialect} dialect")
    for sql in statements[dialect]:
        if schema_editor.collect_sql:
            schema_editor.collected_sql.append(sql + ";")
        else:  # one statement at a time: SQLite's editor would split a trigger body at ';'
            await schema_editor.client.execute_query(sql)


async def add_audit_triggers(apps, schema_editor):
    await _run(schema_editor, AUDIT_TRIGGERS)


async def drop_audit_triggers(apps, schema_editor):
    await _run(schema_editor, AUDIT_TRIGGERS_DROP)


class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('lendgraph.User', source_field='user_id', db_constraint=True, to_field='id', related_name='api_keys', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=128)),
                ('role', fields.CharField(max_length=64)),
                ('prefix', fields.CharField(max_length=16)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_key', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'A key an integration signs in with, acting as one user in one role. Only its hash is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('user_id', fields.IntField(null=True, db_index=True)),
                ('username', fields.CharField(default='', max_length=64)),
                ('via', fields.CharField(default='', max_length=16)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.CharField(null=True, max_length=64)),
                ('fields_read', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('ip', fields.CharField(null=True, max_length=64)),
                ('user_agent', fields.CharField(null=True, max_length=400)),
                ('request_id', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'audit_entry', 'app': 'lendgraph', 'indexes': [Index(fields=['object_type', 'object_id'])], 'pk_attr': 'id', 'table_description': 'An append-only record of a change or of an unmasked read of sensitive data.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ptype', fields.CharField(max_length=8)),
                ('v0', fields.CharField(default='', max_length=64)),
                ('v1', fields.CharField(default='', max_length=64)),
                ('v2', fields.CharField(default='', max_length=64)),
                ('v3', fields.CharField(default='', max_length=64)),
                ('v4', fields.CharField(default='', max_length=64)),
                ('v5', fields.CharField(default='', max_length=64)),
            ],
            options={'table': 'casbin_rule', 'app': 'lendgraph', 'unique_together': (('ptype', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5'),), 'pk_attr': 'id', 'table_description': 'One Casbin rule: ptype p (role, object, action, scope) or g (role, parent role).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PolicyVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('version', fields.IntField(default=1)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'policy_version', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'The single row counting policy changes, so every process knows when to reload.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='failed_logins',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='User',
            name='last_login_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='locked_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='token_version',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='User',
            name='tokens_revoked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(add_audit_triggers, drop_audit_triggers),
    ]
