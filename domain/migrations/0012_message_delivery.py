from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0011_daily_runs')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxMessage',
            name='provider_ref',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
