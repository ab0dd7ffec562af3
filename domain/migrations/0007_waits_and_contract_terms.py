from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.process.models import InstanceStatus, WaitKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0006_instance_customer')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProcessWait',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('instance', fields.ForeignKeyField('lendgraph.ProcessInstance', source_field='instance_id', db_constraint=True, to_field='id', related_name='waits', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='TIMER: TIMER\nRETRY: RETRY', enum_type=WaitKind, max_length=8)),
                ('element_id', fields.CharField(max_length=128)),
                ('task_id', fields.CharField(null=True, max_length=64)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempt', fields.IntField(default=0)),
            ],
            options={'table': 'process_wait', 'app': 'lendgraph', 'indexes': [Index(fields=['due_at']), Index(fields=['instance_id'])], 'pk_attr': 'id', 'table_description': 'A due time the worker acts on: a timer to fire or a run to retry.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Contract',
            name='annual_rate',
            field=fields.DecimalField(null=True, max_digits=8, decimal_places=6),
        ),
        ops.AddField(
            model_name='Contract',
            name='principal',
            field=fields.DecimalField(null=True, max_digits=16, decimal_places=2),
        ),
        ops.AddField(
            model_name='Contract',
            name='term_months',
            field=fields.IntField(null=True),
        ),
        ops.AlterField(
            model_name='ProcessInstance',
            name='status',
            field=fields.CharEnumField(default=InstanceStatus.RUNNING, db_index=True, description='RUNNING: RUNNING\nRETRYING: RETRYING\nCOMPLETED: COMPLETED\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=InstanceStatus, max_length=16),
        ),
    ]
