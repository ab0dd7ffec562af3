from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0017_bundled_processes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='manager',
            field=fields.ForeignKeyField('lendgraph.User', source_field='manager_id', null=True, db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='must_change_password',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
