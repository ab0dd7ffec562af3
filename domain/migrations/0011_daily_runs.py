from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.daily.models import DailyStepStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0010_task_events')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DailyRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business_date', fields.DateField()),
                ('step', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(null=True, description='DONE: DONE\nFAILED: FAILED', enum_type=DailyStepStatus, max_length=8)),
                ('detail', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'daily_run', 'app': 'lendgraph', 'unique_together': (('business_date', 'step'),), 'pk_attr': 'id', 'table_description': 'One step of the daily work for one business date, done once.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='installment',
            field=fields.ForeignKeyField('lendgraph.Installment', source_field='installment_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL),
        ),
    ]
