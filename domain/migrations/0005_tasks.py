from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.process.models import WorkTaskStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('lendgraph', '0004_processes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WorkTask',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('instance', fields.ForeignKeyField('lendgraph.ProcessInstance', source_field='instance_id', db_constraint=True, to_field='id', related_name='work_tasks', on_delete=OnDelete.CASCADE)),
                ('task_id', fields.CharField(unique=True, max_length=64)),
                ('element_id', fields.CharField(max_length=128)),
                ('name', fields.CharField(default='', max_length=200)),
                ('candidate_role', fields.CharField(null=True, db_index=True, max_length=64)),
                ('assignee', fields.ForeignKeyField('lendgraph.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='work_tasks', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=WorkTaskStatus.OPEN, db_index=True, description='OPEN: OPEN\nCLAIMED: CLAIMED\nCOMPLETED: COMPLETED\nCANCELLED: CANCELLED', enum_type=WorkTaskStatus, max_length=16)),
                ('form', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_by_id', fields.IntField(null=True)),
                ('revision', fields.IntField(default=0)),
            ],
            options={'table': 'work_task', 'app': 'lendgraph', 'indexes': [Index(fields=['instance_id'])], 'pk_attr': 'id', 'table_description': 'A human task waiting in a process instance, offered to a role, claimed by a user.'},
            bases=['Model'],
        ),
    ]
