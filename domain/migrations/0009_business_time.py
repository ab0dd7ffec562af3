from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0008_outbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='BusinessDay',
            name='pinned_time',
            field=fields.CharField(null=True, max_length=8),
        ),
    ]
