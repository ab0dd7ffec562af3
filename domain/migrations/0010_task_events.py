from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.process.models import TaskEventKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0009_business_time')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TaskEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task_id', fields.IntField()),
                ('instance_id', fields.IntField()),
                ('kind', fields.CharEnumField(description='CREATED: CREATED\nCLAIMED: CLAIMED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED', enum_type=TaskEventKind, max_length=16)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'task_event', 'app': 'lendgraph', 'pk_attr': 'id', 'table_description': 'A change to a human task, written in the transaction that made it.'},
            bases=['Model'],
        ),
    ]
