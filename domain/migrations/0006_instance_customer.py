from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0005_tasks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ProcessInstance',
            name='customer',
            field=fields.ForeignKeyField('lendgraph.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='process_instances', on_delete=OnDelete.SET_NULL),
        ),
    ]
