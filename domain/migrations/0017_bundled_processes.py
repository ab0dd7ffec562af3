from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0016_reports')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ProcessDefinition',
            name='origin',
            field=fields.CharField(default='deployed', db_default='deployed', max_length=16),
        ),
        ops.AddField(
            model_name='ProcessDefinition',
            name='retired_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProcessDefinition',
            name='retired_by',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
